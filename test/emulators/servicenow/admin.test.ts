// The admin HTTP API under /_admin (unauthenticated, JSON, errors as {"error"}) and the strictness of the TS API
// it shares: numbering, seeded sys fields, refused typos.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { JournalEntry, ServiceNowEmulator, ServiceNowRecord } from '../../../emulators/servicenow/index.js';
import { call, devCert, manualClock, result, startSnow } from './support.js';

let cert: DevCertificate;
let em: ServiceNowEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

async function admin(e: ServiceNowEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await call(e, method, path, { user: null, ...(body === undefined ? {} : { body }) });
  return { status: r.status, json: r.json };
}

describe('admin API', () => {
  it('creates, approves, reads records and journals', async () => {
    const e = (em = await startSnow(cert));
    const created = await admin(e, 'POST', '/_admin/change_request', { short_description: 'rotate sql-orders', u_keysteward_protector: 'sql-orders', approval: 'requested' });
    expect(created.status).toBe(201);
    const chg = created.json as ServiceNowRecord;
    expect(chg).toMatchObject({ number: 'CHG0030001', approval: 'requested', state: '-5', sys_created_by: 'admin' });

    const approved = await admin(e, 'PATCH', '/_admin/change_request/CHG0030001', { approval: 'approved', state: '-2', work_notes: 'CAB approved' });
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({ approval: 'approved', state: '-2', sys_mod_count: '1' });

    // The Table API sees the admin's change.
    const viaApi = result<Record<string, string>>(await call(e, 'GET', `/api/now/table/change_request/${chg['sys_id']}?sysparm_fields=approval,state`));
    expect(viaApi).toEqual({ approval: 'approved', state: '-2' });

    expect((await admin(e, 'GET', `/_admin/change_request/${chg['sys_id']}`)).json).toMatchObject({ number: 'CHG0030001', approval: 'approved' });
    const journal = (await admin(e, 'GET', '/_admin/change_request/CHG0030001/journal')).json as JournalEntry[];
    expect(journal).toMatchObject([{ element: 'work_notes', value: 'CAB approved', createdBy: 'admin' }]);
    const all = (await admin(e, 'GET', '/_admin/change_request')).json as ServiceNowRecord[];
    expect(all.map((r) => r['number'])).toEqual(['CHG0030001']);
    expect(((await admin(e, 'GET', '/_admin/sys_user')).json as ServiceNowRecord[]).map((u) => u['user_name'])).toEqual(['svc.keysteward', 'snow.admin', 'read.nothing']);
  });

  it('outage on and off, the request and outbound logs', async () => {
    const e = (em = await startSnow(cert));
    expect((await admin(e, 'POST', '/_admin/outage', { status: 503, count: 1 })).status).toBe(204);
    expect((await call(e, 'GET', '/api/now/table/incident')).status).toBe(503);
    expect((await call(e, 'GET', '/api/now/table/incident')).status).toBe(200);
    expect((await admin(e, 'POST', '/_admin/outage', { status: 502 })).status).toBe(204);
    expect((await call(e, 'GET', '/api/now/table/incident')).status).toBe(502);
    expect((await admin(e, 'POST', '/_admin/outage', {})).status).toBe(204);
    expect((await call(e, 'GET', '/api/now/table/incident')).status).toBe(200);
    expect((await admin(e, 'POST', '/_admin/outage', { status: 503 })).status).toBe(204);
    expect((await admin(e, 'POST', '/_admin/outage', null)).status).toBe(204);
    expect((await call(e, 'GET', '/api/now/table/incident')).status).toBe(200);

    const requests = (await admin(e, 'GET', '/_admin/requests')).json as { status: number }[];
    expect(requests.map((r) => r.status)).toEqual([503, 200, 502, 200, 200]);
    expect((await admin(e, 'GET', '/_admin/outbound')).json).toEqual([]);
  });

  it('errors: 404 unknown table / record / endpoint, 400 bad input, 405 wrong method', async () => {
    const e = (em = await startSnow(cert));
    e.createChange({});
    const cases: [string, string, unknown, number, RegExp][] = [
      ['GET', '/_admin/u_nothing', undefined, 404, /unknown table u_nothing/],
      ['GET', '/_admin/change_request/CHG0039999', undefined, 404, /unknown change_request record CHG0039999/],
      ['GET', '/_admin/change_request/CHG0039999/journal', undefined, 404, /unknown/],
      ['POST', '/_admin/change_request', { approval: 'Approved' }, 400, /approval must be one of/],
      ['POST', '/_admin/change_request', { short_descripton: 'typo' }, 400, /short_descripton is not a field/],
      ['POST', '/_admin/change_request', { sys_mod_count: '5' }, 400, /sys_mod_count cannot be set/],
      ['POST', '/_admin/change_request', { number: 'CHG0030001' }, 400, /already used/],
      ['POST', '/_admin/change_request', { cmdb_ci: 'f'.repeat(32) }, 400, /sys_id of a cmdb_ci record/],
      ['POST', '/_admin/change_request', { short_description: { nested: true } }, 400, /must be a string/],
      ['POST', '/_admin/change_request', [1, 2], 400, /JSON object/],
      ['POST', '/_admin/sys_journal_field', { value: 'x' }, 400, /read-only/],
      ['PATCH', '/_admin/change_request/CHG0030001', { start_date: '2026-13-01 00:00:00' }, 400, /YYYY-MM-DD HH:mm:ss/],
      ['POST', '/_admin/outage', { status: 'down' }, 400, /status/],
      ['POST', '/_admin/outage', { status: 302 }, 400, /400-599/],
      ['POST', '/_admin/send', { url: 'http://127.0.0.1:9/x', secret: 's' }, 400, /change is required/],
      ['POST', '/_admin/send', { url: 'http://127.0.0.1:9/x', secret: 's', change: 'CHG0039999', protector: 'p' }, 404, /unknown change/],
      ['DELETE', '/_admin/change_request/CHG0030001', undefined, 405, /use GET or PATCH/],
      ['GET', '/_admin/change_request/CHG0030001/x/y', undefined, 404, /no such admin endpoint/],
    ];
    for (const [method, path, body, status, text] of cases) {
      const r = await admin(e, method, path, body);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect((r.json as { error: string }).error).toMatch(text);
    }
    const raw = await call(e, 'POST', '/_admin/change_request', { user: null, body: '{not json' });
    expect(raw.status).toBe(400);
    expect(e.records('change_request')).toHaveLength(1);
  });
});

