// The Log Analytics emulator through the real LogsQueryClient (bearer token over HTTPS, endpoint ending in /v1),
// plus raw requests for the exact wire shape and the refusals the SDK never provokes.
import { isRestError } from '@azure/core-rest-pipeline';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import type { LogsQueryResult } from '@azure/monitor-query-logs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import { auditRecordToAzkvRow, startLogAnalyticsEmulator } from '../../../emulators/loganalytics/index.js';
import type { LogAnalyticsEmulator, LogAnalyticsEmulatorOptions, LogRow } from '../../../emulators/loganalytics/index.js';
import { auditFixture } from '../../adapters/loganalytics/fixtures.js';
import { devCert, rawRequest, trustPolicies } from '../email/devTls.js';

const WORKSPACE = '6f0e2a1b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const NOW = Date.parse('2026-03-03T03:00:00Z');
const credential = new LocalEmulatorCredential({ oid: '0c0ffee0-0000-4000-8000-00000000c0de' });

let cert: DevCertificate;
let emulator: LogAnalyticsEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A tiny typed table: one row per minute-offset before NOW. */
function minuteRows(minutesAgo: number[]): LogRow[] {
  return minutesAgo.map((m) => ({
    TimeGenerated: { type: 'datetime', value: new Date(NOW - m * 60_000).toISOString() },
    Minutes: { type: 'int', value: m },
    Name: { type: 'string', value: `row-${m}` },
    Flag: { type: 'bool', value: m % 2 === 0 },
    Ratio: { type: 'real', value: m / 4 },
    Bag: { type: 'dynamic', value: { m, tags: ['a'] } },
  }));
}

async function start(extra: Partial<LogAnalyticsEmulatorOptions> = {}): Promise<LogAnalyticsEmulator> {
  emulator = await startLogAnalyticsEmulator({ tls: cert, workspaceId: WORKSPACE, tables: { Minutes: () => minuteRows([1, 10, 50, 70, 200, 2000]) }, clock: () => NOW, ...extra });
  return emulator;
}

const client = (endpoint: string) => new LogsQueryClient(credential, { endpoint, additionalPolicies: trustPolicies(cert) });

function names(result: LogsQueryResult): unknown[] {
  if (result.status !== LogsQueryResultStatus.Success) throw new Error(`status ${result.status}`);
  const table = result.tables[0];
  const at = table?.columnDescriptors.findIndex((c) => c.name === 'Name') ?? -1;
  return (table?.rows ?? []).map((r) => r[at]);
}

const WIDE = { startTime: new Date(NOW - 7 * 86_400_000), endTime: new Date(NOW + 1) };

describe('Log Analytics emulator through LogsQueryClient', () => {
  it('serves typed columns: datetime → Date, dynamic → object, int/bool/real/string as sent', async () => {
    const la = await start();
    const result = await client(la.endpoint).queryWorkspace(WORKSPACE, 'Minutes | take 1', WIDE);
    expect(result.status).toBe(LogsQueryResultStatus.Success);
    if (result.status !== LogsQueryResultStatus.Success) return;
    const [table] = result.tables;
    expect(table?.name).toBe('PrimaryResult');
    expect(table?.columnDescriptors).toEqual([
      { name: 'TimeGenerated', type: 'datetime' },
      { name: 'Minutes', type: 'int' },
      { name: 'Name', type: 'string' },
      { name: 'Flag', type: 'bool' },
      { name: 'Ratio', type: 'real' },
      { name: 'Bag', type: 'dynamic' },
    ]);
    expect(table?.rows).toEqual([[new Date(NOW - 60_000), 1, 'row-1', false, 0.25, { m: 1, tags: ['a'] }]]);
  });

  it.each([
    ['Minutes | where TimeGenerated > ago(1h)', ['row-1', 'row-10', 'row-50']],
    ['Minutes | where TimeGenerated > ago(2h) | take 3', ['row-1', 'row-10', 'row-50']],
    // between is inclusive at both ends: 01:50 is exactly 70 minutes before NOW, 02:50 exactly 10.
    ['Minutes | where TimeGenerated between (datetime(2026-03-03T01:50:00Z) .. datetime(2026-03-03T02:50:00Z))', ['row-10', 'row-50', 'row-70']],
    ['Minutes | where TimeGenerated between (datetime(2026-03-03T01:50:00.001Z) .. datetime(2026-03-03T02:49:59Z))', ['row-50']],
    ['Minutes | order by TimeGenerated asc | take 2', ['row-2000', 'row-200']],
    ['Minutes | where TimeGenerated < ago(1d)', ['row-2000']],
  ])('%s', async (query, expected) => {
    const la = await start();
    expect(names(await client(la.endpoint).queryWorkspace(WORKSPACE, query, WIDE))).toEqual(expected);
  });

  it('applies the timespan (duration, or start/end) before the query', async () => {
    const la = await start();
    const c = client(la.endpoint);
    expect(names(await c.queryWorkspace(WORKSPACE, 'Minutes', { duration: 'PT1H' }))).toEqual(['row-1', 'row-10', 'row-50']);
    expect(names(await c.queryWorkspace(WORKSPACE, 'Minutes', { startTime: new Date(NOW - 100 * 60_000), endTime: new Date(NOW - 10 * 60_000) }))).toEqual(['row-50', 'row-70']);
    expect(la.requests().map((r) => r.timespan)).toEqual(['PT1H', `${new Date(NOW - 100 * 60_000).toISOString()}/${new Date(NOW - 10 * 60_000).toISOString()}`]);
  });

  it('an unknown table is a 400 BadArgumentError RestError', async () => {
    const la = await start();
    const err = await client(la.endpoint).queryWorkspace(WORKSPACE, 'NoSuchTable | take 1', WIDE).catch((e: unknown) => e);
    expect(isRestError(err)).toBe(true);
    expect(err).toMatchObject({ statusCode: 400, code: 'BadArgumentError' });
  });

  it('a partial error comes back as PartialFailure with the partial tables', async () => {
    const la = await start();
    la.setPartialError({ code: 'QueryExecutionLimitExceeded', message: 'too much data' });
    const result = await client(la.endpoint).queryWorkspace(WORKSPACE, 'Minutes | take 2', WIDE);
    expect(result.status).toBe(LogsQueryResultStatus.PartialFailure);
    if (result.status !== LogsQueryResultStatus.PartialFailure) return;
    expect(result.partialTables[0]?.rows).toHaveLength(2);
    expect(result.partialError.code).toBe('PartialError');
  });

  it('SDK gotcha: an endpoint without /v1 posts to /workspaces/… and gets 404', async () => {
    const la = await start();
    const err = await client(la.endpoint.replace(/\/v1$/, '')).queryWorkspace(WORKSPACE, 'Minutes', WIDE).catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 404, code: 'PathNotFoundError' });
  });

  it('another workspace id is 404 WorkspaceNotFoundError', async () => {
    const la = await start();
    const err = await client(la.endpoint).queryWorkspace('00000000-0000-0000-0000-000000000000', 'Minutes', WIDE).catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 404, code: 'WorkspaceNotFoundError' });
  });

  it('tables are read at each query (a live view)', async () => {
    const live: LogRow[] = [];
    const la = await start({ tables: { AZKVAuditLogs: () => live } });
    const c = client(la.endpoint);
    const first = await c.queryWorkspace(WORKSPACE, 'AZKVAuditLogs', WIDE);
    expect(first.status === LogsQueryResultStatus.Success ? first.tables[0]?.rows : null).toEqual([]);
    // An empty AZKVAuditLogs result still names the table's columns.
    expect(first.status === LogsQueryResultStatus.Success ? first.tables[0]?.columnDescriptors.length : 0).toBeGreaterThan(40);
    live.push(auditRecordToAzkvRow(auditFixture('unwrap-forbidden-rbac.envelope.json')));
    const second = await c.queryWorkspace(WORKSPACE, 'AZKVAuditLogs', WIDE);
    expect(second.status === LogsQueryResultStatus.Success ? second.tables[0]?.rows.length : 0).toBe(1);
  });
});

