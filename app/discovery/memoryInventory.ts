// In-memory ArmInventory and KeyFactsReader for app/ tests: an Azure estate held as the facts discovery should find,
// answered the way ARM answers (replication links by partner name, managed-instance failover groups per resource
// group and region, a 403 for a refused scope). It passes the same contract suite as the SDK adapters
// (test/contracts/armInventory.test.ts) and counts every call, per method and per scope, so tests can hold the use
// case to a constant number of calls per server.
import type { CosmosAccountFacts, GeoRole, KeyFacts, SqlServerFacts, VaultFacts } from '../../domain/discovery/facts.js';
import type { ArmInventory, ClientEncryptionKeyFacts, CosmosAccountListing, InstanceFailoverGroupFact, KeyFactsReader, Read, ReplicationLinkFact, SqlServerListing } from './ports.js';

export interface InventoryWorld {
  readonly subscriptions: ReadonlyArray<{
    readonly id: string;
    /** Servers and managed instances with what their own reads return (geoLinks, databases, protector). */
    readonly sqlServers: readonly SqlServerFacts[];
    /** Accounts; `clientEncryptionKeys: null` is an account whose keys the caller cannot read. */
    readonly cosmosAccounts: readonly CosmosAccountFacts[];
    readonly vaults: readonly VaultFacts[];
  }>;
  /** Key attributes as Key Vault would give them (`vault`/`name`); a key not listed is not found. */
  readonly keys: readonly KeyFacts[];
  /**
   * Scopes that answer 403: a subscription id (all its listings), a resource id (that resource's reads), `vault/key`
   * (that key's data-plane reads), or `/subscriptions` (the tenant-wide listing).
   */
  readonly forbidden?: readonly string[];
}

const rgOf = (id: string): string => /\/resourcegroups\/([^/]+)/.exec(id)?.[1] ?? '';
const nameOf = (id: string): string => id.slice(id.lastIndexOf('/') + 1);
const forbidden = <T>(): Read<T> => ({ ok: false, reason: '403 AuthorizationFailed — the client does not have authorization to perform this action' });

export class MemoryArmInventory implements ArmInventory, KeyFactsReader {
  /** Calls by method. */
  readonly calls = new Map<string, number>();
  /** Calls by `method scope` (scope: subscription or resource id): each must stay at one per run. */
  readonly callsByScope = new Map<string, number>();
  private readonly denied: ReadonlySet<string>;
  private readonly servers = new Map<string, SqlServerFacts>();

  constructor(private readonly world: InventoryWorld) {
    this.denied = new Set((world.forbidden ?? []).map((s) => s.toLowerCase()));
    for (const sub of world.subscriptions) for (const s of sub.sqlServers) this.servers.set(s.id, s);
  }

