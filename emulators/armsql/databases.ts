// ARM JSON of a server's databases (api-version 2022-08-01-preview) and of their geo-replication links
// (2022-02-01-preview): a geo-replicated database has one link per partner holding its replica, with both roles.
import { stableGuid } from '../arm/identity.js';
import type { DatabaseRecord, ServerRecord } from './state.js';

export function databaseJson(s: ServerRecord, d: DatabaseRecord): unknown {
  return {
    sku: { name: d.skuName, tier: d.tier, family: 'Gen5', capacity: d.capacity },
    kind: 'v12.0,user,vcore',
    location: s.location,
    properties: {
      collation: 'SQL_Latin1_General_CP1_CI_AS',
      status: 'Online',
      databaseId: stableGuid('database', s.resourceId, d.name),
      currentServiceObjectiveName: `${d.skuName}_${d.capacity}`,
      requestedServiceObjectiveName: `${d.skuName}_${d.capacity}`,
      ...(d.geo && s.role === 'Secondary' ? { secondaryType: 'Geo' } : {}),
      ...(d.encryptionProtector !== null ? { encryptionProtector: d.encryptionProtector } : {}),
    },
    id: `${s.resourceId}/databases/${d.name}`,
    name: d.name,
    type: 'Microsoft.Sql/servers/databases',
  };
}

/** The link of database `d` on `s` to its replica on `partner`; its name is stable across requests and failovers. */
export function replicationLinkJson(s: ServerRecord, d: DatabaseRecord, partner: ServerRecord): unknown {
  const pair = [s.resourceId, partner.resourceId].sort();
  const id = stableGuid('link', d.name, ...pair);
  return {
    properties: {
      partnerServer: partner.name,
      partnerDatabase: d.name,
      partnerLocation: partner.location,
      role: s.role,
      partnerRole: partner.role,
      replicationMode: 'ASYNC',
      startTime: '2026-01-01T00:00:00Z',
      percentComplete: 100,
      replicationState: 'CATCH_UP',
      isTerminationAllowed: true,
      linkType: 'GEO',
    },
    id: `${s.resourceId}/databases/${d.name}/replicationLinks/${id}`,
    name: id,
    type: 'Microsoft.Sql/servers/databases/replicationLinks',
  };
}

/** Every link of every geo-replicated database on `s`. */
export function replicationLinksOf(s: ServerRecord, partners: readonly ServerRecord[]): unknown[] {
  const out: unknown[] = [];
  for (const d of s.databases.values()) {
    if (!d.geo) continue;
    for (const p of partners) if (p.databases.get(d.name.toLowerCase())?.geo) out.push(replicationLinkJson(s, d, p));
  }
  return out;
}
