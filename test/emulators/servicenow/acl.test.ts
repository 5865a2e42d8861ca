// ACLs: change_request / incident need role itil or admin (empty list, 404 by id, 403 on write without it);
// their journal rows are hidden the same way; cmdb_ci is readable by all and writable by admin; sys_journal_field
// is never writable.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ServiceNowEmulator } from '../../../emulators/servicenow/index.js';
import { ADMIN, call, devCert, failure, NOBODY, result, startSnow } from './support.js';

let cert: DevCertificate;
let em: ServiceNowEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

const ACL_DENIED = failure('Operation Failed', 'ACL Exception Update Failed due to security constraints');
const NO_RECORD = failure('No Record found', "Record doesn't exist or ACL restricts the record retrieval");

describe('a user without itil or admin', () => {
  it('sees an empty list, gets 404 by sys_id and 403 on every write of change_request and incident', async () => {
    const e = (em = await startSnow(cert));
    const chg = e.createChange({ short_description: 'rotate' });
    const inc = e.createRecord('incident', { short_description: 'x' });

    for (const [table, rec] of [['change_request', chg], ['incident', inc]] as const) {
      const list = await call(e, 'GET', `/api/now/table/${table}`, { user: NOBODY });
      expect(list.status).toBe(200);
      expect(list.json).toEqual({ result: [] });
      expect(list.headers.get('x-total-count')).toBe('0');

      const one = await call(e, 'GET', `/api/now/table/${table}/${rec['sys_id']}`, { user: NOBODY });
      expect(one.status).toBe(404);
      expect(one.json).toEqual(NO_RECORD);

      for (const [method, path] of [
        ['POST', `/api/now/table/${table}`],
        ['PATCH', `/api/now/table/${table}/${rec['sys_id']}`],
        ['PUT', `/api/now/table/${table}/${rec['sys_id']}`],
      ] as const) {
        const w = await call(e, method, path, { user: NOBODY, body: { short_description: 'hijacked', work_notes: 'sneaky' } });
        expect(w.status).toBe(403);
        expect(w.json).toEqual(ACL_DENIED);
      }
    }
    expect(e.records('change_request')).toHaveLength(1);
    expect(e.record('change_request', chg['sys_id'] ?? '')?.['short_description']).toBe('rotate');
    expect(e.journal('change_request', chg['sys_id'] ?? '')).toEqual([]);
  });

  it('does not see the journal rows of change requests', async () => {
    const e = (em = await startSnow(cert));
    const chg = e.createChange({ work_notes: 'secret plan' });
    const rows = await call(e, 'GET', `/api/now/table/sys_journal_field?sysparm_query=element_id%3D${chg['sys_id']}`, { user: NOBODY });
    expect(rows.json).toEqual({ result: [] });
    const visible = await call(e, 'GET', `/api/now/table/sys_journal_field?sysparm_query=element_id%3D${chg['sys_id']}`);
    expect(result<unknown[]>(visible)).toHaveLength(1);
  });

  it('may read cmdb_ci and sys_user; only admin writes cmdb_ci', async () => {
    const e = (em = await startSnow(cert));
    e.createRecord('cmdb_ci', { name: 'sql-orders' });
    const cis = await call(e, 'GET', '/api/now/table/cmdb_ci', { user: NOBODY });
    expect(result<unknown[]>(cis)).toHaveLength(1);
    const users = await call(e, 'GET', '/api/now/table/sys_user?sysparm_fields=user_name', { user: NOBODY });
    expect(result<unknown[]>(users)).toEqual([{ user_name: 'svc.keysteward' }, { user_name: 'snow.admin' }, { user_name: 'read.nothing' }]);

    const itilWrite = await call(e, 'POST', '/api/now/table/cmdb_ci', { body: { name: 'x' } });
    expect(itilWrite.status).toBe(403);
    expect(itilWrite.json).toEqual(ACL_DENIED);
    const adminWrite = await call(e, 'POST', '/api/now/table/cmdb_ci', { user: ADMIN, body: { name: 'x' } });
    expect(adminWrite.status).toBe(201);
  });
});

describe('admin role', () => {
  it('reads and writes change requests like itil', async () => {
    const e = (em = await startSnow(cert));
    const chg = e.createChange({});
    const r = await call(e, 'PATCH', `/api/now/table/change_request/${chg['sys_id']}`, { user: ADMIN, body: { approval: 'approved' } });
    expect(r.status).toBe(200);
    expect(result(r)).toMatchObject({ approval: 'approved', sys_updated_by: ADMIN.name });
  });

  it('cannot write sys_journal_field (403)', async () => {
    const e = (em = await startSnow(cert));
    const chg = e.createChange({ work_notes: 'n' });
    const row = result<Record<string, string>[]>(await call(e, 'GET', '/api/now/table/sys_journal_field'))[0];
    const post = await call(e, 'POST', '/api/now/table/sys_journal_field', { user: ADMIN, body: { element_id: chg['sys_id'], element: 'work_notes', value: 'forged' } });
    expect(post.status).toBe(403);
    expect(post.json).toEqual(ACL_DENIED);
    const patch = await call(e, 'PATCH', `/api/now/table/sys_journal_field/${row?.['sys_id']}`, { user: ADMIN, body: { value: 'edited' } });
    expect(patch.status).toBe(403);
    expect(e.journal('change_request', chg['sys_id'] ?? '').map((j) => j.value)).toEqual(['n']);
  });
});
