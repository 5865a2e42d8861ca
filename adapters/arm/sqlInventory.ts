// Discovery's SQL reads over @azure/arm-sql 10: servers and managed instances per subscription, and per server its
// encryption protector, failover groups, replication links and databases — one SDK call each (pages aside), so the
// calls per server stay constant. SDK shapes become facts here and nowhere else.
//   servers.list                          2022-08-01-preview  identity, primaryUserAssignedIdentityId
//   managedInstances.list                 2022-08-01-preview  identity, sku.tier
//   encryptionProtectors.get / managedInstanceEncryptionProtectors.get  `current`, 2020-11-01-preview
//   failoverGroups.listByServer           2020-11-01-preview  replicationRole, partnerServers[].{id, replicationRole}
//   replicationLinks.listByServer         2022-02-01-preview  partnerServer (a name), role, partnerRole, linkType
//   databases.listByServer                2022-08-01-preview  sku.tier, encryptionProtector (database-level CMK)
//   managedDatabases.listByInstance       2022-05-01-preview
//   instanceFailoverGroups.listByLocation 2022-05-01-preview  replicationRole, managedInstancePairs
import { SqlManagementClient, type EncryptionProtector, type ManagedInstance, type Server } from '@azure/arm-sql';
import type { GeoLink } from '../../domain/discovery/facts.js';
import { parseServerKeyName } from '../../domain/keyRef.js';
import type { ArmInventory, InstanceFailoverGroupFact, ReplicationLinkFact, SqlProtector, SqlServerListing } from '../../app/discovery/ports.js';
import { all, perSubscription, sdkOptions, type ArmClientOptions } from './clients.js';
import { armRead } from './errors.js';
import { geoRole, identityFacts, lower, resourceGroupOf } from './ids.js';

type SqlReads = Pick<ArmInventory, 'sqlServers' | 'managedInstances' | 'encryptionProtector' | 'failoverGroupLinks' | 'replicationLinks' | 'databases' | 'instanceFailoverGroups'>;

function listing(r: Server | ManagedInstance, kind: SqlServerListing['kind'], subscriptionId: string): SqlServerListing | null {
  if (!r.id || !r.name) return null;
  return {
    id: r.id.toLowerCase(),
    kind,
    name: r.name.toLowerCase(),
    subscriptionId: subscriptionId.toLowerCase(),
    location: lower(r.location),
    identity: identityFacts(r.identity),
    primaryUserAssignedIdentityId: lower(r.primaryUserAssignedIdentityId),
    resourceGroup: resourceGroupOf(r.id),
    skuTier: kind === 'managed-instance' ? ((r as ManagedInstance).sku?.tier ?? null) : null,
  };
}

/** The protector when it is a Key Vault key; a service-managed one is null. */
export function protectorFacts(p: EncryptionProtector): SqlProtector {
  if (p.serverKeyType !== 'AzureKeyVault') return null;
  const serverKeyName = p.serverKeyName ?? '';
  let keyUri = p.uri ?? '';
  if (!keyUri) {
    // ARM leaves `uri` out now and then; the server key name `<vault>_<key>_<version>` says the same (public cloud DNS).
    const ref = parseServerKeyName(serverKeyName);
    keyUri = ref ? `https://${ref.vault}.vault.azure.net/keys/${ref.key}/${ref.version}` : '';
  }
  return { keyUri: keyUri.toLowerCase(), autoRotation: p.autoRotationEnabled ?? null, serverKeyName: serverKeyName.toLowerCase() };
}

const DATABASE_IN_LINK_ID = /\/databases\/([^/]+)\/replicationlinks\//i;

