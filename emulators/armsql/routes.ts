// Request path → emulated SQL resource, for the paths @azure/arm-sql 10 sends (its operation specs):
//   /subscriptions/{sub}/providers/Microsoft.Sql/servers                  servers.list
//   /subscriptions/{sub}/providers/Microsoft.Sql/managedInstances         managedInstances.list
//   …/servers/{server}                                  servers.get
//   …/servers/{server}/keys[/{keyName}]                 serverKeys.listByServer / get / beginCreateOrUpdate / beginDelete
//   …/servers/{server}/encryptionProtector[/current]    encryptionProtectors.listByServer / get / beginCreateOrUpdate
//   …/servers/{server}/encryptionProtector/current/revalidate   encryptionProtectors.beginRevalidate
//   …/servers/{server}/replicationLinks                 replicationLinks.listByServer
//   …/servers/{server}/databases                        databases.listByServer
//   …/servers/{server}/failoverGroups[/{fg}]            failoverGroups.listByServer / get
//   …/servers/{server}/failoverGroups/{fg}/failover     failoverGroups.beginFailover
//   …/servers/{server}/failoverGroups/{fg}/forceFailoverAllowDataLoss   failoverGroups.beginForceFailoverAllowDataLoss
//   …/managedInstances/{mi}[/keys[/{keyName}]|/encryptionProtector[/current]]   managedInstances.get,
//                                                       managedInstanceKeys.*, managedInstanceEncryptionProtectors.*
// where … = /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Sql; plus the async operation status
// resources this emulator hands out. ARM matches path segments case-insensitively.
import { decodeSegment } from '../arm/http.js';
import { resourcePath, subscriptionListing } from '../arm/provider.js';
import type { OperationKind } from './asyncOperations.js';
import type { SqlResourceKind } from './state.js';

export type ResourceRoute =
  | { readonly kind: 'resource' | 'keys' | 'protectors' | 'protector' | 'revalidate' | 'replicationLinks' | 'databases' | 'failoverGroups' }
  | { readonly kind: 'key'; readonly keyName: string }
  | { readonly kind: 'failoverGroup'; readonly group: string }
  | { readonly kind: 'failover'; readonly group: string; readonly force: boolean };

export type Route =
  | { readonly kind: 'list'; readonly resourceKind: SqlResourceKind; readonly subscriptionId: string }
  | { readonly kind: 'operation'; readonly subscriptionId: string; readonly operationKind: OperationKind; readonly id: string }
  | { readonly kind: 'under'; readonly resourceKind: SqlResourceKind; readonly subscriptionId: string; readonly resourceGroup: string; readonly resourceId: string; readonly name: string; readonly route: ResourceRoute };

const OPERATION = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Sql\/locations\/[^/]+\/(serverKeyAzureAsyncOperation|encryptionProtectorAzureAsyncOperation|failoverGroupAzureAsyncOperation)\/([^/]+)$/i;
const OPERATION_KINDS: readonly OperationKind[] = ['serverKeyAzureAsyncOperation', 'encryptionProtectorAzureAsyncOperation', 'failoverGroupAzureAsyncOperation'];

function underResource(rest: readonly string[], resourceKind: SqlResourceKind): ResourceRoute | null {
  const [a, b, c, ...more] = rest;
  if (more.length > 0) return null;
  const lower = [a, b, c].map((x) => x?.toLowerCase());
  if (a === undefined) return { kind: 'resource' };
  if (lower[0] === 'keys' && c === undefined) return b === undefined ? { kind: 'keys' } : b ? { kind: 'key', keyName: b } : null;
  if (lower[0] === 'encryptionprotector') {
    if (b === undefined) return { kind: 'protectors' };
    if (lower[1] !== 'current') return null;
    if (c === undefined) return { kind: 'protector' };
    return lower[2] === 'revalidate' && resourceKind === 'servers' ? { kind: 'revalidate' } : null;
  }
  if (resourceKind !== 'servers' || (b !== undefined && lower[0] !== 'failovergroups')) return null;
  if (lower[0] === 'replicationlinks') return { kind: 'replicationLinks' };
  if (lower[0] === 'databases') return { kind: 'databases' };
  if (lower[0] === 'failovergroups') {
    if (b === undefined) return { kind: 'failoverGroups' };
    if (!b) return null;
    if (c === undefined) return { kind: 'failoverGroup', group: b };
    if (lower[2] === 'failover') return { kind: 'failover', group: b, force: false };
    if (lower[2] === 'forcefailoverallowdataloss') return { kind: 'failover', group: b, force: true };
  }
  return null;
}

export function routeOf(pathname: string): Route | null {
  const op = OPERATION.exec(pathname);
  if (op?.[1] && op[2] && op[3]) {
    const operationKind = OPERATION_KINDS.find((k) => k.toLowerCase() === op[2]?.toLowerCase()) as OperationKind;
    return { kind: 'operation', subscriptionId: op[1], operationKind, id: decodeSegment(op[3]) };
  }
  for (const resourceKind of ['servers', 'managedInstances'] as const) {
    const sub = subscriptionListing(pathname, 'Microsoft.Sql', resourceKind);
    if (sub) return { kind: 'list', resourceKind, subscriptionId: decodeSegment(sub) };
    const r = resourcePath(pathname, 'Microsoft.Sql', resourceKind);
    if (!r) continue;
    const route = underResource(r.rest, resourceKind);
    return route ? { kind: 'under', resourceKind, subscriptionId: r.subscriptionId, resourceGroup: r.resourceGroup, resourceId: r.resourceId, name: r.name, route } : null;
  }
  return null;
}
