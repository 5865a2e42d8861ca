// Write-backs name the run, each member switched, the new version per vault and its thumbprint — and nothing else:
// no key material, whatever the run's outcomes hold. Stable ids per (request, event).
import { describe, expect, it } from 'vitest';
import { acceptedNote, runEndedNote, runStartedNote, stepNote } from '../../../domain/itsm/notes.js';
import { completeStep, newRun, type RotationRun } from '../../../domain/rotation/run.js';
import { request } from './support.js';

function run(): RotationRun {
  let r = newRun(
    {
      protector: 'orders-sql',
      strategy: 'import',
      preflight: [{ check: 'strategy', ok: true, reason: 'import' }],
      steps: [
        { n: 1, kind: 'install-version', role: 'secondary', member: '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-wus', vault: 'kv-wus' },
        { n: 2, kind: 'install-version', role: 'primary', member: '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-eus', vault: 'kv-eus' },
        { n: 3, kind: 'switch-protector', role: 'secondary', member: '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-wus', vault: 'kv-wus' },
      ],
    },
    'rot-orders-sql-i1',
    'itsm',
    '2026-12-04T12:00:00.000Z',
  );
  r = completeStep(r, 1, { version: 'a'.repeat(32), thumbprint: 'T-wus', kid: 'https://kv-wus.vault.azure.net/keys/k/' + 'a'.repeat(32) }, '2026-12-04T12:00:01.000Z');
  r = completeStep(r, 2, { version: 'b'.repeat(32), thumbprint: 'T-eus' }, '2026-12-04T12:00:02.000Z');
  return completeStep(r, 3, { kid: 'https://kv-wus.vault.azure.net/keys/k/' + 'a'.repeat(32), version: 'a'.repeat(32) }, '2026-12-04T12:00:03.000Z');
}

describe('ticket notes', () => {
  it('a switched member names its server, role, new kid and thumbprint', () => {
    const r = run();
    const n = stepNote(request(), r, r.steps[2] as RotationRun['steps'][number]);
    expect(n?.id).toBe(`${request().id}-step-3`);
    expect(n?.text).toBe(`keysteward rotation rot-orders-sql-i1: sql-orders-wus (secondary) now uses https://kv-wus.vault.azure.net/keys/k/${'a'.repeat(32)} (thumbprint T-wus).`);
    expect(stepNote(request(), r, r.steps[0] as RotationRun['steps'][number])).toBeNull();
  });

  it('completion lists the new version per vault', () => {
    const done = run();
    expect(done.status).toBe('completed');
    const text = runEndedNote(request(), done)?.text ?? '';
    expect(text).toContain(`- kv-wus: version ${'a'.repeat(32)} (thumbprint T-wus)`);
    expect(text).toContain(`- kv-eus: version ${'b'.repeat(32)} (thumbprint T-eus)`);
    expect(runEndedNote(request(), { ...done, status: 'running' })).toBeNull(); // still running: nothing to say yet
  });

  it('never carries what is not an identifier: a secret-looking outcome field is not rendered', () => {
    const r = run();
    const leaky = { ...r, status: 'completed' as const, steps: r.steps.map((s) => ({ ...s, outcome: { ...s.outcome, d: 'PRIVATE-EXPONENT' } as never })) };
    const texts = [acceptedNote(request()).text, runStartedNote(request(), leaky).text, runEndedNote(request(), leaky)?.text, ...leaky.steps.map((s) => stepNote(request(), leaky, s)?.text)].join('\n');
    expect(texts).not.toContain('PRIVATE-EXPONENT');
  });
});
