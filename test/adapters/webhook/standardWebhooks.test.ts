// Standard Webhooks v1 signer and verifier: the published test vector (interoperability with the official
// libraries) and the reliability.md §3.5 cases (W-2, W-3, W-6, W-7, W-8, W-9).
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secretKeyBytes, signStandardWebhook, verifyStandardWebhook, WebhookSecretError } from '../../../adapters/webhook/index.js';
import type { VerifyInput } from '../../../adapters/webhook/index.js';

// From the Standard Webhooks / Svix reference test suites.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const NOW_MS = VECTOR.timestamp * 1000;
const headersFor = (signature: string, over: Record<string, string> = {}): Record<string, string> => ({
  'webhook-id': VECTOR.id,
  'webhook-timestamp': String(VECTOR.timestamp),
  'webhook-signature': signature,
  ...over,
});
const verify = (over: Partial<VerifyInput> = {}) =>
  verifyStandardWebhook({ headers: headersFor(VECTOR.signature), rawBody: VECTOR.body, secrets: [VECTOR.secret], now: NOW_MS, ...over });

const OTHER_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const signWith = (secret: string, timestamp = VECTOR.timestamp, body = VECTOR.body) => signStandardWebhook({ id: VECTOR.id, timestamp, body, secret });

describe('signStandardWebhook', () => {
  it('reproduces the published test vector', () => {
    expect(signStandardWebhook({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body, secret: VECTOR.secret })).toBe(VECTOR.signature);
  });

  it('signs bytes and strings alike, and a raw secret with its UTF-8 bytes', () => {
    expect(signStandardWebhook({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: Buffer.from(VECTOR.body), secret: VECTOR.secret })).toBe(VECTOR.signature);
    const raw = 'plain-text-secret';
    const expected = createHmac('sha256', raw).update(`${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`).digest('base64');
    expect(signStandardWebhook({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body, secret: raw })).toBe(`v1,${expected}`);
  });

  it('refuses ids with a dot and non-integer timestamps; a bad whsec_ secret throws without echoing it', () => {
    expect(() => signStandardWebhook({ id: 'a.b', timestamp: 1, body: '', secret: VECTOR.secret })).toThrow();
    expect(() => signStandardWebhook({ id: 'a', timestamp: 1.5, body: '', secret: VECTOR.secret })).toThrow();
    let caught: unknown;
    try {
      secretKeyBytes('whsec_not*base64!');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WebhookSecretError);
    expect((caught as Error).message).not.toContain('not*base64');
  });
});