  get totalCalls(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  private count(method: string, scope: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const key = `${method} ${scope}`;
    this.callsByScope.set(key, (this.callsByScope.get(key) ?? 0) + 1);
  }

  private refused(...scopes: string[]): boolean {
    return scopes.some((s) => this.denied.has(s.toLowerCase()));
  }

  private subscription(id: string): InventoryWorld['subscriptions'][number] | undefined {
    return this.world.subscriptions.find((s) => s.id === id);
  }

  private listing(method: string, sub: string): InventoryWorld['subscriptions'][number] | null {
    this.count(method, sub);
    return this.refused(sub) ? null : (this.subscription(sub) ?? { id: sub, sqlServers: [], cosmosAccounts: [], vaults: [] });
  }

  private server(method: string, s: SqlServerListing): SqlServerFacts | null {
    this.count(method, s.id);
    return this.refused(s.subscriptionId, s.id) ? null : (this.servers.get(s.id) ?? null);
  }

  async subscriptions(): Promise<Read<string[]>> {
    this.count('subscriptions', '/subscriptions');
    if (this.refused('/subscriptions')) return forbidden();
    return { ok: true, value: this.world.subscriptions.filter((s) => !this.refused(s.id)).map((s) => s.id) };
  }

  private serverListings(method: string, sub: string, kind: SqlServerFacts['kind']): Read<SqlServerListing[]> {
    const s = this.listing(method, sub);
    if (!s) return forbidden();
    return {
      ok: true,
      value: s.sqlServers
        .filter((x) => x.kind === kind)
        .map(({ protector: _p, geoLinks: _g, databases: _d, ...rest }) => ({ ...rest, resourceGroup: rgOf(rest.id), skuTier: null })),
    };
  }

  async sqlServers(subscriptionId: string): Promise<Read<SqlServerListing[]>> {
    return this.serverListings('sqlServers', subscriptionId, 'server');
  }

  async managedInstances(subscriptionId: string): Promise<Read<SqlServerListing[]>> {
    return this.serverListings('managedInstances', subscriptionId, 'managed-instance');
  }

  async encryptionProtector(server: SqlServerListing): Promise<Read<SqlServerFacts['protector']>> {
    const s = this.server('encryptionProtector', server);
    return s ? { ok: true, value: s.protector } : forbidden();
  }

  async failoverGroupLinks(server: SqlServerListing): Promise<Read<SqlServerFacts['geoLinks'][number][]>> {
    const s = this.server('failoverGroupLinks', server);
    return s ? { ok: true, value: s.geoLinks.filter((l) => l.via.startsWith('failover-group:')) } : forbidden();
  }

  async replicationLinks(server: SqlServerListing): Promise<Read<ReplicationLinkFact[]>> {
    const s = this.server('replicationLinks', server);
    if (!s) return forbidden();
    return {
      ok: true,
      value: s.geoLinks
        .filter((l) => l.via.startsWith('replication-link:'))
        .map((l) => ({ database: l.via.slice('replication-link:'.length), partnerServer: nameOf(l.partner), role: l.role, partnerRole: l.partnerRole })),
    };
  }

  async databases(server: SqlServerListing): Promise<Read<SqlServerFacts['databases']>> {
    const s = this.server('databases', server);
    return s ? { ok: true, value: s.databases } : forbidden();
  }

  async instanceFailoverGroups(subscriptionId: string, resourceGroup: string, location: string): Promise<Read<InstanceFailoverGroupFact[]>> {
    this.count('instanceFailoverGroups', `${subscriptionId}/${resourceGroup}/${location}`);
    if (this.refused(subscriptionId)) return forbidden();
    // Each group as ARM lists it under this region: the role of the instances here, every pair once.
    const groups = new Map<string, { role: GeoRole; pairs: Map<string, { primary: string; partner: string }> }>();
    for (const s of this.servers.values()) {
      if (s.kind !== 'managed-instance' || s.subscriptionId !== subscriptionId || rgOf(s.id) !== resourceGroup || s.location !== location) continue;
      for (const l of s.geoLinks) {
        if (!l.via.startsWith('failover-group:')) continue;
        const name = l.via.slice('failover-group:'.length);
        const g = groups.get(name) ?? { role: l.role, pairs: new Map() };
        const [primary, partner] = l.role === 'primary' ? [s.id, l.partner] : [l.partner, s.id];
        g.pairs.set(`${primary} ${partner}`, { primary, partner });
        groups.set(name, g);
      }
    }
    return { ok: true, value: [...groups.entries()].map(([name, g]) => ({ name, role: g.role, pairs: [...g.pairs.values()] })) };
  }

  async cosmosAccounts(subscriptionId: string): Promise<Read<CosmosAccountListing[]>> {
    const s = this.listing('cosmosAccounts', subscriptionId);
    if (!s) return forbidden();
    return { ok: true, value: s.cosmosAccounts.map(({ clientEncryptionKeys: _c, ...rest }) => ({ ...rest, resourceGroup: rgOf(rest.id), sqlApi: true })) };
  }

  async clientEncryptionKeys(account: CosmosAccountListing): Promise<Read<ClientEncryptionKeyFacts>> {
    this.count('clientEncryptionKeys', account.id);
    const a = this.subscription(account.subscriptionId)?.cosmosAccounts.find((x) => x.id === account.id);
    if (!a || this.refused(account.subscriptionId, account.id) || a.clientEncryptionKeys === null) return forbidden();
    return { ok: true, value: a.clientEncryptionKeys };
  }

  async vaults(subscriptionId: string): Promise<Read<VaultFacts[]>> {
    const s = this.listing('vaults', subscriptionId);
    return s ? { ok: true, value: s.vaults.filter((v) => !v.managedHsm) } : forbidden();
  }

  async managedHsms(subscriptionId: string): Promise<Read<VaultFacts[]>> {
    const s = this.listing('managedHsms', subscriptionId);
    return s ? { ok: true, value: s.vaults.filter((v) => v.managedHsm) } : forbidden();
  }

  private key(method: string, vault: VaultFacts, keyName: string): Read<KeyFacts> {
    this.count(method, `${vault.name}/${keyName}`);
    if (this.refused(`${vault.name}/${keyName}`, vault.name)) return forbidden();
    const k = this.world.keys.find((x) => x.vault === vault.name && x.name === keyName);
    return k ? { ok: true, value: k } : { ok: false, reason: '404 KeyNotFound — a key with this name was not found in the vault' };
  }

  async keyAttributes(vault: VaultFacts, keyName: string): Promise<Read<{ readonly expires: boolean }>> {
    const k = this.key('keyAttributes', vault, keyName);
    return k.ok ? { ok: true, value: { expires: k.value.expires === true } } : k;
  }

  /** The world's keys state their expiry on the key itself; their policies say only whether they rotate. */
  async rotationPolicy(vault: VaultFacts, keyName: string): Promise<Read<{ readonly expires: boolean; readonly autoRotate: boolean }>> {
    const k = this.key('rotationPolicy', vault, keyName);
    return k.ok ? { ok: true, value: { expires: false, autoRotate: k.value.autoRotate === true } } : k;
  }
}
