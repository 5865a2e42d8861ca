// Builders of normalised events for domain tests. Each takes the instant as ISO text so tables read naturally.
import type { DenialReason, KeyEvent } from '../../domain/events/keyEvent.js';
import { parseInstant } from '../../domain/time.js';
import { EUS_VAULT, KEY, SUB } from './estates.js';

export const at = (iso: string): number => {
  const ms = parseInstant(iso);
  if (ms === null) throw new Error(`bad instant ${iso}`);
  return ms;
};

let seq = 0;
const nextId = (prefix: string): string => `${prefix}-${(++seq).toString().padStart(6, '0')}`;

export function access(o: { time: string; oid?: string; mirid?: string; vault?: string; version?: string | null; status?: number; denial?: DenialReason; id?: string }): KeyEvent {
  const status = o.status ?? (o.denial ? 403 : 200);
  return {
    kind: 'key-access',
    id: o.id ?? nextId('kv'),
    source: 'keyvault-audit',
    time: at(o.time),
    operation: 'KeyUnwrap',
    key: { vault: o.vault ?? EUS_VAULT, key: KEY, version: o.version ?? null },
    identity: { oid: o.oid ?? null, mirid: o.mirid ?? null },
    status,
    outcome: status < 400 ? 'success' : status === 429 || status >= 500 ? 'transient' : 'denied',
    denial: status < 400 || status === 429 || status >= 500 ? null : (o.denial ?? 'other'),
  };
}

/** The operation an activity-log event belongs to (as the normaliser names it: correlation|resource|operation). */
const armOperationOf = (correlationId: string, resource: string, operation: string): string => `${correlationId}|${resource}|${operation.toLowerCase()}`;

export function roleAssignment(o: {
  time: string;
  op: 'write' | 'delete';
  principalId: string | null;
  scope?: string | null;
  role?: string | null;
  phase?: 'start' | 'success' | 'failure';
  correlationId?: string;
  /** The role assignment's name (last segment of its id): two assignments in one correlation are two operations. */
  assignment?: string;
}): KeyEvent {
  const correlationId = o.correlationId ?? nextId('corr');
  const assignmentId = `${SUB}/providers/microsoft.keyvault/vaults/${EUS_VAULT}/providers/microsoft.authorization/roleassignments/${o.assignment ?? 'x'}`;
  const operation = `Microsoft.Authorization/roleAssignments/${o.op}`;
  return {
    kind: 'role-assignment',
    id: nextId('al'),
    source: 'activity-log',
    time: at(o.time),
    operation,
    op: o.op,
    phase: o.phase ?? 'success',
    armOperation: armOperationOf(correlationId, assignmentId, operation),
    correlationId,
    assignmentId,
    principalId: o.principalId,
    roleDefinitionId: o.role === undefined ? 'e147488a-f6f5-4113-8e2d-b22465e65bf6' : o.role,
    scope: o.scope === undefined ? `${SUB}/providers/microsoft.keyvault/vaults/${EUS_VAULT}` : o.scope,
  };
}

export function keyUpdate(o: { time: string; vault?: string; version: string | null; enabled?: boolean; exp?: string }): KeyEvent {
  return {
    kind: 'key-attributes-changed',
    id: nextId('kv'),
    source: 'keyvault-audit',
    time: at(o.time),
    operation: 'KeyUpdate',
    key: { vault: o.vault ?? EUS_VAULT, key: KEY, version: o.version },
    enabled: o.enabled ?? null,
    exp: o.exp ? at(o.exp) : null,
  };
}

export function created(o: { time: string; vault?: string; version: string; exp?: string }): KeyEvent {
  return {
    kind: 'key-version-created',
    id: nextId('kv'),
    source: 'keyvault-audit',
    time: at(o.time),
    operation: 'KeyImport',
    key: { vault: o.vault ?? EUS_VAULT, key: KEY, version: o.version },
    exp: o.exp ? at(o.exp) : null,
    nbf: null,
  };
}

export function vaultLifecycle(o: { time: string; kind: 'vault-deleted' | 'vault-recovered' | 'vault-purged'; vault?: string }): KeyEvent {
  return { kind: o.kind, id: nextId('kv'), source: 'keyvault-audit', time: at(o.time), operation: o.kind, vault: o.vault ?? EUS_VAULT, phase: 'success' };
}

export function vaultConfig(o: { time: string; vault?: string; deny?: boolean; bypass?: boolean; purgeProtection?: boolean; softDelete?: boolean }): KeyEvent {
  return {
    kind: 'vault-config',
    id: nextId('kv'),
    source: 'keyvault-audit',
    time: at(o.time),
    operation: 'VaultPatch',
    vault: o.vault ?? EUS_VAULT,
    phase: 'success',
    softDelete: o.softDelete ?? null,
    purgeProtection: o.purgeProtection ?? null,
    rbacAuthorization: true,
    networkAcls: o.deny === undefined ? null : { defaultAction: o.deny ? 'deny' : 'allow', bypassAzureServices: o.bypass ?? false },
  };
}

export function protectorSet(o: { time: string; server: string; version: string; vault?: string; phase?: 'start' | 'success' | 'failure'; correlationId?: string }): KeyEvent {
  const correlationId = o.correlationId ?? nextId('corr');
  const operation = 'Microsoft.Sql/servers/encryptionProtector/write';
  return {
    kind: 'sql-protector-set',
    id: nextId('al'),
    source: 'activity-log',
    time: at(o.time),
    operation,
    server: o.server,
    phase: o.phase ?? 'success',
    armOperation: armOperationOf(correlationId, `${o.server}/encryptionprotector/current`, operation),
    correlationId,
    key: { vault: o.vault ?? EUS_VAULT, key: KEY, version: o.version },
    serverKeyType: 'AzureKeyVault',
  };
}

export function sqlDatabaseState(o: { time: string; server: string; state: 'inaccessible' | 'accessible'; phase?: 'start' | 'success' }): KeyEvent {
  return {
    kind: 'sql-database-state',
    id: nextId('al'),
    source: 'activity-log',
    time: at(o.time),
    operation: o.state === 'inaccessible' ? 'MakeDatabaseInaccessible' : 'MakeDatabaseAccessible',
    server: o.server,
    database: 'orders',
    state: o.state,
    phase: o.phase ?? 'success',
  };
}

export function nearExpiry(o: { time: string; vault?: string; version: string; exp: string }): KeyEvent {
  return {
    kind: 'key-near-expiry',
    id: nextId('eg'),
    source: 'event-grid',
    time: at(o.time),
    operation: 'Microsoft.KeyVault.KeyNearExpiry',
    key: { vault: o.vault ?? EUS_VAULT, key: KEY, version: o.version },
    exp: at(o.exp),
  };
}