export function createSqlInventory(o: ArmClientOptions): SqlReads {
  const client = perSubscription((sub) => new SqlManagementClient(o.credential, sub, sdkOptions(o)));
  const on = (s: SqlServerListing): SqlManagementClient => client(s.subscriptionId);

  return {
    sqlServers: (sub) => armRead({ scope: `/subscriptions/${sub}`, operation: 'servers.list' }, async () => (await all(client(sub).servers.list())).map((s) => listing(s, 'server', sub)).filter((s) => s !== null)),

    managedInstances: (sub) =>
      armRead({ scope: `/subscriptions/${sub}`, operation: 'managedInstances.list' }, async () => (await all(client(sub).managedInstances.list())).map((m) => listing(m, 'managed-instance', sub)).filter((m) => m !== null)),

    encryptionProtector: (s) =>
      s.kind === 'server'
        ? armRead({ scope: s.id, operation: 'encryptionProtectors.get' }, async () => protectorFacts(await on(s).encryptionProtectors.get(s.resourceGroup, s.name, 'current')))
        : armRead({ scope: s.id, operation: 'managedInstanceEncryptionProtectors.get' }, async () => protectorFacts(await on(s).managedInstanceEncryptionProtectors.get(s.resourceGroup, s.name, 'current'))),

    failoverGroupLinks: (s) =>
      armRead({ scope: s.id, operation: 'failoverGroups.listByServer' }, async () => {
        const links: GeoLink[] = [];
        for (const g of await all(on(s).failoverGroups.listByServer(s.resourceGroup, s.name))) {
          const role = geoRole(g.replicationRole);
          if (!role || !g.name) continue;
          for (const p of g.partnerServers ?? []) {
            const partnerRole = geoRole(p.replicationRole) ?? (role === 'primary' ? 'secondary' : 'primary');
            links.push({ partner: p.id.toLowerCase(), role, partnerRole, via: `failover-group:${g.name.toLowerCase()}` });
          }
        }
        return links;
      }),

    replicationLinks: (s) =>
      armRead({ scope: s.id, operation: 'replicationLinks.listByServer' }, async () => {
        const out: ReplicationLinkFact[] = [];
        for (const l of await all(on(s).replicationLinks.listByServer(s.resourceGroup, s.name))) {
          const role = geoRole(l.role);
          const partnerRole = geoRole(l.partnerRole);
          // NAMED: a Hyperscale named replica (shares the primary's storage), not a geo-secondary; Copy/Source: a copy.
          if (!role || !partnerRole || !l.partnerServer || l.linkType === 'NAMED') continue;
          const database = (DATABASE_IN_LINK_ID.exec(l.id ?? '')?.[1] ?? l.partnerDatabase ?? '').toLowerCase();
          out.push({ database, partnerServer: l.partnerServer.toLowerCase(), role, partnerRole });
        }
        return out;
      }),

    databases: (s) =>
      s.kind === 'server'
        ? armRead({ scope: s.id, operation: 'databases.listByServer' }, async () => {
            const byTier: Record<string, number> = {};
            const withOwnCmk: string[] = [];
            for (const d of await all(on(s).databases.listByServer(s.resourceGroup, s.name))) {
              const tier = d.sku?.tier ?? d.currentSku?.tier ?? 'Unknown';
              if (d.name?.toLowerCase() === 'master' || tier === 'System') continue;
              byTier[tier] = (byTier[tier] ?? 0) + 1;
              if (d.encryptionProtector) withOwnCmk.push((d.name ?? '').toLowerCase());
            }
            return { byTier, withOwnCmk: withOwnCmk.sort() };
          })
        : armRead({ scope: s.id, operation: 'managedDatabases.listByInstance' }, async () => {
            // An instance's databases share its service tier; they have no CMK of their own.
            const n = (await all(on(s).managedDatabases.listByInstance(s.resourceGroup, s.name))).length;
            return { byTier: n > 0 ? { [s.skuTier ?? 'Unknown']: n } : {}, withOwnCmk: [] };
          }),

    instanceFailoverGroups: (sub, rg, location) =>
      armRead({ scope: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Sql/locations/${location}`, operation: 'instanceFailoverGroups.listByLocation' }, async () => {
        const out: InstanceFailoverGroupFact[] = [];
        for (const g of await all(client(sub).instanceFailoverGroups.listByLocation(rg, location))) {
          const role = geoRole(g.replicationRole);
          if (!role || !g.name) continue;
          const pairs = (g.managedInstancePairs ?? []).flatMap((p) => (p.primaryManagedInstanceId && p.partnerManagedInstanceId ? [{ primary: p.primaryManagedInstanceId.toLowerCase(), partner: p.partnerManagedInstanceId.toLowerCase() }] : []));
          out.push({ name: g.name.toLowerCase(), role, pairs });
        }
        return out;
      }),
  };
}
