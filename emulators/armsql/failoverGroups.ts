// Failover groups (api-version 2020-11-01-preview): one group seen from each member server — its own role, and its
// partners' — and the failover that makes the server it is invoked on the primary. A failover re-points the whole
// geo-group, as Azure does: the other secondaries follow the new primary, so replication links and every member's
// role change together.
import { sameName } from './keyUri.js';
import type { ServerRegistry, ServerRecord } from './state.js';
import type { EmulatedFailoverGroup } from './types.js';

export interface FailoverGroupRecord {
  readonly name: string;
  /** Lower-cased member server ids. */
  readonly servers: Set<string>;
  /** Database names in the group. */
  readonly databases: readonly string[];
  readonly failoverPolicy: 'Automatic' | 'Manual';
}

export class FailoverGroups {
  private readonly byName = new Map<string, FailoverGroupRecord>();

  constructor(
    configs: readonly EmulatedFailoverGroup[],
    private readonly registry: ServerRegistry,
  ) {
    for (const c of configs) {
      if (this.byName.has(c.name.toLowerCase())) throw new Error(`failover group ${c.name} is configured twice`);
      const members = c.servers.map((id) => {
        const s = registry.get(id);
        if (!s || s.kind !== 'servers') throw new Error(`failover group ${c.name}: ${id} is not an emulated server`);
        return s;
      });
      if (members.length < 2) throw new Error(`failover group ${c.name} needs two servers or more`);
      const primaries = members.filter((s) => s.role === 'Primary');
      const primary = primaries[0];
      if (primaries.length !== 1 || !primary) throw new Error(`failover group ${c.name} needs exactly one primary among its servers`);
      for (const s of members) {
        if (s !== primary && !primary.partners.has(s.resourceId.toLowerCase())) throw new Error(`failover group ${c.name}: ${s.name} is not a geo partner of ${primary.name}`);
      }
      const geoDatabases = [...primary.databases.values()].filter((d) => d.geo).map((d) => d.name);
      this.byName.set(c.name.toLowerCase(), {
        name: c.name,
        servers: new Set(members.map((s) => s.resourceId.toLowerCase())),
        databases: c.databases ?? geoDatabases,
        failoverPolicy: c.failoverPolicy ?? 'Automatic',
      });
    }
  }

  onServer(s: ServerRecord): FailoverGroupRecord[] {
    return [...this.byName.values()].filter((g) => g.servers.has(s.resourceId.toLowerCase()));
  }

  /** The group `name` as `s` sees it; undefined when `s` is not a member. */
  get(s: ServerRecord, name: string): FailoverGroupRecord | undefined {
    const g = this.byName.get(name.toLowerCase());
    return g?.servers.has(s.resourceId.toLowerCase()) ? g : undefined;
  }

  /** Takes `s` out of every group; a group left with one server is dropped, as Azure drops it with its last partner. */
  removeServer(s: ServerRecord): FailoverGroupRecord[] {
    const touched = this.onServer(s);
    for (const g of touched) {
      g.servers.delete(s.resourceId.toLowerCase());
      if (g.servers.size < 2) this.byName.delete(g.name.toLowerCase());
    }
    return touched;
  }

  json(g: FailoverGroupRecord, s: ServerRecord): unknown {
    const partners = [...g.servers].filter((id) => id !== s.resourceId.toLowerCase()).map((id) => this.registry.get(id)).filter((p): p is ServerRecord => p !== undefined);
    return {
      location: s.location,
      tags: {},
      properties: {
        readWriteEndpoint: { failoverPolicy: g.failoverPolicy, ...(g.failoverPolicy === 'Automatic' ? { failoverWithDataLossGracePeriodMinutes: 60 } : {}) },
        readOnlyEndpoint: { failoverPolicy: 'Disabled' },
        replicationRole: s.role,
        replicationState: 'CATCH_UP',
        partnerServers: partners.map((p) => ({ id: p.resourceId, location: p.location, replicationRole: p.role })),
        databases: g.databases.filter((d) => s.databases.has(d.toLowerCase())).map((d) => `${s.resourceId}/databases/${d}`),
      },
      id: `${s.resourceId}/failoverGroups/${g.name}`,
      name: g.name,
      type: 'Microsoft.Sql/servers/failoverGroups',
    };
  }
}

/**
 * Makes `target` the primary of its geo-group: every other member becomes its secondary (linked to it alone), and
 * the databases follow. False when `target` already is the primary (nothing changes).
 */
export function promote(registry: ServerRegistry, target: ServerRecord): boolean {
  if (target.role === 'Primary') return false;
  const members = registry.geoGroupOf(target);
  const links = members.flatMap((m) => registry.partnersOf(m).map((p) => [m, p] as const));
  for (const [a, b] of links) registry.unlink(a, b);
  for (const m of members) m.role = sameName(m.resourceId, target.resourceId) ? 'Primary' : 'Secondary';
  for (const m of members) if (m !== target) registry.link(target, m);
  return true;
}
