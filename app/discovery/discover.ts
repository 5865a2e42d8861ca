// Estate discovery, the gather step: read every subscription's SQL servers, managed instances, Cosmos DB accounts and
// vaults, then each server's protector, geo links and databases, each Cosmos account's Always Encrypted keys and each
// protector key's attributes — with bounded concurrency — and hand the facts to the decide step (decideDiscovery).
// Invariants:
// - The calls made per server are a constant (at most 4), per account 1, per key 2, per subscription 5, per
//   (resource group, region) of CMK instances 1: the call count grows linearly with the estate, never with its square.
// - What Azure refuses is a gap (scope and reason) and the run goes on; the facts hold only what was read, so a server
//   whose protector could not be read is left out (its partners name it as not discovered) rather than shown as
//   service-managed.
// - The facts are sorted, so the same estate read twice gives equal facts whatever order the answers arrived in.
import { mapLimit } from '../concurrency.js';
import type { CosmosAccountFacts, DiscoveryFacts, GeoLink, KeyFacts, SqlServerFacts, VaultFacts } from '../../domain/discovery/facts.js';
import { decideDiscovery } from '../../domain/discovery/findings.js';
import type { DiscoveredEstate } from '../../domain/discovery/topology.js';
import { parseKeyUri } from '../../domain/keyRef.js';
import { instanceGeoLinks, replicationGeoLinks } from './geoLinks.js';
import type { ArmInventory, CosmosAccountListing, KeyFactsReader, Read, ReplicationLinkFact, SqlServerListing } from './ports.js';

export interface DiscoveryProgress {
  readonly phase: 'subscriptions' | 'resources' | 'keys' | 'done';
  readonly subscriptions: { readonly read: number; readonly total: number };
  /** SQL servers and managed instances listed so far, and how many of them have been read in full. */
  readonly servers: { readonly found: number; readonly read: number };
  readonly cosmosAccounts: number;
  readonly vaults: number;
}

export interface DiscoverDeps {
  readonly arm: ArmInventory;
  readonly keys: KeyFactsReader;
  readonly onProgress?: (p: DiscoveryProgress) => void;
  /** Subscriptions listed at once (default 4) and resources read at once (default 16). */
  readonly concurrency?: { readonly subscriptions?: number; readonly resources?: number };
}

export interface DiscoverRequest {
  /** Default: every subscription the caller can read. */
  readonly subscriptions?: readonly string[];
}

export interface DiscoveryResult {
  readonly facts: DiscoveryFacts;
  readonly estate: DiscoveredEstate;
}

type Gap = DiscoveryFacts['gaps'][number];

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface SubscriptionListing {
  readonly servers: SqlServerListing[];
  readonly cosmos: CosmosAccountListing[];
  readonly vaults: VaultFacts[];
}

