// GET / POST / PATCH / PUT of single records: 201 + Location, defaults, numbering, unknown fields ignored, sys_*
// fields not settable, u_* custom fields, sys_mod_count, invalid JSON, invalid tables, unknown sys_ids.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ServiceNowEmulator } from '../../../emulators/servicenow/index.js';
import { call, devCert, failure, KEYSTEWARD, manualClock, result, startSnow } from './support.js';

let cert: DevCertificate;
let em: ServiceNowEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

const NO_RECORD = failure('No Record found', "Record doesn't exist or ACL restricts the record retrieval");

describe('POST /api/now/table/{table}', () => {
  it('creates a change with defaults, a number, sys fields and a Location header', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now }));
    const r = await call(e, 'POST', '/api/now/table/change_request', { body: { short_description: 'Rotate TDE protector', u_keysteward_protector: 'sql-orders' } });
    expect(r.status).toBe(201);
    const rec = result<Record<string, string>>(r);
    expect(rec).toMatchObject({
      number: 'CHG0030001',
      short_description: 'Rotate TDE protector',
      description: '',
      approval: 'not requested',
      state: '-5',
      type: 'normal',
      start_date: '',
      end_date: '',
      cmdb_ci: '',
      requested_by: '',
      work_notes: '',
      comments: '',
      u_keysteward_protector: 'sql-orders',
      sys_created_on: '2026-12-04 10:00:00',
      sys_updated_on: '2026-12-04 10:00:00',
      sys_created_by: KEYSTEWARD.name,
      sys_updated_by: KEYSTEWARD.name,
      sys_mod_count: '0',
    });
    expect(rec['sys_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(r.headers.get('location')).toBe(`${e.url}/api/now/table/change_request/${rec['sys_id']}`);
    expect(Object.values(rec).every((v) => typeof v === 'string')).toBe(true);

    const second = result<Record<string, string>>(await call(e, 'POST', '/api/now/table/change_request', { body: {} }));
    expect(second['number']).toBe('CHG0030002');
    const inc = result<Record<string, string>>(await call(e, 'POST', '/api/now/table/incident', { body: { short_description: 'x' } }));
    expect(inc).toMatchObject({ number: 'INC0010001', urgency: '3', impact: '3', priority: '5', state: '1' });
  });

  it('ignores unknown fields and sys_* fields silently; coerces scalars to strings', async () => {
    const e = (em = await startSnow(cert));
    const r = await call(e, 'POST', '/api/now/table/incident', {
      body: { short_description: 'db down', bogus_field: 'x', sys_id: 'f'.repeat(32), sys_created_by: 'mallory', sys_mod_count: '99', urgency: 1, impact: 2 },
    });
    expect(r.status).toBe(201);
    const rec = result<Record<string, string>>(r);
    expect(rec).not.toHaveProperty('bogus_field');
    expect(rec['sys_id']).not.toBe('f'.repeat(32));
    expect(rec).toMatchObject({ sys_created_by: KEYSTEWARD.name, sys_mod_count: '0', urgency: '1', impact: '2', priority: '2' });
    expect(e.record('incident', rec['number'] ?? '')).not.toHaveProperty('bogus_field');
  });

  it('400 for a body that is not JSON, and for an unknown table', async () => {
    const e = (em = await startSnow(cert));
    const bad = await call(e, 'POST', '/api/now/table/incident', { body: '{"short_description": ' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual(failure('Exception while reading request', 'The payload is not valid JSON.'));
    expect(e.records('incident')).toEqual([]);

    for (const [method, path] of [
      ['GET', '/api/now/table/u_secrets'],
      ['POST', '/api/now/table/u_secrets'],
      ['GET', '/api/now/table/u_secrets/0123456789abcdef0123456789abcdef'],
    ] as const) {
      const r = await call(e, method, path, method === 'POST' ? { body: {} } : {});
      expect(r.status).toBe(400);
      expect(r.json).toEqual(failure('Invalid table u_secrets', null));
    }
  });
});

