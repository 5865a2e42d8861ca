// A failover through the SDK swaps the roles keysteward rotates by — the failover group's, every geo member's, and
// the replication links' — and is written to the history and to the activity log (Start + Success sharing a
// correlationId, upper-cased names: azure-formats.md §2.1). The geo rule follows the new roles. The admin helpers
// (secondary added or removed, identity changed) change what the SDK reads and write their own activity records.
import { describe, expect, it } from 'vitest';
import { normaliseActivityRecord } from '../../../domain/normalise/index.js';
import type { ActivityRecord, ArmEmulator } from '../../../emulators/arm/index.js';
import { A1, A2, A3, PRINCIPALS, RG, SOLO, SUB_A, SUB_B, all, clients, kid, restError, emulatorPerTest } from './support.js';

const session = emulatorPerTest();

type Link = readonly [server: string | undefined, role: string | undefined, partnerRole: string | undefined];

async function linksOf(e: ArmEmulator, sub: string, server: string): Promise<Link[]> {
  const links = await all(clients(e, session.cert()).sql(sub).replicationLinks.listByServer(RG, server));
  return [...new Map(links.map((l) => [l.partnerServer, [l.partnerServer, l.role, l.partnerRole] as const])).values()].sort();
}

const props = (r: ActivityRecord | undefined): Record<string, unknown> => (r?.['properties'] ?? {}) as Record<string, unknown>;

