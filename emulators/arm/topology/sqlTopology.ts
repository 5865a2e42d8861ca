// SQL servers and managed instances of a generated topology: geo-groups of 2–5 servers in distinct regions (a random
// primary; some groups joined by a failover group over the primary and one or more secondaries, the rest of the
// secondaries by replication links only; members in the group's subscription or, now and then, another), standalone
// CMK servers, service-managed servers (listed, not protectors), and CMK managed instances. Each member reads its
// key from a vault in its own region, with a system-assigned identity, a user-assigned one, or both (the
// user-assigned one then being primary). What discovery must make of each is written as it is built.
import type { EmulatedFailoverGroup, EmulatedManagedInstance, EmulatedSqlDatabase, EmulatedSqlServer } from '../../armsql/types.js';
import { APPS, pad, type Region, type TopologyContext } from './context.js';
import type { ExpectedMember, ExpectedProtector, Range } from './types.js';

export interface SqlTopology {
  readonly servers: EmulatedSqlServer[];
  readonly failoverGroups: EmulatedFailoverGroup[];
  readonly managedInstances: EmulatedManagedInstance[];
  readonly protectors: ExpectedProtector[];
  readonly databaseLevelCmk: string[];
}

export interface SqlSizes {
  readonly sqlServers: number;
  readonly groupSize: Range;
  readonly failoverGroupShare: number;
  readonly standaloneServers: number;
  readonly serviceManagedServers: number;
  readonly managedInstances: number;
  readonly databasesPerGroup: Range;
}

const lower = (s: string): string => s.toLowerCase();
const nameOf = (id: string): string => id.slice(id.lastIndexOf('/') + 1);
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether `total` servers can be split into groups whose sizes are all within `range`. */
export function splittable(total: number, range: Range): boolean {
  return total === 0 || (total > 0 && Math.ceil(total / range.max) <= Math.floor(total / range.min));
}