describe('verifyStandardWebhook', () => {
  const sig = VECTOR.signature;
  const sigBytes = Buffer.from(sig.slice(3), 'base64');
  const cases: Array<[string, Partial<VerifyInput>, { ok: true } | { ok: false; status: 400 | 401 }]> = [
    ['the published vector', {}, { ok: true }],
    ['a Fetch Headers object', { headers: new Headers(headersFor(sig)) }, { ok: true }],
    ['header names in any case', { headers: { 'Webhook-Id': VECTOR.id, 'WEBHOOK-TIMESTAMP': String(VECTOR.timestamp), 'Webhook-Signature': sig } }, { ok: true }],
    ['body changed by one byte', { rawBody: VECTOR.body.replace('4}', '5}') }, { ok: false, status: 401 }],
    ['body re-serialised by JSON.stringify(JSON.parse())', { rawBody: JSON.stringify(JSON.parse(VECTOR.body)) }, { ok: false, status: 401 }],
    ['timestamp 301 s in the past', { now: NOW_MS + 301_000 }, { ok: false, status: 401 }],
    ['timestamp 301 s in the future', { now: NOW_MS - 301_000 }, { ok: false, status: 401 }],
    ['timestamp exactly 300 s old', { now: NOW_MS + 300_000 }, { ok: true }],
    ['a custom tolerance', { now: NOW_MS + 301_000, toleranceSec: 600 }, { ok: true }],
    ['several signatures, one valid', { headers: headersFor(`v1,${Buffer.alloc(32).toString('base64')} ${sig}`) }, { ok: true }],
    ['several signatures, none valid', { headers: headersFor(`v1,${Buffer.alloc(32).toString('base64')} v1,${Buffer.alloc(32, 1).toString('base64')}`) }, { ok: false, status: 401 }],
    ['only an unknown scheme (v2) carrying the right bytes', { headers: headersFor(`v2,${sig.slice(3)}`) }, { ok: false, status: 401 }],
    ['only v1a (ed25519), which we do not accept', { headers: headersFor(`v1a,${sig.slice(3)}`) }, { ok: false, status: 401 }],
    ['an unknown scheme before a valid v1', { headers: headersFor(`v2,AAAA ${sig}`) }, { ok: true }],
    ['a signature of the wrong length (prefix of the right one)', { headers: headersFor(`v1,${sigBytes.subarray(0, 31).toString('base64')}`) }, { ok: false, status: 401 }],
    ['a signature too long (right one plus a byte)', { headers: headersFor(`v1,${Buffer.concat([sigBytes, Buffer.from([0])]).toString('base64')}`) }, { ok: false, status: 401 }],
    ['an empty signature list', { headers: headersFor('') }, { ok: false, status: 401 }],
    ['rotation: old and new secrets configured, signed with the old', { secrets: [OTHER_SECRET, VECTOR.secret] }, { ok: true }],
    ['rotation: old secret retired', { secrets: [OTHER_SECRET] }, { ok: false, status: 401 }],
    ['rotation: sender signs with both, we hold only the new one', { headers: headersFor(`${signWith(OTHER_SECRET)} ${sig}`), secrets: [OTHER_SECRET] }, { ok: true }],
    ['a broken secret next to a good one', { secrets: ['whsec_***', VECTOR.secret] }, { ok: true }],
    ['missing webhook-signature', { headers: { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp) } }, { ok: false, status: 400 }],
    ['missing webhook-id', { headers: { 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': sig } }, { ok: false, status: 400 }],
    ['webhook-id containing a dot', { headers: headersFor(sig, { 'webhook-id': 'msg.1' }) }, { ok: false, status: 400 }],
    ['timestamp with a leading +', { headers: headersFor(sig, { 'webhook-timestamp': `+${VECTOR.timestamp}` }) }, { ok: false, status: 400 }],
    ['timestamp in milliseconds', { headers: headersFor(sig, { 'webhook-timestamp': String(NOW_MS) }) }, { ok: false, status: 400 }],
    ['non-numeric timestamp', { headers: headersFor(sig, { 'webhook-timestamp': 'yesterday' }) }, { ok: false, status: 400 }],
    ['a duplicated header (Node array form)', { headers: { ...headersFor(sig), 'webhook-id': [VECTOR.id, 'other'] } }, { ok: false, status: 400 }],
    ['the same header twice in different case', { headers: { ...headersFor(sig), 'Webhook-Id': VECTOR.id } }, { ok: false, status: 400 }],
  ];

  it.each(cases)('%s', (_name, input, expected) => {
    const result = verify(input);
    expect(result).toMatchObject(expected);
    if (result.ok) expect(result).toEqual({ ok: true, id: VECTOR.id, timestamp: VECTOR.timestamp });
  });

  it('a raw (non-whsec_) secret verifies what it signed', () => {
    const secret = 'a-plain-shared-secret';
    const signature = signStandardWebhook({ id: 'evt_1', timestamp: 1_700_000_000, body: '{}', secret });
    const result = verifyStandardWebhook({
      headers: { 'webhook-id': 'evt_1', 'webhook-timestamp': '1700000000', 'webhook-signature': signature },
      rawBody: '{}',
      secrets: [secret],
      now: 1_700_000_000_000,
    });
    expect(result.ok).toBe(true);
  });

  it('reasons never contain the secret or the expected signature', () => {
    const result = verify({ rawBody: 'tampered' });
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    expect(text).not.toContain(VECTOR.secret.slice(6));
    expect(text).not.toContain(VECTOR.signature.slice(3));
  });
});
