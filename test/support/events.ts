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

export function roleAssignment(o: { time: string; op: 'write' | 'delete'; principalId: string; scope?: string; role?: string; phase?: 'start' | 'success' | 'failure'; correlationId?: string }): KeyEvent {
  return {
    kind: 'role-assignment',
    id: nextId('al'),
    source: 'activity-log',
    time: at(o.time),
    operation: `Microsoft.Authorization/roleAssignments/${o.op}`,
    op: o.op,
    phase: o.phase ?? 'success',
    correlationId: o.correlationId ?? nextId('corr'),
    assignmentId: `${SUB}/providers/microsoft.keyvault/vaults/${EUS_VAULT}/providers/microsoft.authorization/roleassignments/x`,
    principalId: o.principalId,
    roleDefinitionId: o.role ?? 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
    scope: o.scope ?? `${SUB}/providers/microsoft.keyvault/vaults/${EUS_VAULT}`,
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
  return {
    kind: 'sql-protector-set',
    id: nextId('al'),
    source: 'activity-log',
    time: at(o.time),
    operation: 'Microsoft.Sql/servers/encryptionProtector/write',
    server: o.server,
    phase: o.phase ?? 'success',
    correlationId: o.correlationId ?? nextId('corr'),
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
