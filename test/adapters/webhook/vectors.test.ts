// The Standard Webhooks signature vectors shipped to ITSM sender authors (test/fixtures/itsm, reliability.md P-5):
// keysteward's verifier gives every case its expected outcome, and `keysteward itsm sign` reproduces the valid ones.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { standardWebhooksAuth } from '../../../adapters/webhook/itsmAuth.js';
import { signStandardWebhook } from '../../../adapters/webhook/standardWebhooks.js';

interface Vector {
  readonly name: string;
  readonly secrets: readonly string[];
  readonly now: number;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly expect: { ok: true } | { status: 400 | 401 };
}

const { cases } = JSON.parse(readFileSync(new URL('../../fixtures/itsm/standard-webhooks-vectors.json', import.meta.url), 'utf8')) as { cases: Vector[] };

describe('Standard Webhooks vectors', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const verdict = standardWebhooksAuth(c.secrets.map((value) => ({ value, notAfter: null }))).verify({ headers: c.headers, rawBody: Buffer.from(c.body), now: c.now * 1000 });
    if ('ok' in c.expect) expect(verdict.ok).toBe(true);
    else expect(verdict).toMatchObject({ ok: false, status: c.expect.status });
  });

  it('the signer reproduces every single-signature valid case', () => {
    const valid = cases.filter((c) => 'ok' in c.expect && !c.headers['webhook-signature']?.includes(' '));
    expect(valid.length).toBeGreaterThanOrEqual(3);
    for (const c of valid) {
      const produced = c.secrets.map((secret) => signStandardWebhook({ id: c.headers['webhook-id'] ?? '', timestamp: Number(c.headers['webhook-timestamp']), body: c.body, secret }));
      expect(produced).toContain(c.headers['webhook-signature']);
    }
  });
});