export async function discover(deps: DiscoverDeps, request: DiscoverRequest = {}): Promise<DiscoveryResult> {
  const { arm } = deps;
  const gaps: Gap[] = [];
  const limits = { subscriptions: deps.concurrency?.subscriptions ?? 4, resources: deps.concurrency?.resources ?? 16 };
  const progress = { phase: 'subscriptions' as DiscoveryProgress['phase'], read: 0, total: 0, found: 0, serversRead: 0, cosmos: 0, vaults: 0 };
  const report = (): void =>
    deps.onProgress?.({
      phase: progress.phase,
      subscriptions: { read: progress.read, total: progress.total },
      servers: { found: progress.found, read: progress.serversRead },
      cosmosAccounts: progress.cosmos,
      vaults: progress.vaults,
    });
  /** The value of a read, or `fallback` with the refusal recorded as a gap of `scope`. */
  const valueOr = <T>(read: Read<T>, scope: string, fallback: T): T => {
    if (read.ok) return read.value;
    gaps.push({ scope, reason: read.reason });
    return fallback;
  };

  let subscriptions: string[];
  if (request.subscriptions && request.subscriptions.length > 0) subscriptions = [...new Set(request.subscriptions.map((s) => s.toLowerCase()))];
  else subscriptions = valueOr(await arm.subscriptions(), '/subscriptions', []);
  subscriptions.sort(byString);
  progress.total = subscriptions.length;
  report();

  const listings = await mapLimit(subscriptions, limits.subscriptions, async (sub): Promise<SubscriptionListing> => {
    const scope = `/subscriptions/${sub}`;
    const [servers, instances, cosmos, vaults, hsms] = await Promise.all([arm.sqlServers(sub), arm.managedInstances(sub), arm.cosmosAccounts(sub), arm.vaults(sub), arm.managedHsms(sub)]);
    const out: SubscriptionListing = {
      servers: [...valueOr(servers, `${scope}/providers/microsoft.sql/servers`, []), ...valueOr(instances, `${scope}/providers/microsoft.sql/managedinstances`, [])],
      cosmos: valueOr(cosmos, `${scope}/providers/microsoft.documentdb/databaseaccounts`, []),
      vaults: [...valueOr(vaults, `${scope}/providers/microsoft.keyvault/vaults`, []), ...valueOr(hsms, `${scope}/providers/microsoft.keyvault/managedhsms`, [])],
    };
    progress.read += 1;
    progress.found += out.servers.length;
    progress.cosmos += out.cosmos.length;
    progress.vaults += out.vaults.length;
    report();
    return out;
  });
  progress.phase = 'resources';

  const servers = listings.flatMap((l) => l.servers);
  const serverIdByName = new Map(servers.filter((s) => s.kind === 'server').map((s) => [s.name, s.id]));

  const readServer = async (s: SqlServerListing): Promise<SqlServerFacts | null> => {
    const protector = await arm.encryptionProtector(s);
    if (!protector.ok) {
      gaps.push({ scope: s.id, reason: `encryption protector: ${protector.reason}` });
      return null;
    }
    // Geo links matter only for CMK servers (groups are made of those); databases for every server, since a
    // database-level CMK can sit on a server whose own protector is service-managed.
    const cmkServer = protector.value !== null && s.kind === 'server';
    const [groups, links, databases] = await Promise.all([
      cmkServer ? arm.failoverGroupLinks(s) : null,
      cmkServer ? arm.replicationLinks(s) : null,
      arm.databases(s),
    ]);
    const geoLinks: GeoLink[] = [
      ...(groups ? valueOr(groups, `${s.id}/failovergroups`, []) : []),
      ...(links ? replicationGeoLinks(valueOr<ReplicationLinkFact[]>(links, `${s.id}/replicationlinks`, []), serverIdByName) : []),
    ];
    const { resourceGroup: _rg, skuTier: _tier, ...base } = s;
    return { ...base, protector: protector.value, geoLinks, databases: valueOr(databases, `${s.id}/databases`, { byTier: {}, withOwnCmk: [] }) };
  };

  const readAccount = async (a: CosmosAccountListing): Promise<CosmosAccountFacts> => {
    const { resourceGroup: _rg, sqlApi, ...base } = a;
    if (!sqlApi) return { ...base, clientEncryptionKeys: [] };
    const keys = await arm.clientEncryptionKeys(a);
    if (!keys.ok) gaps.push({ scope: `${a.id}/sqldatabases/clientencryptionkeys`, reason: keys.reason });
    return { ...base, clientEncryptionKeys: keys.ok ? keys.value : null };
  };

  const [serverFacts, cosmosAccounts] = await Promise.all([
    mapLimit(servers, limits.resources, async (s) => {
      const facts = await readServer(s);
      progress.serversRead += 1;
      if (progress.serversRead % 50 === 0 || progress.serversRead === servers.length) report();
      return facts;
    }),
    mapLimit(
      listings.flatMap((l) => l.cosmos),
      limits.resources,
      readAccount,
    ),
  ]);
  const sqlServers = await withInstanceLinks(
    serverFacts.filter((s): s is SqlServerFacts => s !== null),
    servers,
    (sub, rg, location) => arm.instanceFailoverGroups(sub, rg, location),
    valueOr,
    limits.resources,
  );

  progress.phase = 'keys';
  report();
  const vaults = listings.flatMap((l) => l.vaults);
  const keys = await readKeys(deps.keys, vaults, keyRefs(sqlServers, cosmosAccounts), valueOr, limits.resources);

  progress.phase = 'done';
  report();
  const facts: DiscoveryFacts = {
    subscriptions,
    sqlServers: sqlServers.sort((a, b) => byString(a.id, b.id)),
    cosmosAccounts: cosmosAccounts.sort((a, b) => byString(a.id, b.id)),
    vaults: dedupe(vaults, (v) => v.name).sort((a, b) => byString(a.name, b.name)),
    keys,
    gaps: gaps.sort((a, b) => byString(a.scope, b.scope) || byString(a.reason, b.reason)),
  };
  return { facts, estate: decideDiscovery(facts) };
}

type ValueOr = <T>(read: Read<T>, scope: string, fallback: T) => T;

