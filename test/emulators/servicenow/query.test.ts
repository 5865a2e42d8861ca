// List queries: sysparm_query (= != IN STARTSWITH LIKE, ^, ORDERBY / ORDERBYDESC), sysparm_fields, paging with
// X-Total-Count and Link, and reference fields with and without sysparm_exclude_reference_link.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ServiceNowEmulator } from '../../../emulators/servicenow/index.js';
import { call, devCert, KEYSTEWARD, result, startSnow } from './support.js';

let cert: DevCertificate;
let em: ServiceNowEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

type Row = Record<string, unknown>;

const q = (query: string): string => `sysparm_query=${encodeURIComponent(query)}`;

async function seed(): Promise<ServiceNowEmulator> {
  const e = (em = await startSnow(cert));
  e.createChange({ short_description: 'Rotate sql-orders protector', approval: 'approved', state: '-2', u_keysteward_protector: 'sql-orders' });
  e.createChange({ short_description: 'Rotate sql-billing protector', approval: 'requested', state: '-3', u_keysteward_protector: 'sql-billing' });
  e.createChange({ short_description: 'Patch web servers', approval: 'approved', state: '-1' });
  e.createChange({ short_description: 'Rotate cosmos-main CMK', approval: 'rejected', state: '4', u_keysteward_protector: 'cosmos-main' });
  return e;
}

const numbers = (rows: readonly Row[]): unknown[] => rows.map((r) => r['number']);

describe('sysparm_query', () => {
  it('= joined by ^', async () => {
    const e = await seed();
    const r = await call(e, 'GET', `/api/now/table/change_request?${q('approval=approved^state=-2')}`);
    expect(r.status).toBe(200);
    expect(numbers(result<Row[]>(r))).toEqual(['CHG0030001']);
    expect(r.headers.get('x-total-count')).toBe('1');
  });

  it('IN, !=, STARTSWITH, LIKE (case-insensitive) and u_ fields', async () => {
    const e = await seed();
    const get = async (query: string): Promise<unknown[]> => numbers(result<Row[]>(await call(e, 'GET', `/api/now/table/change_request?${q(query)}`)));
    expect(await get('numberINCHG0030002,CHG0030004,CHG0039999')).toEqual(['CHG0030002', 'CHG0030004']);
    expect(await get('approval!=approved')).toEqual(['CHG0030002', 'CHG0030004']);
    expect(await get('short_descriptionSTARTSWITHrotate sql')).toEqual(['CHG0030001', 'CHG0030002']);
    expect(await get('short_descriptionLIKEprotector^approval=requested')).toEqual(['CHG0030002']);
    expect(await get('u_keysteward_protector=cosmos-main')).toEqual(['CHG0030004']);
    expect(await get('u_keysteward_protectorISEMPTY')).toEqual(['CHG0030003']);
  });

  it('ORDERBYDESC / ORDERBY (integer fields numerically); unsupported conditions match nothing', async () => {
    const e = await seed();
    const get = async (query: string): Promise<unknown[]> => numbers(result<Row[]>(await call(e, 'GET', `/api/now/table/change_request?${q(query)}`)));
    expect(await get('ORDERBYDESCnumber')).toEqual(['CHG0030004', 'CHG0030003', 'CHG0030002', 'CHG0030001']);
    expect(await get('approval=approved^ORDERBYDESCstate')).toEqual(['CHG0030003', 'CHG0030001']);
    expect(await get('ORDERBYstate')).toEqual(['CHG0030002', 'CHG0030001', 'CHG0030003', 'CHG0030004']);
    expect(await get('ORDERBYapproval^ORDERBYDESCnumber')).toEqual(['CHG0030003', 'CHG0030001', 'CHG0030004', 'CHG0030002']);
    expect(await get('state>-3')).toEqual([]);
    expect(await get('no_such_field=1')).toEqual([]);
    expect(await get('approval=approved^ORapproval=rejected')).toEqual([]);
  });
});

