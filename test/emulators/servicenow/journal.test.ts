// Journal fields: writing work_notes / comments appends sys_journal_field rows (by the acting user, at the clock's
// time); the record itself always reads "" for them; sys_journal_field can be queried by element_id.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ServiceNowEmulator } from '../../../emulators/servicenow/index.js';
import { call, devCert, KEYSTEWARD, manualClock, result, startSnow } from './support.js';

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

describe('work_notes and comments', () => {
  it('PATCH appends journal entries; the record returns "" for journal fields', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now }));
    const chg = e.createChange({ short_description: 'rotate sql-orders' });
    clock.advance(2000);
    const first = await call(e, 'PATCH', `/api/now/table/change_request/${chg['sys_id']}`, { body: { work_notes: 'keysteward: rotation started (run r-1)' } });
    expect(first.status).toBe(200);
    expect(result<Row>(first)).toMatchObject({ work_notes: '', comments: '', sys_mod_count: '1', sys_updated_by: KEYSTEWARD.name });
    clock.advance(3000);
    await call(e, 'PATCH', `/api/now/table/change_request/${chg['sys_id']}`, { body: { work_notes: 'keysteward: rotation completed', comments: 'Done.' } });
    // An empty note is no note.
    await call(e, 'PATCH', `/api/now/table/change_request/${chg['sys_id']}`, { body: { work_notes: '' } });

    expect(e.journal('change_request', chg['number'] ?? '')).toEqual([
      { element: 'work_notes', value: 'keysteward: rotation started (run r-1)', createdOn: '2026-12-04 10:00:02', createdBy: KEYSTEWARD.name },
      { element: 'work_notes', value: 'keysteward: rotation completed', createdOn: '2026-12-04 10:00:05', createdBy: KEYSTEWARD.name },
      { element: 'comments', value: 'Done.', createdOn: '2026-12-04 10:00:05', createdBy: KEYSTEWARD.name },
    ]);
    const read = result<Row>(await call(e, 'GET', `/api/now/table/change_request/${chg['sys_id']}`));
    expect(read['work_notes']).toBe('');
    expect(read['comments']).toBe('');
    expect(read['sys_mod_count']).toBe('2');
    expect(e.record('change_request', chg['sys_id'] ?? '')?.['work_notes']).toBe('');
  });

  it('a POST with work_notes journals against the new record', async () => {
    const e = (em = await startSnow(cert));
    const r = await call(e, 'POST', '/api/now/table/incident', { body: { short_description: 'rotation failed', work_notes: 'opened by keysteward' } });
    const inc = result<Row>(r);
    expect(inc['work_notes']).toBe('');
    expect(e.journal('incident', inc['sys_id'] ?? '')).toMatchObject([{ element: 'work_notes', value: 'opened by keysteward', createdBy: KEYSTEWARD.name }]);
  });

  it('sys_journal_field rows can be queried by element_id and element, ordered by sys_created_on', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now }));
    const a = e.createChange({});
    const b = e.createChange({});
    await call(e, 'PATCH', `/api/now/table/change_request/${a['sys_id']}`, { body: { work_notes: 'a-1' } });
    clock.advance(1000);
    await call(e, 'PATCH', `/api/now/table/change_request/${b['sys_id']}`, { body: { work_notes: 'b-1' } });
    clock.advance(1000);
    await call(e, 'PATCH', `/api/now/table/change_request/${a['sys_id']}`, { body: { work_notes: 'a-2', comments: 'a-c' } });

    const query = encodeURIComponent(`element_id=${a['sys_id']}^element=work_notes^ORDERBYDESCsys_created_on`);
    const r = await call(e, 'GET', `/api/now/table/sys_journal_field?sysparm_query=${query}`);
    expect(r.status).toBe(200);
    const rows = result<Row[]>(r);
    expect(rows.map((x) => x['value'])).toEqual(['a-2', 'a-1']);
    expect(rows[0]).toEqual({
      sys_id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown as string,
      element_id: a['sys_id'],
      name: 'change_request',
      element: 'work_notes',
      value: 'a-2',
      sys_created_on: '2026-12-04 10:00:02',
      sys_created_by: KEYSTEWARD.name,
    });
    expect(r.headers.get('x-total-count')).toBe('2');
    const one = await call(e, 'GET', `/api/now/table/sys_journal_field/${rows[0]?.['sys_id']}`);
    expect(result<Row>(one)['value']).toBe('a-2');
  });

  it('updateRecord journals as admin (or the given sys_updated_by)', async () => {
    const e = (em = await startSnow(cert));
    const chg = e.createChange({});
    const updated = e.updateRecord('change_request', chg['number'] ?? '', { work_notes: 'CAB approved', approval: 'approved' });
    expect(updated).toMatchObject({ work_notes: '', approval: 'approved', sys_updated_by: 'admin', sys_mod_count: '1' });
    e.updateRecord('change_request', chg['sys_id'] ?? '', { comments: 'thanks', sys_updated_by: 'cab.chair' });
    expect(e.journal('change_request', chg['sys_id'] ?? '').map((j) => [j.element, j.value, j.createdBy])).toEqual([
      ['work_notes', 'CAB approved', 'admin'],
      ['comments', 'thanks', 'cab.chair'],
    ]);
    expect(e.record('change_request', chg['sys_id'] ?? '')?.['sys_updated_by']).toBe('cab.chair');
    expect(e.records('sys_journal_field')).toHaveLength(2);
  });
});