describe('TS API', () => {
  it('numbers in sequence, skips given numbers, and honours seeded sys fields', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now }));
    expect(e.createChange({ number: 'CHG0030002' })['number']).toBe('CHG0030002');
    expect(e.createChange({})['number']).toBe('CHG0030001');
    expect(e.createChange({})['number']).toBe('CHG0030003');
    const sysId = '0123456789abcdef0123456789abcdef';
    const seeded = e.createChange({ sys_id: sysId, sys_created_by: 'change.manager', sys_created_on: '2026-11-30 08:00:00' });
    expect(seeded).toMatchObject({ sys_id: sysId, sys_created_by: 'change.manager', sys_updated_by: 'change.manager', sys_created_on: '2026-11-30 08:00:00', sys_updated_on: '2026-11-30 08:00:00' });
    expect(e.record('change_request', 'chg0030004')?.['sys_id']).toBe(sysId);
    expect(e.record('change_request', 'CHG0099999')).toBeNull();
    expect(e.createRecord('cmdb_ci', { name: 'sql-orders' })['sys_class_name']).toBe('cmdb_ci');
    expect(e.record('cmdb_ci', 'sql-orders')?.['name']).toBe('sql-orders');
    expect(e.createRecord('incident', {})['number']).toBe('INC0010001');

    expect(() => e.createRecord('problem', {})).toThrow(/unknown table problem/);
    expect(() => e.updateRecord('change_request', 'CHG0099999', {})).toThrow(/unknown change_request record/);
    expect(() => e.journal('incident', 'INC0099999')).toThrow(/unknown incident record/);
    expect(() => e.createChange({ sys_id: sysId })).toThrow(/sys_id/);
    expect(() => e.updateRecord('change_request', sysId, { sys_created_by: 'x' })).toThrow(/cannot be set on update/);

    // Snapshots are copies.
    const snap = e.record('change_request', sysId) as Record<string, string>;
    snap['approval'] = 'approved';
    expect(e.record('change_request', sysId)?.['approval']).toBe('not requested');
  });
});
