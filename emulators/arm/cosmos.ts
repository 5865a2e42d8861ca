// Cosmos DB accounts as @azure/arm-cosmosdb 16.4 reads them (api-version 2025-10-15): the subscription-wide account
// listing with the CMK settings (`keyVaultKeyUri`, `defaultIdentity`) and identity, and the SQL API databases with
// their Always Encrypted client encryption keys (`keyWrapMetadata.value` = the wrapping key's URI). None of these
// SDK listings follows `nextLink` (the operations do not page), so each answers its whole list at once.
import { createHash } from 'node:crypto';
import { authorizationFailed, resourceNotFound } from './errors.js';
import { json, type ArmRequest } from './http.js';
import { identityJson, managedIdentityOf, type IdentityConfig } from './identity.js';
import { whole } from './paging.js';
import { resourcePath, subscriptionListing, type ArmProvider, type ResourcePath, type RoutedCall } from './provider.js';

export interface EmulatedClientEncryptionKey {
  readonly id: string;
  /** The Key Vault key (version) that wraps the data encryption key. */
  readonly keyWrapUri: string;
}

export interface EmulatedCosmosAccount extends IdentityConfig {
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.DocumentDB/databaseAccounts/<name>`. */
  readonly resourceId: string;
  /** Default `eastus`. */
  readonly location?: string;
  /** CMK: the (usually versionless) Key Vault key URI; absent: service-managed keys. */
  readonly keyVaultKeyUri?: string;
  /** `FirstPartyIdentity` (the default), `SystemAssignedIdentity`, `UserAssignedIdentity=<id>`, `FederatedIdentity=…`. */
  readonly defaultIdentity?: string;
  /** Default `https://<name>.documents.azure.com:443/`. */
  readonly documentEndpoint?: string;
  /** SQL API databases, with their Always Encrypted client encryption keys. */
  readonly databases?: ReadonlyArray<{ readonly name: string; readonly clientEncryptionKeys?: readonly EmulatedClientEncryptionKey[] }>;
  /** Object ids that may list client encryption keys; absent: every caller who can read the subscription. */
  readonly clientEncryptionKeyReaders?: readonly string[];
}

const NAMESPACE = 'Microsoft.DocumentDB';
const TYPE = 'databaseAccounts';

const nameOf = (id: string): string => id.slice(id.lastIndexOf('/') + 1);

/** Cosmos system properties (`_rid`, `_etag`, …): stable per resource. */
function system(id: string): Record<string, unknown> {
  const h = createHash('sha256').update(id.toLowerCase()).digest();
  return { _rid: h.subarray(0, 6).toString('base64'), _ts: 1767225600, _etag: `"${h.subarray(6, 14).toString('hex')}"` };
}

function accountJson(a: EmulatedCosmosAccount): unknown {
  const name = nameOf(a.resourceId);
  const location = a.location ?? 'eastus';
  const endpoint = a.documentEndpoint ?? `https://${name}.documents.azure.com:443/`;
  const identity = identityJson(managedIdentityOf(a));
  const region = { id: `${name}-${location}`, locationName: location, documentEndpoint: endpoint, provisioningState: 'Succeeded', failoverPriority: 0, isZoneRedundant: false };
  return {
    id: a.resourceId,
    name,
    location,
    type: `${NAMESPACE}/${TYPE}`,
    kind: 'GlobalDocumentDB',
    tags: {},
    ...(identity ? { identity } : {}),
    properties: {
      provisioningState: 'Succeeded',
      documentEndpoint: endpoint,
      databaseAccountOfferType: 'Standard',
      ...(a.keyVaultKeyUri ? { keyVaultKeyUri: a.keyVaultKeyUri } : {}),
      defaultIdentity: a.defaultIdentity ?? 'FirstPartyIdentity',
      consistencyPolicy: { defaultConsistencyLevel: 'Session', maxIntervalInSeconds: 5, maxStalenessPrefix: 100 },
      locations: [region],
      writeLocations: [region],
      readLocations: [region],
      failoverPolicies: [{ id: region.id, locationName: location, failoverPriority: 0 }],
      capabilities: [],
      enableAutomaticFailover: false,
      enableMultipleWriteLocations: false,
      isVirtualNetworkFilterEnabled: false,
      publicNetworkAccess: 'Enabled',
      disableLocalAuth: false,
    },
  };
}

