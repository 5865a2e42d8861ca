// The reconcile reader through the real LogsQueryClient against the Log Analytics emulator over HTTPS, fed with
// rows mapped from the shared fixtures: what it returns normalises exactly like the Event Hubs copy.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../app/ports.js';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import { createAuditLogReader, LogAnalyticsQueryError } from '../../../adapters/loganalytics/index.js';
import { normaliseActivityRecord } from '../../../domain/normalise/activityLog.js';
import { normaliseAuditRecord } from '../../../domain/normalise/keyVaultAudit.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import { activityRecordToAzureActivityRow, auditRecordToAzkvRow, startLogAnalyticsEmulator } from '../../../emulators/loganalytics/index.js';
import type { LogAnalyticsEmulator, LogRow } from '../../../emulators/loganalytics/index.js';
import { devCert, trustPolicies } from '../../emulators/email/devTls.js';
import { activityFixtures, auditFixtures } from './fixtures.js';

const WORKSPACE = '6f0e2a1b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const credential = new LocalEmulatorCredential({ oid: '0c0ffee0-0000-4000-8000-00000000c0de' });
const ms = (iso: string): number => Date.parse(iso);

let cert: DevCertificate;
let emulator: LogAnalyticsEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

interface Warned {
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function capturingLog(): Logger & { warned: Warned[] } {
  const warned: Warned[] = [];
  return { warned, info: () => undefined, error: () => undefined, warn: (fields, message) => warned.push({ fields, message }) };
}

async function setup(tables: Record<string, () => readonly LogRow[]> = {
  // Stored newest first, so the reader's ordering is visible.
  AZKVAuditLogs: () => auditFixtures().reverse().map((f) => auditRecordToAzkvRow(f.record)),
  AzureActivity: () => activityFixtures().map((f) => activityRecordToAzureActivityRow(f.record)),
}) {
  emulator = await startLogAnalyticsEmulator({ tls: cert, workspaceId: WORKSPACE, tables });
  const log = capturingLog();
  const reader = createAuditLogReader({ credential, endpoint: emulator.endpoint, workspaceId: WORKSPACE, additionalPolicies: trustPolicies(cert), log });
  return { la: emulator, reader, log };
}

const ALL = [ms('2026-03-01T00:00:00Z'), ms('2026-03-06T00:00:00Z')] as const;

describe('createAuditLogReader', () => {
  it('re-reads every audit fixture, oldest first, normalising exactly like the Event Hubs records', async () => {
    const { reader, la } = await setup();
    const records = await reader.recentAuditRecords(...ALL);
    const expected = auditFixtures().sort((a, b) => ms(String(a.record['time'])) - ms(String(b.record['time'])));
    expect(records.map(normaliseAuditRecord)).toEqual(expected.map((f) => normaliseAuditRecord(f.record)));
    expect(records[0]).toMatchObject({ category: 'AuditEvent', time: '2026-03-02T14:05:11.482Z', operationName: 'KeyUnwrap' });
    const [sent] = la.requests();
    expect(sent?.query).toBe('AZKVAuditLogs | where TimeGenerated between (datetime(2026-03-01T00:00:00.000Z) .. datetime(2026-03-06T00:00:00.000Z)) | order by TimeGenerated asc');
    expect(sent?.timespan).toBe('2026-03-01T00:00:00.000Z/2026-03-06T00:00:00.001Z');
  });

  it('keeps to the window, both ends inclusive', async () => {
    const { reader } = await setup();
    // 2026-03-03T02:17:45.903 (the 403) and 09:40:12.004 (the KeyUpdate); the 14:05/14:06 records of the 2nd are out.
    const records = await reader.recentAuditRecords(ms('2026-03-03T02:17:45.903Z'), ms('2026-03-03T09:40:12.004Z'));
    expect(records.map((r) => (r as { operationName: string }).operationName)).toEqual(['KeyUnwrap', 'KeyUpdate']);
    expect(await reader.recentAuditRecords(ms('2026-03-03T02:17:45.904Z'), ms('2026-03-03T09:40:12.003Z'))).toEqual([]);
  });

  it('re-reads activity records in the Event Hubs shape', async () => {
    const { reader } = await setup();
    const records = await reader.recentActivityRecords(...ALL);
    const expected = activityFixtures().sort((a, b) => ms(String(a.record['time'])) - ms(String(b.record['time'])));
    expect(records.map(normaliseActivityRecord)).toEqual(expected.map((f) => normaliseActivityRecord(f.record)));
    expect(records.every((r) => (r as { operationName: string }).operationName === (r as { operationName: string }).operationName.toUpperCase())).toBe(true);
  });

  it('PartialFailure: logs a warning with the table and code, and uses the partial tables', async () => {
    const { reader, la, log } = await setup();
    la.setPartialError({ code: 'QueryExecutionLimitExceeded', message: 'partial' });
    const records = await reader.recentAuditRecords(...ALL);
    expect(records).toHaveLength(auditFixtures().length);
    expect(log.warned).toEqual([{ fields: { table: 'AZKVAuditLogs', code: 'PartialError', rows: auditFixtures().length }, message: 'Log Analytics returned a partial result; using the partial tables' }]);
  });

  it('a failed query throws LogAnalyticsQueryError with status and codes, and no token', async () => {
    const { reader } = await setup({ AZKVAuditLogs: () => [] });
    const err = await reader.recentActivityRecords(...ALL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogAnalyticsQueryError);
    expect(err).toMatchObject({ status: 400, code: 'BadArgumentError', message: 'Log Analytics query of AzureActivity failed: HTTP 400 BadArgumentError/SemanticError' });
    const { token } = await credential.getToken('https://api.loganalytics.io/.default');
    const payload = token.split('.')[1] ?? 'x';
    const e = err as Error;
    expect(`${e.message} ${e.stack ?? ''} ${JSON.stringify({ ...e })}`).not.toContain(payload);
  });

  it('an unreachable workspace endpoint throws LogAnalyticsQueryError', async () => {
    const { la } = await setup();
    const endpoint = la.endpoint;
    await la.close();
    emulator = undefined;
    const reader = createAuditLogReader({ credential, endpoint, workspaceId: WORKSPACE, additionalPolicies: trustPolicies(cert), log: capturingLog(), maxRetries: 0 });
    const err = await reader.recentAuditRecords(...ALL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogAnalyticsQueryError);
    expect((err as Error).message).toMatch(/^Log Analytics query of AZKVAuditLogs failed: /);
  });

  it('refuses an inverted window before any request', async () => {
    const { reader, la } = await setup();
    await expect(reader.recentAuditRecords(ALL[1], ALL[0])).rejects.toThrow(RangeError);
    expect(la.requests()).toEqual([]);
  });
});