describe('failoverGroups.beginFailover', () => {
  it('makes the server it is invoked on the primary: group, members and replication links flip together', async () => {
    const seen: ActivityRecord[] = [];
    const em = await session.start({ onActivity: (records) => seen.push(...records) });
    const sql = clients(em, session.cert()).sql(SUB_A);
    const fg = await sql.failoverGroups.beginFailoverAndWait(RG, 'sql-a2', 'fg-orders');
    expect(fg).toMatchObject({ replicationRole: 'Primary', partnerServers: [{ id: A1, replicationRole: 'Secondary' }] });
    expect(await sql.failoverGroups.get(RG, 'sql-a1', 'fg-orders')).toMatchObject({ replicationRole: 'Secondary', partnerServers: [{ id: A2, replicationRole: 'Primary' }] });
    // The third member (linked by replication links only) follows the new primary, as Azure re-links secondaries.
    expect(await linksOf(em, SUB_A, 'sql-a2')).toEqual([
      ['sql-a1', 'Primary', 'Secondary'],
      ['sql-a3', 'Primary', 'Secondary'],
    ]);
    expect(await linksOf(em, SUB_A, 'sql-a1')).toEqual([['sql-a2', 'Secondary', 'Primary']]);
    expect(await linksOf(em, SUB_B, 'sql-a3')).toEqual([['sql-a2', 'Secondary', 'Primary']]);
    expect([em.inspect(A1).role, em.inspect(A2).role, em.inspect(A3).role]).toEqual(['Secondary', 'Primary', 'Secondary']);
    expect(em.history()).toEqual([expect.objectContaining({ server: A2, operation: 'failoverGroups/failover/action', target: 'fg-orders', changed: true, outcome: { status: 200, code: null } })]);

    expect(seen).toHaveLength(2);
    const [start, success] = seen;
    expect(start).toMatchObject({
      operationName: 'MICROSOFT.SQL/SERVERS/FAILOVERGROUPS/FAILOVER/ACTION',
      resourceId: `${A2}/failoverGroups/fg-orders`.toUpperCase(),
      category: 'Administrative',
      resultType: 'Start',
      resultSignature: 'Started.',
      level: 'Information',
      location: 'global',
      tenantId: '00000000-0000-0000-0000-000000000000',
      properties: { eventCategory: 'Administrative', entity: `${A2}/failoverGroups/fg-orders`, message: 'Microsoft.Sql/servers/failoverGroups/failover/action', hierarchy: `00000000-0000-0000-0000-000000000000/${SUB_A}` },
    });
    expect(success).toMatchObject({ resultType: 'Success', resultSignature: 'Succeeded.OK', correlationId: start?.['correlationId'] });
    expect(JSON.parse(props(success)['responseBody'] as string)).toMatchObject({ properties: { replicationRole: 'Primary' } });
    expect(em.activity()).toEqual(seen);
    // The records are well-formed activity-log records for the ingestion path.
    for (const r of seen) expect(normaliseActivityRecord(r).status).not.toBe('rejected');
  });

  it('forceFailoverAllowDataLoss flips the roles too, under its own operation name', async () => {
    const em = await session.start();
    await clients(em, session.cert()).sql(SUB_A).failoverGroups.beginForceFailoverAllowDataLossAndWait(RG, 'sql-a2', 'fg-orders');
    expect([em.inspect(A1).role, em.inspect(A2).role]).toEqual(['Secondary', 'Primary']);
    expect(em.activity().map((r) => r['operationName'])).toEqual(['MICROSOFT.SQL/SERVERS/FAILOVERGROUPS/FORCEFAILOVERALLOWDATALOSS/ACTION', 'MICROSOFT.SQL/SERVERS/FAILOVERGROUPS/FORCEFAILOVERALLOWDATALOSS/ACTION']);
    expect(em.calls().byOperation['failoverGroups.forceFailoverAllowDataLoss']).toBe(1);
  });

  it('failing back restores the first roles; a failover on the primary changes nothing', async () => {
    const em = await session.start();
    const sql = clients(em, session.cert()).sql(SUB_A);
    await sql.failoverGroups.beginFailoverAndWait(RG, 'sql-a2', 'fg-orders');
    await sql.failoverGroups.beginFailoverAndWait(RG, 'sql-a1', 'fg-orders');
    await sql.failoverGroups.beginFailoverAndWait(RG, 'sql-a1', 'fg-orders');
    expect([em.inspect(A1).role, em.inspect(A2).role, em.inspect(A3).role]).toEqual(['Primary', 'Secondary', 'Secondary']);
    expect(em.inspect(A1).partners).toEqual(['sql-a2', 'sql-a3']);
    expect(em.history().map((h) => h.changed)).toEqual([true, true, false]);
  });

  it('async mode: 202 + Azure-AsyncOperation, the SDK polls and reads the group from Location', async () => {
    const em = await session.start({ writeMode: 'async', asyncPolls: 1 });
    const statuses: number[] = [];
    const fg = await clients(em, session.cert()).sql(SUB_A).failoverGroups.beginFailoverAndWait(RG, 'sql-a2', 'fg-orders', { updateIntervalInMs: 1, onResponse: (r) => statuses.push(r.status) });
    expect(statuses[0]).toBe(202);
    expect(fg).toMatchObject({ name: 'fg-orders', replicationRole: 'Primary' });
    expect(em.history()).toEqual([expect.objectContaining({ operation: 'failoverGroups/failover/action', async: true })]);
  });

  it('refused failovers change nothing: a server outside the group (404), an injected error', async () => {
    const em = await session.start();
    const sql = clients(em, session.cert(), { maxRetries: 0 });
    expect(await restError(sql.sql(SUB_B).failoverGroups.beginFailoverAndWait(RG, 'sql-a3', 'fg-orders'))).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    em.failNext('sql-a2', 'failoverGroups/failover/action', { status: 409, code: 'FailoverGroupBusy', message: 'busy' });
    expect(await restError(sql.sql(SUB_A).failoverGroups.beginFailoverAndWait(RG, 'sql-a2', 'fg-orders'))).toMatchObject({ statusCode: 409, code: 'FailoverGroupBusy' });
    expect(em.inspect(A1).role).toBe('Primary');
    expect(em.activity()).toEqual([]);
  });

  it('the geo rule follows the new roles: the new primary may only switch to material its secondaries hold', async () => {
    const em = await session.start();
    const sql = clients(em, session.cert(), { maxRetries: 0 }).sql(SUB_A);
    await sql.failoverGroups.beginFailoverAndWait(RG, 'sql-a2', 'fg-orders');
    const fresh = kid('kv-wus', 'tde', 'ffffffffffffffffffffffffffffffff');
    const name = 'kv-wus_tde_ffffffffffffffffffffffffffffffff';
    await sql.serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-a2', name, { serverKeyType: 'AzureKeyVault', uri: fresh });
    const refused = await restError(sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-a2', 'current', { serverKeyType: 'AzureKeyVault', serverKeyName: name }));
    expect(refused).toMatchObject({ statusCode: 400, code: 'KeyMaterialNotFoundOnRemoteServer' });
    // The old primary, now a secondary, switches freely.
    await sql.serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-a1', name, { serverKeyType: 'AzureKeyVault', uri: fresh });
    await sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-a1', 'current', { serverKeyType: 'AzureKeyVault', serverKeyName: name });
    expect(em.inspect(A1).protector).toBe(name);
  });
});

describe('admin changes', () => {
  it('addSecondary: the server gets replicas and links to the primary, and each database/write is an activity record', async () => {
    const em = await session.start();
    em.addSecondary('sql-a1', 'sql-solo', { failoverGroup: 'fg-orders' });
    expect(await linksOf(em, SUB_B, 'sql-solo')).toEqual([['sql-a1', 'Secondary', 'Primary']]);
    const fg = await clients(em, session.cert()).sql(SUB_A).failoverGroups.get(RG, 'sql-a1', 'fg-orders');
    expect(fg.partnerServers?.map((p) => p.id).sort()).toEqual([A2, SOLO].sort());
    const ops = em.activity().filter((r) => r['resultType'] === 'Success').map((r) => [r['operationName'], props(r)['entity']]);
    expect(ops).toEqual([
      ['MICROSOFT.SQL/SERVERS/DATABASES/WRITE', `${SOLO}/databases/orders`],
      ['MICROSOFT.SQL/SERVERS/DATABASES/WRITE', `${SOLO}/databases/ledger`],
      ['MICROSOFT.SQL/SERVERS/FAILOVERGROUPS/WRITE', `${A1}/failoverGroups/fg-orders`],
    ]);
    const start = em.activity().find((r) => r['resultType'] === 'Start');
    expect(JSON.parse(props(start)['requestbody'] as string)).toMatchObject({ properties: { createMode: 'Secondary', sourceDatabaseId: `${A1}/databases/orders` } });
  });

  it('removeSecondary: the links are deleted (one activity record per database) and the server stands alone', async () => {
    const em = await session.start();
    em.removeSecondary('sql-a3');
    expect(await linksOf(em, SUB_B, 'sql-a3')).toEqual([]);
    expect(await linksOf(em, SUB_A, 'sql-a1')).toEqual([['sql-a2', 'Primary', 'Secondary']]);
    expect(em.inspect(A3)).toMatchObject({ role: 'Primary', partners: [] });
    const deletes = em.activity().filter((r) => r['resultType'] === 'Success');
    expect(deletes.map((r) => r['operationName'])).toEqual(['MICROSOFT.SQL/SERVERS/DATABASES/REPLICATIONLINKS/DELETE', 'MICROSOFT.SQL/SERVERS/DATABASES/REPLICATIONLINKS/DELETE']);
    expect(String(props(deletes[0])['entity'])).toMatch(new RegExp(`^${A1}/databases/(orders|ledger)/replicationLinks/[0-9a-f-]{36}$`));
    // Removing a failover-group secondary drops the group with its last partner.
    em.removeSecondary('sql-a2');
    expect(await all(clients(em, session.cert()).sql(SUB_A).failoverGroups.listByServer(RG, 'sql-a1'))).toEqual([]);
    expect(em.activity().at(-1)?.['operationName']).toBe('MICROSOFT.SQL/SERVERS/FAILOVERGROUPS/DELETE');
  });

  it('setIdentity: the SDK reads the new principal ids, and the servers/write records normalise as identity changes', async () => {
    const em = await session.start();
    const fresh = '9f9f9f9f-0000-4000-8000-000000000001';
    em.setIdentity('sql-a1', { principalId: fresh });
    expect((await clients(em, session.cert()).sql(SUB_A).servers.get(RG, 'sql-a1')).identity).toMatchObject({ type: 'SystemAssigned', principalId: fresh });
    expect(PRINCIPALS.a1).not.toBe(fresh);
    const events = em.activity().map((r) => normaliseActivityRecord(r));
    expect(events).toEqual([
      { status: 'ok', events: [expect.objectContaining({ kind: 'sql-server-write', phase: 'start', identityType: 'systemassigned' })] },
      { status: 'ok', events: [expect.objectContaining({ kind: 'sql-server-write', phase: 'success', identityType: 'systemassigned' })] },
    ]);
  });
});
