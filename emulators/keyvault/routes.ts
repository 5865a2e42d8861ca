// Request line → Key Vault operation. Paths are those the SDK sends (azure-formats.md §4.2), including the empty
// version segment it writes when no version is given (`/keys/k/` for get, `/keys/k//wrapkey` for wrap).
import type { KeyPermission } from './types.js';

export type OperationName =
  | 'KeyGet'
  | 'KeyList'
  | 'KeyListVersions'
  | 'KeyCreate'
  | 'KeyImport'
  | 'KeyUpdate'
  | 'KeyRotate'
  | 'KeyRotationPolicyGet'
  | 'KeyRotationPolicySet'
  | 'KeyBackup'
  | 'KeyRestore'
  | 'KeyWrap'
  | 'KeyUnwrap'
  | 'KeyEncrypt'
  | 'KeyDecrypt'
  | 'KeyDelete'
  | 'KeyGetDeleted'
  | 'KeyListDeleted'
  | 'KeyPurge'
  | 'KeyRecover';

export type CryptoOperation = 'wrapKey' | 'unwrapKey' | 'encrypt' | 'decrypt';

export interface Route {
  readonly operation: OperationName;
  readonly permission: KeyPermission;
  /** The RBAC data action named in ForbiddenByRbac texts. */
  readonly rbacAction: string;
  /** Key name as written in the URL (Key Vault names are case-insensitive). */
  readonly keyName?: string;
  /** '' = the current (latest) version. Absent on operations that do not name a version. */
  readonly version?: string;
  readonly crypto?: CryptoOperation;
  /** The request names a deleted key (`/deletedkeys/...`): its audit id is a deletedkeys URI. */
  readonly deleted?: boolean;
}

interface OpInfo {
  readonly permission: KeyPermission;
  readonly rbacAction: string;
}

const A = 'Microsoft.KeyVault/vaults';
const OPS: Readonly<Record<OperationName, OpInfo>> = {
  KeyGet: { permission: 'get', rbacAction: `${A}/keys/read` },
  // Real Key Vault requires the `list` permission for listing (the SDK documents "requires the keys/list permission").
  KeyList: { permission: 'list', rbacAction: `${A}/keys/read` },
  KeyListVersions: { permission: 'list', rbacAction: `${A}/keys/read` },
  KeyCreate: { permission: 'create', rbacAction: `${A}/keys/create/action` },
  KeyImport: { permission: 'import', rbacAction: `${A}/keys/import/action` },
  KeyUpdate: { permission: 'update', rbacAction: `${A}/keys/write` },
  KeyRotate: { permission: 'rotate', rbacAction: `${A}/keys/rotate/action` },
  KeyRotationPolicyGet: { permission: 'getrotationpolicy', rbacAction: `${A}/keyrotationpolicies/read` },
  KeyRotationPolicySet: { permission: 'setrotationpolicy', rbacAction: `${A}/keyrotationpolicies/write` },
  KeyBackup: { permission: 'backup', rbacAction: `${A}/keys/backup/action` },
  KeyRestore: { permission: 'restore', rbacAction: `${A}/keys/restore/action` },
  KeyWrap: { permission: 'wrapKey', rbacAction: `${A}/keys/wrap/action` },
  KeyUnwrap: { permission: 'unwrapKey', rbacAction: `${A}/keys/unwrap/action` },
  KeyEncrypt: { permission: 'encrypt', rbacAction: `${A}/keys/encrypt/action` },
  KeyDecrypt: { permission: 'decrypt', rbacAction: `${A}/keys/decrypt/action` },
  KeyDelete: { permission: 'delete', rbacAction: `${A}/keys/delete` },
  KeyGetDeleted: { permission: 'get', rbacAction: `${A}/deletedKeys/read` },
  KeyListDeleted: { permission: 'list', rbacAction: `${A}/deletedKeys/read` },
  KeyPurge: { permission: 'purge', rbacAction: `${A}/deletedKeys/delete` },
  KeyRecover: { permission: 'recover', rbacAction: `${A}/deletedKeys/recover/action` },
};

const CRYPTO: Readonly<Record<string, { op: OperationName; crypto: CryptoOperation }>> = {
  wrapkey: { op: 'KeyWrap', crypto: 'wrapKey' },
  unwrapkey: { op: 'KeyUnwrap', crypto: 'unwrapKey' },
  encrypt: { op: 'KeyEncrypt', crypto: 'encrypt' },
  decrypt: { op: 'KeyDecrypt', crypto: 'decrypt' },
};

function route(operation: OperationName, extra: Omit<Route, 'operation' | 'permission' | 'rbacAction'> = {}): Route {
  return { operation, ...OPS[operation], ...extra };
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The operation a request names, or null when the emulator does not serve it. */
export function parseRoute(method: string, pathname: string): Route | null {
  const raw = pathname.split('/').slice(1);
  const segments = raw.map(decode);
  if (segments.some((s) => s === null)) return null;
  const [collection, name, third, fourth, ...rest] = segments as string[];
  if (rest.length > 0) return null;
  const verb = third?.toLowerCase();

  if (collection === 'keys') {
    if (name === undefined || name === '') return method === 'GET' && third === undefined ? route('KeyList') : null;
    if (name.toLowerCase() === 'restore' && third === undefined && method === 'POST') return route('KeyRestore');
    if (third === undefined || (third === '' && fourth === undefined)) {
      if (method === 'GET') return route('KeyGet', { keyName: name, version: '' });
      if (method === 'PUT' && third === undefined) return route('KeyImport', { keyName: name });
      if (method === 'DELETE' && third === undefined) return route('KeyDelete', { keyName: name });
      if (method === 'PATCH') return route('KeyUpdate', { keyName: name, version: '' });
      return null;
    }
    if (fourth === undefined) {
      if (verb === 'create' && method === 'POST') return route('KeyCreate', { keyName: name });
      if (verb === 'versions' && method === 'GET') return route('KeyListVersions', { keyName: name });
      if (verb === 'rotate' && method === 'POST') return route('KeyRotate', { keyName: name });
      if (verb === 'backup' && method === 'POST') return route('KeyBackup', { keyName: name });
      if (verb === 'rotationpolicy' && method === 'GET') return route('KeyRotationPolicyGet', { keyName: name });
      if (verb === 'rotationpolicy' && method === 'PUT') return route('KeyRotationPolicySet', { keyName: name });
      if (method === 'GET') return route('KeyGet', { keyName: name, version: third });
      if (method === 'PATCH') return route('KeyUpdate', { keyName: name, version: third });
      return null;
    }
    const c = CRYPTO[fourth.toLowerCase()];
    if (c && method === 'POST') return route(c.op, { keyName: name, version: third, crypto: c.crypto });
    return null;
  }

  if (collection === 'deletedkeys') {
    if (name === undefined || name === '') return method === 'GET' && third === undefined ? route('KeyListDeleted') : null;
    if (third === undefined) {
      if (method === 'GET') return route('KeyGetDeleted', { keyName: name, deleted: true });
      if (method === 'DELETE') return route('KeyPurge', { keyName: name, deleted: true });
      return null;
    }
    if (verb === 'recover' && fourth === undefined && method === 'POST') return route('KeyRecover', { keyName: name, deleted: true });
  }
  return null;
}
