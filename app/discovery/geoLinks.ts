// Geo links as the topology wants them (domain/discovery/facts.ts GeoLink: partner by resource id, as seen from the
// server), from what ARM lists: replication links name their partner server by name only, and managed-instance
// failover groups are listed per resource group and region with the role of that region's instances.
import type { GeoLink, GeoRole } from '../../domain/discovery/facts.js';
import type { InstanceFailoverGroupFact, ReplicationLinkFact } from './ports.js';

/** What a replication link's partner is called when no discovered server has its name (not a resource id). */
export const unresolvedServer = (name: string): string => `microsoft.sql/servers/${name.toLowerCase()}`;

/**
 * One link per partner and role pair: a server with many geo-replicated databases to one partner lists a link per
 * database, and the topology needs only the distinct (partner, role, partner role), named by the first database.
 * Partners resolve by name among the discovered servers (SQL server names are globally unique DNS labels).
 */
export function replicationGeoLinks(links: readonly ReplicationLinkFact[], serverIdByName: ReadonlyMap<string, string>): GeoLink[] {
  const byKey = new Map<string, GeoLink>();
  for (const l of [...links].sort((a, b) => (a.database < b.database ? -1 : a.database > b.database ? 1 : 0))) {
    const partner = serverIdByName.get(l.partnerServer.toLowerCase()) ?? unresolvedServer(l.partnerServer);
    const key = `${partner} ${l.role} ${l.partnerRole}`;
    if (!byKey.has(key)) byKey.set(key, { partner, role: l.role, partnerRole: l.partnerRole, via: `replication-link:${l.database}` });
  }
  return [...byKey.values()];
}

const other = (role: GeoRole): GeoRole => (role === 'primary' ? 'secondary' : 'primary');

/**
 * Links of managed instances from the failover groups listed under (resource group, location): the instance of each
 * pair that lives in that location has the group's role there, its partner the other role. `locationOf` gives the
 * discovered instances' regions; a pair with neither instance in the region falls back to ARM's primary/partner order.
 */
export function instanceGeoLinks(
  groups: readonly InstanceFailoverGroupFact[],
  location: string,
  locationOf: (instanceId: string) => string | null,
): Map<string, GeoLink[]> {
  const out = new Map<string, GeoLink[]>();
  const add = (from: string, link: GeoLink): void => {
    const list = out.get(from) ?? [];
    if (!list.some((l) => l.partner === link.partner && l.via === link.via)) list.push(link);
    out.set(from, list);
  };
  for (const g of groups) {
    for (const pair of g.pairs) {
      const local = locationOf(pair.partner) === location && locationOf(pair.primary) !== location ? pair.partner : pair.primary;
      const remote = local === pair.primary ? pair.partner : pair.primary;
      const localRole = locationOf(local) === location ? g.role : local === pair.primary ? 'primary' : 'secondary';
      const via = `failover-group:${g.name}`;
      add(local, { partner: remote, role: localRole, partnerRole: other(localRole), via });
      add(remote, { partner: local, role: other(localRole), partnerRole: localRole, via });
    }
  }
  return out;
}