function databaseJson(a: EmulatedCosmosAccount, db: string): unknown {
  const id = `${a.resourceId}/sqlDatabases/${db}`;
  return { id, name: db, type: `${NAMESPACE}/${TYPE}/sqlDatabases`, properties: { resource: { id: db, ...system(id), _colls: 'colls/', _users: 'users/' } } };
}

function clientEncryptionKeyJson(a: EmulatedCosmosAccount, db: string, k: EmulatedClientEncryptionKey): unknown {
  const id = `${a.resourceId}/sqlDatabases/${db}/clientEncryptionKeys/${k.id}`;
  // An opaque stand-in for the wrapped data encryption key: never real key material.
  const wrapped = createHash('sha256').update(`wrapped|${id}`).digest('base64');
  const keyName = /\/keys\/([^/]+)/.exec(k.keyWrapUri)?.[1] ?? k.id;
  return {
    id,
    name: k.id,
    type: `${NAMESPACE}/${TYPE}/sqlDatabases/clientEncryptionKeys`,
    properties: {
      resource: {
        id: k.id,
        encryptionAlgorithm: 'AEAD_AES_256_CBC_HMAC_SHA256',
        wrappedDataEncryptionKey: wrapped,
        keyWrapMetadata: { name: keyName, type: 'AZURE_KEY_VAULT', value: k.keyWrapUri, algorithm: 'RSA-OAEP' },
        ...system(id),
      },
    },
  };
}

export function cosmosProvider(accounts: readonly EmulatedCosmosAccount[]): ArmProvider {
  const byId = new Map(accounts.map((a) => [a.resourceId.toLowerCase(), a]));
  const account = (r: ResourcePath): EmulatedCosmosAccount => {
    const a = byId.get(r.resourceId.toLowerCase());
    if (!a) throw resourceNotFound(`${NAMESPACE}/${TYPE}`, r.name, r.resourceGroup);
    return a;
  };
  return {
    route(req: ArmRequest): RoutedCall | null {
      if (req.method.toUpperCase() !== 'GET') return null;
      const sub = subscriptionListing(req.url.pathname, NAMESPACE, TYPE);
      if (sub) {
        const list = (): unknown[] => accounts.filter((a) => a.resourceId.toLowerCase().startsWith(`/subscriptions/${sub.toLowerCase()}/`)).map(accountJson);
        return { operation: 'databaseAccounts.list', action: `${NAMESPACE}/${TYPE}/read`, subscriptionId: sub, run: () => whole(list()) };
      }
      const r = resourcePath(req.url.pathname, NAMESPACE, TYPE);
      if (!r) return null;
      const [a, db, c, ...more] = r.rest;
      const lower = [a, c].map((x) => x?.toLowerCase());
      const at = { subscriptionId: r.subscriptionId };
      if (a === undefined) return { ...at, operation: 'databaseAccounts.get', action: `${NAMESPACE}/${TYPE}/read`, run: () => json(200, accountJson(account(r))) };
      if (lower[0] !== 'sqldatabases' || more.length > 0) return null;
      if (db === undefined) {
        return { ...at, operation: 'sqlResources.listSqlDatabases', action: `${NAMESPACE}/${TYPE}/sqlDatabases/read`, run: () => whole((account(r).databases ?? []).map((d) => databaseJson(account(r), d.name))) };
      }
      if (lower[1] !== 'clientencryptionkeys') return null;
      const action = `${NAMESPACE}/${TYPE}/sqlDatabases/clientEncryptionKeys/read`;
      return {
        ...at,
        operation: 'sqlResources.listClientEncryptionKeys',
        action,
        run: () => {
          const acc = account(r);
          const readers = acc.clientEncryptionKeyReaders;
          if (readers && !readers.some((x) => x.toLowerCase() === req.caller.toLowerCase())) throw authorizationFailed(req.caller, action, `${acc.resourceId}/sqlDatabases/${db}`);
          const found = acc.databases?.find((d) => d.name.toLowerCase() === db.toLowerCase());
          if (!found) throw resourceNotFound(`${NAMESPACE}/${TYPE}/sqlDatabases`, `${r.name}/${db}`, r.resourceGroup);
          return whole((found.clientEncryptionKeys ?? []).map((k) => clientEncryptionKeyJson(acc, found.name, k)));
        },
      };
    },
  };
}
