// Operation name → handler, and what each request costs against the vault's throttling budgets.
import { cryptoOperation } from './cryptoOperations.js';
import { deleteKey, getDeletedKey, listDeletedKeys, purgeDeletedKey, recoverDeletedKey } from './deletedOperations.js';
import {
  backupKey,
  createKey,
  getKey,
  getRotationPolicy,
  importKey,
  listKeys,
  listVersions,
  restoreKey,
  rotateKey,
  setRotationPolicy,
  updateKey,
} from './keyOperations.js';
import type { Handler } from './operation.js';
import type { OperationName, Route } from './routes.js';
import type { VaultState } from './store.js';
import { creationWeight, operationWeight, type ResolvedLimits } from './throttle.js';

export const HANDLERS: Readonly<Record<OperationName, Handler>> = {
  KeyGet: getKey,
  KeyList: listKeys,
  KeyListVersions: listVersions,
  KeyCreate: createKey,
  KeyImport: importKey,
  KeyUpdate: updateKey,
  KeyRotate: rotateKey,
  KeyRotationPolicyGet: getRotationPolicy,
  KeyRotationPolicySet: setRotationPolicy,
  KeyBackup: backupKey,
  KeyRestore: restoreKey,
  KeyWrap: cryptoOperation,
  KeyUnwrap: cryptoOperation,
  KeyEncrypt: cryptoOperation,
  KeyDecrypt: cryptoOperation,
  KeyDelete: deleteKey,
  KeyGetDeleted: getDeletedKey,
  KeyListDeleted: listDeletedKeys,
  KeyPurge: purgeDeletedKey,
  KeyRecover: recoverDeletedKey,
};

export interface Cost {
  readonly budget: 'ops' | 'create';
  readonly weight: number;
}

/** Computed before the operation runs (so a throttled request has no effect), from the request and the stored key. */
export function costOf(limits: ResolvedLimits, vault: VaultState, route: Route, body: Readonly<Record<string, unknown>>): Cost {
  const name = route.keyName;
  const current = name !== undefined ? vault.version(name, route.version ?? '') : undefined;
  switch (route.operation) {
    case 'KeyCreate':
      return { budget: 'create', weight: creationWeight(typeof body.kty === 'string' ? body.kty : undefined) };
    case 'KeyImport': {
      const hsm = body.Hsm === true || body.hsm === true || (body.key as { kty?: unknown } | undefined)?.kty === 'RSA-HSM';
      return { budget: 'create', weight: creationWeight(hsm ? 'RSA-HSM' : 'RSA') };
    }
    case 'KeyRotate':
      return { budget: 'create', weight: creationWeight(current?.kty) };
    default:
      return { budget: 'ops', weight: operationWeight(limits, current?.kty, current?.material.size) };
  }
}
