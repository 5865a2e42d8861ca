import { describe, expect, it } from 'vitest';
import { keysteward } from '../support/cli.js';
import { FIXTURES } from '../support/estates.js';

const ESTATE = `${FIXTURES}estate/contoso.estate.json`;

describe('keysteward plan rotate', () => {
  it('prints the plan: secondary before primary, preflight failures as data, exit 0', () => {
    const r = keysteward(['plan', 'rotate', '--estate', ESTATE, '--protector', 'orders-sql', '--now', '2026-11-22T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const plan = JSON.parse(r.stdout) as { protector: string; strategy: string; preflight: Array<{ check: string; ok: boolean; reason: string }>; steps: Array<Record<string, unknown>> };
    expect(plan.protector).toBe('orders-sql');
    expect(plan.strategy).toBe('import');
    expect(plan.preflight.some((c) => !c.ok && c.reason.startsWith('unknown:'))).toBe(true);
    expect(plan.steps.map((s) => `${s.n} ${s.kind}${s.role ? ` ${s.role} ${s.vault}` : ''}`)).toEqual([
      '1 preflight',
      '2 create-material',
      '3 install-version secondary kv-cmk-prod-wus',
      '4 install-version primary kv-cmk-prod-eus',
      '5 verify-thumbprints',
      '6 switch-protector secondary kv-cmk-prod-wus',
      '7 switch-protector primary kv-cmk-prod-eus',
      '8 verify',
      '9 retain-previous',
    ]);
  });

  it('the same inputs print the same bytes', () => {
    const args = ['plan', 'rotate', '--estate', ESTATE, '--protector', 'orders-sql', '--now', '2026-11-22T00:00:00Z'];
    expect(keysteward(args).stdout).toBe(keysteward(args).stdout);
  });

  it('an unknown protector is a bad argument (exit 2, one line)', () => {
    const r = keysteward(['plan', 'rotate', '--estate', ESTATE, '--protector', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('keysteward: unknown protector "nope"; the estate has: orders-sql');
  });
});