/** Managed instances get their links from the failover groups of each (subscription, resource group, region) they sit in. */
async function withInstanceLinks(
  facts: SqlServerFacts[],
  listings: readonly SqlServerListing[],
  list: ArmInventory['instanceFailoverGroups'],
  valueOr: ValueOr,
  limit: number,
): Promise<SqlServerFacts[]> {
  const cmkInstances = new Set(facts.filter((f) => f.kind === 'managed-instance' && f.protector !== null).map((f) => f.id));
  const scopes = new Map<string, { sub: string; rg: string; location: string }>();
  for (const s of listings) {
    if (!cmkInstances.has(s.id) || s.location === null) continue;
    scopes.set(`${s.subscriptionId}/${s.resourceGroup}/${s.location}`, { sub: s.subscriptionId, rg: s.resourceGroup, location: s.location });
  }
  if (scopes.size === 0) return facts;
  const locationOf = new Map(listings.map((s) => [s.id, s.location]));
  const links = new Map<string, GeoLink[]>();
  const scopeList = [...scopes.values()].sort((a, b) => byString(`${a.sub}/${a.rg}/${a.location}`, `${b.sub}/${b.rg}/${b.location}`));
  await mapLimit(scopeList, limit, async ({ sub, rg, location }) => {
    const scope = `/subscriptions/${sub}/resourcegroups/${rg}/providers/microsoft.sql/locations/${location}/instancefailovergroups`;
    const groups = valueOr(await list(sub, rg, location), scope, []);
    for (const [id, found] of instanceGeoLinks(groups, location, (i) => locationOf.get(i) ?? null)) {
      const list = links.get(id) ?? [];
      for (const l of found) if (!list.some((x) => x.partner === l.partner && x.via === l.via)) list.push(l);
      links.set(id, list);
    }
  });
  return facts.map((f) => (f.kind === 'managed-instance' && links.has(f.id) ? { ...f, geoLinks: [...f.geoLinks, ...(links.get(f.id) ?? [])] } : f));
}

/** Every (vault, key) a protector could name: SQL protectors, Cosmos account keys and Always Encrypted wrapping keys. */
function keyRefs(servers: readonly SqlServerFacts[], accounts: readonly CosmosAccountFacts[]): Array<{ vault: string; key: string }> {
  const uris = [
    ...servers.map((s) => s.protector?.keyUri),
    ...accounts.map((a) => a.keyVaultKeyUri),
    ...accounts.flatMap((a) => (a.clientEncryptionKeys ?? []).map((c) => c.keyUri)),
  ];
  const refs = new Map<string, { vault: string; key: string }>();
  for (const uri of uris) {
    const ref = uri ? parseKeyUri(uri) : null;
    if (ref) refs.set(`${ref.vault}/${ref.key}`, { vault: ref.vault, key: ref.key });
  }
  return [...refs.entries()].sort(([a], [b]) => byString(a, b)).map(([, r]) => r);
}

/**
 * Each key's attributes and rotation policy from its vault, when the vault was discovered (its data-plane URI comes
 * from ARM); a key in a vault no readable subscription holds (another tenant, no Reader) is a gap, with nothing sent
 * to a guessed URI. `expires`: the current version has an expiry or the policy sets one; null when neither answer
 * says yes and one of them could not be read.
 */
async function readKeys(reader: KeyFactsReader, vaults: readonly VaultFacts[], refs: ReadonlyArray<{ vault: string; key: string }>, valueOr: ValueOr, limit: number): Promise<KeyFacts[]> {
  const byName = new Map(vaults.map((v) => [v.name, v]));
  const unknownVaults = new Set<string>();
  const read = await mapLimit(refs, limit, async ({ vault, key }): Promise<KeyFacts | null> => {
    const v = byName.get(vault);
    if (!v) {
      unknownVaults.add(vault);
      return null;
    }
    const scope = `${v.uri.replace(/\/+$/, '')}/keys/${key}`;
    const [attributes, policy] = await Promise.all([reader.keyAttributes(v, key), reader.rotationPolicy(v, key)]);
    const a = valueOr(attributes, scope, null);
    const p = valueOr(policy, `${scope}/rotationpolicy`, null);
    const expires = a?.expires === true || p?.expires === true ? true : a !== null && p !== null ? false : null;
    return { vault, name: key, expires, autoRotate: p?.autoRotate ?? null };
  });
  for (const vault of [...unknownVaults].sort(byString)) valueOr({ ok: false, reason: 'vault not found in any subscription read (another tenant, or no Reader on it)' }, `vault ${vault}`, null);
  return read.filter((k): k is KeyFacts => k !== null);
}

function dedupe<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const i of items) if (!seen.has(key(i))) seen.set(key(i), i);
  return [...seen.values()];
}