describe('sysparm_fields, paging', () => {
  it('sysparm_fields limits the returned fields', async () => {
    const e = await seed();
    const r = await call(e, 'GET', `/api/now/table/change_request?${q('ORDERBYnumber')}&sysparm_fields=number,approval,sys_id`);
    const rows = result<Row[]>(r);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(['approval', 'number', 'sys_id']);
  });

  it('limit / offset with X-Total-Count before paging and a Link header while more remain', async () => {
    const e = await seed();
    const page1 = await call(e, 'GET', `/api/now/table/change_request?${q('ORDERBYnumber')}&sysparm_limit=3&sysparm_fields=number`);
    expect(numbers(result<Row[]>(page1))).toEqual(['CHG0030001', 'CHG0030002', 'CHG0030003']);
    expect(page1.headers.get('x-total-count')).toBe('4');
    const link = page1.headers.get('link') ?? '';
    const next = /<([^>]+)>;rel="next"/.exec(link)?.[1];
    expect(next).toBeDefined();
    expect(link).toMatch(/<[^>]+>;rel="first"/);
    expect(link).toMatch(/<[^>]+>;rel="last"/);
    const nextUrl = new URL(next ?? '');
    expect(nextUrl.origin).toBe(e.url);
    expect(nextUrl.pathname).toBe('/api/now/table/change_request');
    expect(nextUrl.searchParams.get('sysparm_offset')).toBe('3');
    expect(nextUrl.searchParams.get('sysparm_limit')).toBe('3');
    expect(nextUrl.searchParams.get('sysparm_query')).toBe('ORDERBYnumber');

    const page2 = await call(e, 'GET', `${nextUrl.pathname}${nextUrl.search}`);
    expect(numbers(result<Row[]>(page2))).toEqual(['CHG0030004']);
    expect(page2.headers.get('x-total-count')).toBe('4');
    expect(page2.headers.get('link') ?? '').not.toContain('rel="next"');
    expect(page2.headers.get('link') ?? '').toContain('rel="prev"');

    const all = await call(e, 'GET', '/api/now/table/change_request');
    expect(result<Row[]>(all)).toHaveLength(4);
    expect(all.headers.get('link')).toBeNull();
  });
});

describe('reference fields', () => {
  it('render as {link,value} by default, plain sys_ids with sysparm_exclude_reference_link=true, "" when empty', async () => {
    const e = (em = await startSnow(cert));
    const ci = e.createRecord('cmdb_ci', { name: 'sql-orders', sys_class_name: 'cmdb_ci_db_mssql_instance' });
    const user = e.record('sys_user', KEYSTEWARD.name);
    expect(user).not.toBeNull();
    const chg = e.createChange({ cmdb_ci: ci['sys_id'] ?? '', requested_by: user?.['sys_id'] ?? '' });
    e.createChange({});

    const linked = result<Row[]>(await call(e, 'GET', `/api/now/table/change_request?${q('ORDERBYnumber')}&sysparm_fields=number,cmdb_ci,requested_by`));
    expect(linked[0]).toEqual({
      number: chg['number'],
      cmdb_ci: { link: `${e.url}/api/now/table/cmdb_ci/${ci['sys_id']}`, value: ci['sys_id'] },
      requested_by: { link: `${e.url}/api/now/table/sys_user/${user?.['sys_id']}`, value: user?.['sys_id'] },
    });
    expect(linked[1]).toEqual({ number: 'CHG0030002', cmdb_ci: '', requested_by: '' });

    const plain = result<Row>(await call(e, 'GET', `/api/now/table/change_request/${chg['sys_id']}?sysparm_exclude_reference_link=true&sysparm_fields=cmdb_ci`));
    expect(plain).toEqual({ cmdb_ci: ci['sys_id'] });

    // The link resolves to the referenced record; reference fields can be queried by sys_id.
    const target = result<Row>(await call(e, 'GET', `/api/now/table/cmdb_ci/${ci['sys_id']}`));
    expect(target).toMatchObject({ name: 'sql-orders', sys_class_name: 'cmdb_ci_db_mssql_instance' });
    const byCi = result<Row[]>(await call(e, 'GET', `/api/now/table/change_request?${q(`cmdb_ci=${ci['sys_id']}`)}&sysparm_fields=number`));
    expect(byCi).toEqual([{ number: chg['number'] }]);
  });

  it('incident.caller_id is a sys_user reference', async () => {
    const e = (em = await startSnow(cert));
    const user = e.record('sys_user', KEYSTEWARD.name);
    const inc = e.createRecord('incident', { caller_id: user?.['sys_id'] ?? '' });
    const r = result<Row>(await call(e, 'GET', `/api/now/table/incident/${inc['sys_id']}?sysparm_fields=caller_id`));
    expect(r).toEqual({ caller_id: { link: `${e.url}/api/now/table/sys_user/${user?.['sys_id']}`, value: user?.['sys_id'] } });
  });
});