/** Splits `total` servers into random group sizes within `range` (throws when that cannot be done). */
export function groupSizes(ctx: TopologyContext, total: number, range: Range): number[] {
  if (range.min < 1 || range.max < range.min) throw new Error(`bad group size range ${range.min}–${range.max}`);
  if (!splittable(total, range)) throw new Error(`${total} servers cannot make groups of ${range.min}–${range.max}`);
  const sizes: number[] = [];
  for (let left = total; left > 0; ) {
    const fits: number[] = [];
    for (let size = range.min; size <= Math.min(range.max, left); size++) if (splittable(left - size, range)) fits.push(size);
    const size = ctx.rng.pick(fits);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

interface Member {
  readonly region: Region;
  readonly config: EmulatedSqlServer;
  readonly expected: Omit<ExpectedMember, 'role'>;
}

/** One server's identity, key and place; the principal discovery must report is the one SQL reads the key with. */
function member(ctx: TopologyContext, kind: 'servers' | 'managedInstances', name: string, app: string, region: Region, subscription: string, key: { name: string; material: string; expires: boolean }): Member {
  const rg = ctx.resourceGroup(app, region);
  const resourceId = `/subscriptions/${subscription}/resourceGroups/${rg}/providers/Microsoft.Sql/${kind}/${name}`;
  const vault = ctx.vaultIn(region);
  const kid = ctx.keyVersion(vault, key.name, key.material, key.expires);
  const mode = ctx.rng.pick(['system', 'system', 'system', 'user', 'both'] as const);
  const system = mode === 'user' ? undefined : ctx.rng.guid();
  const uai = mode === 'system' ? undefined : `/subscriptions/${subscription}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-${name}`;
  const uaiPrincipal = uai ? ctx.rng.guid() : undefined;
  return {
    region,
    config: {
      resourceId,
      location: region.name,
      ...(system ? { principalId: system } : {}),
      ...(uai && uaiPrincipal ? { userAssignedIdentities: { [uai]: uaiPrincipal }, primaryUserAssignedIdentityId: uai } : {}),
      protector: kid,
    },
    expected: { resourceId: lower(resourceId), vault: vault.name, principalId: uaiPrincipal ?? system ?? null },
  };
}

function databases(ctx: TopologyContext, app: string, gi: string, range: Range): EmulatedSqlDatabase[] {
  return Array.from({ length: ctx.rng.int(range.min, range.max) }, (_, j) => ({ name: `${app}-${gi}-db${j + 1}`, tier: ctx.rng.chance(0.7) ? 'GeneralPurpose' : 'BusinessCritical' }));
}

function protector(id: string, keyName: string, autoRotation: boolean, primary: Omit<ExpectedMember, 'role'>, secondaries: ReadonlyArray<Omit<ExpectedMember, 'role'>>): ExpectedProtector {
  return {
    id,
    kind: 'sql-tde',
    keyName,
    autoRotation,
    alwaysEncrypted: null,
    members: [{ role: 'primary', ...primary }, ...[...secondaries].sort((a, b) => byString(a.resourceId, b.resourceId)).map((m) => ({ role: 'secondary' as const, ...m }))],
  };
}

function geoGroup(ctx: TopologyContext, out: SqlTopology, index: number, size: number, s: SqlSizes): void {
  const app = APPS[index % APPS.length] as string;
  const gi = pad(index, 3);
  const keyName = `tde-${app}-${gi}`;
  const home = ctx.rng.pick(ctx.subscriptions);
  const autoRotation = ctx.rng.chance(0.2);
  const key = { name: keyName, material: `sql-group-${gi}`, expires: ctx.rng.chance(0.7) };
  const members = ctx.rng.sample(ctx.regions, size).map((region) => member(ctx, 'servers', `sql-${app}-${gi}-${region.short}`, app, region, ctx.rng.chance(0.8) ? home : ctx.rng.pick(ctx.subscriptions), key));
  const p = ctx.rng.int(0, size - 1);
  const primary = members[p] as Member;
  const secondaries = members.filter((_, i) => i !== p);
  const dbs = databases(ctx, app, gi, s.databasesPerGroup);
  if (ctx.rng.chance(0.05)) {
    // A database with its own CMK next to the geo-replicated ones: listed with a finding, not dropped.
    const local = { name: `${app}-${gi}-local`, geo: false, encryptionProtector: ctx.keyVersion(ctx.vaultIn(primary.region), `db-${app}-${gi}`, `sql-db-${gi}`, true) };
    dbs.push(local);
    out.databaseLevelCmk.push(primary.expected.resourceId);
  }
  out.servers.push(
    { ...primary.config, role: 'Primary', partners: secondaries.map((m) => m.config.resourceId), databases: dbs, autoRotation },
    ...secondaries.map((m) => ({ ...m.config, role: 'Secondary' as const, autoRotation })),
  );
  let id = nameOf([...members.map((m) => m.expected.resourceId)].sort(byString)[0] as string);
  if (ctx.rng.chance(s.failoverGroupShare)) {
    id = `fg-${app}-${gi}`;
    const partners = ctx.rng.chance(0.7) ? 1 : ctx.rng.int(1, secondaries.length);
    out.failoverGroups.push({ name: id, servers: [primary.config.resourceId, ...secondaries.slice(0, partners).map((m) => m.config.resourceId)] });
  }
  out.protectors.push(protector(id, keyName, autoRotation, primary.expected, secondaries.map((m) => m.expected)));
}

export function sqlTopology(ctx: TopologyContext, s: SqlSizes): SqlTopology {
  const out: SqlTopology = { servers: [], failoverGroups: [], managedInstances: [], protectors: [], databaseLevelCmk: [] };
  groupSizes(ctx, s.sqlServers, s.groupSize).forEach((size, i) => geoGroup(ctx, out, i, size, s));
  for (let i = 0; i < s.standaloneServers; i++) {
    const region = ctx.rng.pick(ctx.regions);
    const n = pad(i, 3);
    const m = member(ctx, 'servers', `sql-solo-${n}-${region.short}`, 'solo', region, ctx.rng.pick(ctx.subscriptions), { name: `tde-solo-${n}`, material: `sql-solo-${n}`, expires: ctx.rng.chance(0.7) });
    out.servers.push({ ...m.config, databases: [{ name: `solo-${n}-db1`, tier: 'GeneralPurpose' }] });
    out.protectors.push(protector(nameOf(m.expected.resourceId), `tde-solo-${n}`, false, m.expected, []));
  }
  for (let i = 0; i < s.serviceManagedServers; i++) {
    const region = ctx.rng.pick(ctx.regions);
    const sub = ctx.rng.pick(ctx.subscriptions);
    out.servers.push({ resourceId: `/subscriptions/${sub}/resourceGroups/rg-legacy-${region.short}/providers/Microsoft.Sql/servers/sql-sm-${pad(i, 3)}-${region.short}`, location: region.name, principalId: ctx.rng.guid() });
  }
  for (let i = 0; i < s.managedInstances; i++) {
    const region = ctx.rng.pick(ctx.regions);
    const n = pad(i, 2);
    const m = member(ctx, 'managedInstances', `mi-${n}-${region.short}`, 'mi', region, ctx.rng.pick(ctx.subscriptions), { name: `tde-mi-${n}`, material: `mi-${n}`, expires: ctx.rng.chance(0.7) });
    out.managedInstances.push(m.config);
    out.protectors.push(protector(nameOf(m.expected.resourceId), `tde-mi-${n}`, false, m.expected, []));
  }
  return out;
}