describe('GET /api/now/table/{table}/{sys_id}', () => {
  it('answers the record, honours sysparm_fields, and 404s an unknown sys_id', async () => {
    const e = (em = await startSnow(cert));
    const chg = e.createChange({ short_description: 'rotate', approval: 'approved' });
    const r = await call(e, 'GET', `/api/now/table/change_request/${chg['sys_id']}?sysparm_fields=number,approval,nonexistent`);
    expect(r.status).toBe(200);
    expect(result(r)).toEqual({ number: chg['number'], approval: 'approved' });

    const full = result(await call(e, 'GET', `/api/now/table/change_request/${chg['sys_id']}`));
    expect(full).toEqual(chg);

    const missing = await call(e, 'GET', '/api/now/table/change_request/0123456789abcdef0123456789abcdef');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual(NO_RECORD);
    // A number is not a sys_id: the Table API looks records up by sys_id only.
    expect((await call(e, 'GET', `/api/now/table/change_request/${chg['number']}`)).status).toBe(404);
  });

  it('the versioned path /api/now/v2/table serves the same records', async () => {
    const e = (em = await startSnow(cert));
    const chg = e.createChange({});
    const r = await call(e, 'GET', `/api/now/v2/table/change_request/${chg['sys_id']}`);
    expect(r.status).toBe(200);
    expect(result(r)['number']).toBe('CHG0030001');
  });

  it('paths outside the Table API answer "Requested URI does not represent any resource"', async () => {
    const e = (em = await startSnow(cert));
    const r = await call(e, 'GET', '/api/now/attachment');
    expect(r.status).toBe(400);
    expect(r.json).toEqual(failure('Requested URI does not represent any resource', null));
    const del = await call(e, 'DELETE', '/api/now/table/incident/0123456789abcdef0123456789abcdef');
    expect(del.status).toBe(405);
  });
});

describe('PATCH / PUT /api/now/table/{table}/{sys_id}', () => {
  it('updates the given fields only, bumps sys_mod_count and sys_updated_*, ignores sys_* and unknown fields', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now }));
    const chg = e.createChange({ short_description: 'rotate', u_keysteward_protector: 'sql-orders' });
    clock.advance(65_000);
    const r = await call(e, 'PATCH', `/api/now/table/change_request/${chg['sys_id']}`, {
      body: { state: '-4', approval: 'requested', sys_updated_by: 'mallory', sys_created_on: '2000-01-01 00:00:00', nonsense: '1', u_keysteward_run: 'run-42' },
    });
    expect(r.status).toBe(200);
    expect(result(r)).toMatchObject({
      short_description: 'rotate',
      u_keysteward_protector: 'sql-orders',
      u_keysteward_run: 'run-42',
      state: '-4',
      approval: 'requested',
      sys_created_on: '2026-12-04 10:00:00',
      sys_created_by: 'admin',
      sys_updated_on: '2026-12-04 10:01:05',
      sys_updated_by: KEYSTEWARD.name,
      sys_mod_count: '1',
    });
    expect(result(r)).not.toHaveProperty('nonsense');

    // PUT is a partial update too.
    const put = await call(e, 'PUT', `/api/now/table/change_request/${chg['sys_id']}`, { body: { description: 'details' } });
    expect(put.status).toBe(200);
    expect(result(put)).toMatchObject({ description: 'details', state: '-4', sys_mod_count: '2' });

    // A write that changes nothing is no update.
    clock.advance(1000);
    const same = await call(e, 'PATCH', `/api/now/table/change_request/${chg['sys_id']}`, { body: { description: 'details' } });
    expect(result(same)).toMatchObject({ sys_mod_count: '2', sys_updated_on: '2026-12-04 10:01:05' });

    // A custom column written on one record exists (empty) on the others.
    const other = e.createChange({});
    expect(other['u_keysteward_run']).toBe('');
  });

  it('invalid choice and date values are not stored', async () => {
    const e = (em = await startSnow(cert));
    const chg = e.createChange({});
    const r = await call(e, 'PATCH', `/api/now/table/change_request/${chg['sys_id']}`, { body: { approval: 'Approved', state: '99', start_date: 'tomorrow', end_date: '2026-12-05 02:00:00' } });
    expect(r.status).toBe(200);
    expect(result(r)).toMatchObject({ approval: 'not requested', state: '-5', start_date: '', end_date: '2026-12-05 02:00:00' });
  });

  it('404 for an unknown sys_id, 400 for invalid JSON', async () => {
    const e = (em = await startSnow(cert));
    const missing = await call(e, 'PATCH', '/api/now/table/incident/0123456789abcdef0123456789abcdef', { body: { state: '2' } });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual(NO_RECORD);
    const inc = e.createRecord('incident', { short_description: 'x' });
    const bad = await call(e, 'PATCH', `/api/now/table/incident/${inc['sys_id']}`, { body: 'state=2' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual(failure('Exception while reading request', 'The payload is not valid JSON.'));
  });
});
