// Incidents: priority derived from urgency × impact, the resolution data policy (close_code and close_notes
// mandatory to resolve), resolved_at on resolve, correlation fields for keysteward's de-duplication.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ServiceNowEmulator } from '../../../emulators/servicenow/index.js';
import { call, devCert, failure, manualClock, result, startSnow } from './support.js';

let cert: DevCertificate;
let em: ServiceNowEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

type Row = Record<string, string>;

const DATA_POLICY = failure('Operation Failed', 'Data Policy Exception: \n  The following fields are mandatory: Resolution code, Resolution notes\n');

describe('priority', () => {
  it('is derived from urgency and impact on create and update, and cannot be written', async () => {
    const e = (em = await startSnow(cert));
    const cases: [string, string, string][] = [
      ['1', '1', '1'],
      ['1', '2', '2'],
      ['2', '1', '2'],
      ['2', '2', '3'],
      ['1', '3', '3'],
      ['3', '1', '3'],
      ['2', '3', '4'],
      ['3', '2', '4'],
      ['3', '3', '5'],
    ];
    for (const [urgency, impact, priority] of cases) {
      const r = await call(e, 'POST', '/api/now/table/incident', { body: { urgency, impact, priority: '1' } });
      expect(result<Row>(r)).toMatchObject({ urgency, impact, priority });
    }
    const inc = e.createRecord('incident', {});
    expect(inc['priority']).toBe('5');
    const up = await call(e, 'PATCH', `/api/now/table/incident/${inc['sys_id']}`, { body: { urgency: '1', impact: '1' } });
    expect(result<Row>(up)['priority']).toBe('1');
    const down = await call(e, 'PATCH', `/api/now/table/incident/${inc['sys_id']}`, { body: { impact: '3' } });
    expect(result<Row>(down)['priority']).toBe('3');
    expect(() => e.createRecord('incident', { priority: '1' })).toThrow(/priority/);
  });
});

describe('resolving', () => {
  it('403 data policy without close_code / close_notes; nothing changes', async () => {
    const e = (em = await startSnow(cert));
    const inc = result<Row>(await call(e, 'POST', '/api/now/table/incident', { body: { short_description: 'rotation failed', correlation_id: 'keysteward:run-1' } }));
    for (const body of [{ state: '6' }, { state: '6', close_code: 'Solution provided' }, { state: '6', close_notes: 'rotated' }, { state: '6', close_code: ' ', close_notes: 'x' }]) {
      const r = await call(e, 'PATCH', `/api/now/table/incident/${inc['sys_id']}`, { body });
      expect(r.status).toBe(403);
      expect(r.json).toEqual(DATA_POLICY);
    }
    expect(e.record('incident', inc['sys_id'] ?? '')).toMatchObject({ state: '1', close_code: '', close_notes: '', resolved_at: '', sys_mod_count: '0' });
    const created = await call(e, 'POST', '/api/now/table/incident', { body: { state: '6' } });
    expect(created.status).toBe(403);
    expect(e.records('incident')).toHaveLength(1);
  });

  it('resolves with both in the request, or with them already present; resolved_at is set', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now }));
    const a = e.createRecord('incident', { short_description: 'a', correlation_id: 'keysteward:run-1', correlation_display: 'keysteward' });
    clock.advance(60_000);
    const r = await call(e, 'PATCH', `/api/now/table/incident/${a['sys_id']}`, { body: { state: '6', close_code: 'Solution provided', close_notes: 'Rotation retried and succeeded.' } });
    expect(r.status).toBe(200);
    expect(result<Row>(r)).toMatchObject({ state: '6', close_code: 'Solution provided', resolved_at: '2026-12-04 10:01:00', correlation_id: 'keysteward:run-1' });

    const b = e.createRecord('incident', { short_description: 'b' });
    await call(e, 'PATCH', `/api/now/table/incident/${b['sys_id']}`, { body: { state: '2', close_code: 'Workaround provided', close_notes: 'manual rotation' } });
    clock.advance(1000);
    const resolved = await call(e, 'PATCH', `/api/now/table/incident/${b['sys_id']}`, { body: { state: '6' } });
    expect(resolved.status).toBe(200);
    expect(result<Row>(resolved)).toMatchObject({ state: '6', resolved_at: '2026-12-04 10:01:01' });

    // Emptying the resolution of a resolved incident is refused too.
    const emptied = await call(e, 'PATCH', `/api/now/table/incident/${b['sys_id']}`, { body: { close_notes: '' } });
    expect(emptied.status).toBe(403);
  });

  it('the TS API applies the same policy', async () => {
    const e = (em = await startSnow(cert));
    const inc = e.createRecord('incident', {});
    expect(() => e.updateRecord('incident', inc['number'] ?? '', { state: '6' })).toThrow(/mandatory: Resolution code, Resolution notes/);
    expect(e.updateRecord('incident', inc['number'] ?? '', { state: '6', close_code: 'Solution provided', close_notes: 'ok' })['resolved_at']).not.toBe('');
  });
});
