// Request path → emulated resource, for the paths @azure/arm-sql 10 sends (its operation specs):
//   …/servers/{server}                                  servers.get
//   …/servers/{server}/keys[/{keyName}]                 serverKeys.listByServer / get / beginCreateOrUpdate / beginDelete
//   …/servers/{server}/encryptionProtector[/current]    encryptionProtectors.listByServer / get / beginCreateOrUpdate
//   …/servers/{server}/encryptionProtector/current/revalidate   encryptionProtectors.beginRevalidate
//   …/servers/{server}/replicationLinks                 replicationLinks.listByServer
// where … = /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Sql; plus the async operation status
// resources this emulator hands out. ARM matches path segments case-insensitively.
import type { OperationKind } from './asyncOperations.js';

export type Route =
  | { readonly kind: 'server'; readonly serverId: string }
  | { readonly kind: 'keys'; readonly serverId: string }
  | { readonly kind: 'key'; readonly serverId: string; readonly keyName: string }
  | { readonly kind: 'protectors'; readonly serverId: string }
  | { readonly kind: 'protector'; readonly serverId: string }
  | { readonly kind: 'revalidate'; readonly serverId: string }
  | { readonly kind: 'replicationLinks'; readonly serverId: string }
  | { readonly kind: 'operation'; readonly operationKind: OperationKind; readonly id: string };

const SERVER = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Sql\/servers\/[^/]+)(\/.*)?$/i;
const OPERATION = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Sql\/locations\/[^/]+\/(serverKeyAzureAsyncOperation|encryptionProtectorAzureAsyncOperation)\/([^/]+)$/i;

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function routeOf(pathname: string): Route | null {
  const op = OPERATION.exec(pathname);
  if (op?.[1] && op[2]) {
    const operationKind: OperationKind = op[1].toLowerCase().startsWith('serverkey') ? 'serverKeyAzureAsyncOperation' : 'encryptionProtectorAzureAsyncOperation';
    return { kind: 'operation', operationKind, id: decode(op[2]) };
  }
  const m = SERVER.exec(pathname);
  if (!m?.[1]) return null;
  const serverId = decode(m[1]);
  const rest = (m[2] ?? '').split('/').slice(1).map(decode);
  const [a, b, c, ...more] = rest;
  if (more.length > 0) return null;
  const lower = [a, b, c].map((x) => x?.toLowerCase());
  if (a === undefined) return { kind: 'server', serverId };
  if (lower[0] === 'keys' && c === undefined) return b === undefined ? { kind: 'keys', serverId } : b ? { kind: 'key', serverId, keyName: b } : null;
  if (lower[0] === 'encryptionprotector') {
    if (b === undefined) return { kind: 'protectors', serverId };
    if (lower[1] !== 'current') return null;
    if (c === undefined) return { kind: 'protector', serverId };
    return lower[2] === 'revalidate' ? { kind: 'revalidate', serverId } : null;
  }
  if (lower[0] === 'replicationlinks' && b === undefined) return { kind: 'replicationLinks', serverId };
  return null;
}
