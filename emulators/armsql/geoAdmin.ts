// Changes an operator makes outside keysteward, for tests and the local demo to provoke drift: a geo-secondary
// added (its databases created with `createMode: Secondary`) or removed (the replication links deleted), and a
// server's identity changed (new principal ids). Each is recorded in the history and written to the activity log as
// ARM writes it, so the service's activity-log ingestion sees it.
import type { ActivityLog } from '../arm/activity.js';
import { databaseJson, replicationLinkJson } from './databases.js';
import type { FailoverGroups } from './failoverGroups.js';
import type { WriteHistory } from './history.js';
import { identityJson } from '../arm/identity.js';
import { managedInstanceJson, serverJson } from './resources.js';
import { identityOf, type ServerRecord, type ServerRegistry } from './state.js';
import type { SqlIdentityConfig } from './types.js';

/** The identity the emulator acts as for admin changes (an operator's, not keysteward's). */
export const EMULATOR_ADMIN_OID = 'a0a0a0a0-0000-4000-8000-00000000a0a0';

export interface GeoAdminDeps {
  readonly registry: ServerRegistry;
  readonly failoverGroups: FailoverGroups;
  readonly history: WriteHistory;
  readonly activity: ActivityLog;
  readonly clock: () => number;
}

function server(d: GeoAdminDeps, idOrName: string): ServerRecord {
  const s = d.registry.find(idOrName);
  if (!s || s.kind !== 'servers') throw new Error(`unknown server ${idOrName}`);
  return s;
}

const OK = { status: 200, code: null } as const;

/** Links `secondary` (a server outside any geo-group) to `primary`: each geo database gets its replica there. */
export function addSecondary(d: GeoAdminDeps, primaryIdOrName: string, secondaryIdOrName: string, o: { readonly failoverGroup?: string } = {}): void {
  const primary = server(d, primaryIdOrName);
  const secondary = server(d, secondaryIdOrName);
  if (primary.role !== 'Primary') throw new Error(`${primary.name} is not a geo primary`);
  if (secondary.partners.size > 0) throw new Error(`${secondary.name} is already geo-replicated`);
  const startedAt = d.clock();
  secondary.role = 'Secondary';
  d.registry.link(primary, secondary);
  for (const db of [...secondary.databases.values()].filter((x) => x.geo)) {
    d.history.record({ server: secondary.resourceId, serverName: secondary.name, operation: 'databases/write', target: db.name, request: { partner: primary.resourceId }, async: false }, { status: 201, code: null }, true);
    d.activity.emit(
      {
        operation: 'Microsoft.Sql/servers/databases/write',
        resourceId: `${secondary.resourceId}/databases/${db.name}`,
        subscriptionId: secondary.subscriptionId,
        caller: EMULATOR_ADMIN_OID,
        request: { location: secondary.location, properties: { createMode: 'Secondary', secondaryType: 'Geo', sourceDatabaseId: `${primary.resourceId}/databases/${db.name}` } },
        response: databaseJson(secondary, db),
        statusCode: 'Created',
      },
      startedAt,
    );
  }
  if (o.failoverGroup) {
    const g = d.failoverGroups.get(primary, o.failoverGroup);
    if (!g) throw new Error(`${primary.name} has no failover group ${o.failoverGroup}`);
    g.servers.add(secondary.resourceId.toLowerCase());
    d.activity.emit(
      { operation: 'Microsoft.Sql/servers/failoverGroups/write', resourceId: `${primary.resourceId}/failoverGroups/${g.name}`, subscriptionId: primary.subscriptionId, caller: EMULATOR_ADMIN_OID, response: d.failoverGroups.json(g, primary), statusCode: 'OK' },
      startedAt,
    );
  }
}

/** Deletes the geo links of a secondary: it becomes a standalone server whose databases keep running. */
export function removeSecondary(d: GeoAdminDeps, secondaryIdOrName: string): void {
  const secondary = server(d, secondaryIdOrName);
  const primary = d.registry.partnersOf(secondary).find((p) => p.role === 'Primary');
  if (secondary.role !== 'Secondary' || !primary) throw new Error(`${secondary.name} is not a geo secondary`);
  const startedAt = d.clock();
  const links = [...primary.databases.values()].filter((db) => db.geo && secondary.databases.get(db.name.toLowerCase())?.geo).map((db) => ({ db, link: replicationLinkJson(primary, db, secondary) as { id: string } }));
  d.registry.unlink(primary, secondary);
  secondary.role = 'Primary';
  for (const db of secondary.databases.values()) db.geo = false;
  for (const { db, link } of links) {
    d.history.record({ server: primary.resourceId, serverName: primary.name, operation: 'databases/replicationLinks/delete', target: db.name, request: { partner: secondary.resourceId }, async: false }, OK, true);
    d.activity.emit({ operation: 'Microsoft.Sql/servers/databases/replicationLinks/delete', resourceId: link.id, subscriptionId: primary.subscriptionId, caller: EMULATOR_ADMIN_OID, statusCode: 'OK' }, startedAt);
  }
  for (const g of d.failoverGroups.removeServer(secondary)) {
    const dropped = g.servers.size < 2;
    d.activity.emit(
      {
        operation: dropped ? 'Microsoft.Sql/servers/failoverGroups/delete' : 'Microsoft.Sql/servers/failoverGroups/write',
        resourceId: `${primary.resourceId}/failoverGroups/${g.name}`,
        subscriptionId: primary.subscriptionId,
        caller: EMULATOR_ADMIN_OID,
        ...(dropped ? {} : { response: d.failoverGroups.json(g, primary) }),
        statusCode: 'OK',
      },
      startedAt,
    );
  }
}

/** Replaces a server's identity (e.g. a new system-assigned principal after it was switched off and on). */
export function setIdentity(d: GeoAdminDeps, idOrName: string, identity: SqlIdentityConfig): void {
  const s = d.registry.find(idOrName);
  if (!s) throw new Error(`unknown server ${idOrName}`);
  const startedAt = d.clock();
  s.identity = identityOf(identity);
  const body = identityJson(s.identity) as { type: string; userAssignedIdentities?: Record<string, unknown> } | undefined;
  d.history.record({ server: s.resourceId, serverName: s.name, operation: 'write', target: s.name, request: {}, async: false }, OK, true);
  d.activity.emit(
    {
      operation: `Microsoft.Sql/${s.kind}/write`,
      resourceId: s.resourceId,
      subscriptionId: s.subscriptionId,
      caller: EMULATOR_ADMIN_OID,
      request: {
        location: s.location,
        identity: { type: body?.type ?? 'None', ...(body?.userAssignedIdentities ? { userAssignedIdentities: Object.fromEntries(Object.keys(body.userAssignedIdentities).map((id) => [id, {}])) } : {}) },
        properties: { ...(identity.primaryUserAssignedIdentityId ? { primaryUserAssignedIdentityId: identity.primaryUserAssignedIdentityId } : {}) },
      },
      response: s.kind === 'servers' ? serverJson(s) : managedInstanceJson(s),
      statusCode: 'OK',
    },
    startedAt,
  );
}