describe('Log Analytics emulator: raw requests', () => {
  const post = (la: LogAnalyticsEmulator, body: unknown, headers: Record<string, string> = {}) =>
    rawRequest(cert, `${la.endpoint}/workspaces/${WORKSPACE}/query`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('answers in the documented wire shape: datetime ISO text, dynamic JSON text', async () => {
    const row = auditRecordToAzkvRow(auditFixture('unwrap-forbidden-rbac.envelope.json'));
    const la = await start({ tables: { AZKVAuditLogs: () => [row] } });
    const { token } = await credential.getToken('https://api.loganalytics.io/.default');
    const res = await post(la, { query: 'AZKVAuditLogs | project TimeGenerated, OperationName, HttpStatusCode, Identity' }, { authorization: `Bearer ${token}`, prefer: 'include-statistics=true' });
    expect(res.status).toBe(200);
    expect(decodeURIComponent(String(res.headers['x-keysteward-ignored-operators']))).toBe('project TimeGenerated, OperationName, HttpStatusCode, Identity');
    const body = JSON.parse(res.text) as { tables: Array<{ columns: Array<{ name: string; type: string }>; rows: unknown[][] }>; statistics?: unknown };
    const table = body.tables[0];
    const cell = (name: string) => table?.rows[0]?.[table.columns.findIndex((c) => c.name === name)];
    expect(table?.columns.slice(0, 3)).toEqual([{ name: 'TenantId', type: 'string' }, { name: 'TimeGenerated', type: 'datetime' }, { name: 'OperationName', type: 'string' }]);
    expect(cell('TimeGenerated')).toBe('2026-03-03T02:17:45.903441Z');
    expect(cell('OperationName')).toBe('KeyUnwrap');
    expect(cell('HttpStatusCode')).toBe(403);
    expect(cell('IsRbacAuthorized')).toBe(false);
    expect(cell('IsAccessPolicyMatch')).toBeNull();
    expect(cell('DurationMs')).toBe(6);
    expect(typeof cell('Identity')).toBe('string');
    expect(JSON.parse(String(cell('Identity')))).toMatchObject({ claim: { oid: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c' } });
    expect(cell('_ResourceId')).toBe('/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourcegroups/rg-data-prod/providers/microsoft.keyvault/vaults/kv-cmk-prod-eus');
    expect(body.statistics).toBeDefined();
  });

  it('no bearer token → 401 AuthorizationRequiredError; a token for another audience → 401', async () => {
    const la = await start();
    const none = await post(la, { query: 'Minutes' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toMatchObject({ error: { code: 'AuthorizationRequiredError' } });
    const { token } = await credential.getToken('https://vault.azure.net/.default');
    expect((await post(la, { query: 'Minutes' }, { authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('bad body, bad query and bad timespan are 400 BadArgumentError', async () => {
    const la = await start();
    const { token } = await credential.getToken('https://api.loganalytics.io/.default');
    const auth = { authorization: `Bearer ${token}` };
    for (const body of [{}, { query: 'Minutes | take lots' }, { query: 'Minutes', timespan: 'last week' }]) {
      const res = await post(la, body, auth);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'BadArgumentError' } });
    }
  });
});
