// Raw records for the normaliser tests: the shared fixtures (test/fixtures/shared, copies of
// /work/shared/fixtures) and small builders that patch a fixture record.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KeyEvent, NormaliseResult } from '../../../domain/events/keyEvent.js';

const SHARED = fileURLToPath(new URL('../../fixtures/shared/', import.meta.url));

export type Json = Record<string, unknown>;

export function readShared(relative: string): unknown {
  return JSON.parse(readFileSync(`${SHARED}${relative}`, 'utf8')) as unknown;
}

/** The records of an Event Hubs envelope fixture, freshly parsed (tests may mutate them). */
export function envelopeRecords(relative: string): Json[] {
  return (readShared(relative) as { records: Json[] }).records;
}

export function first(relative: string): Json {
  const r = envelopeRecords(relative)[0];
  if (!r) throw new Error(`no record in ${relative}`);
  return r;
}

export const AUDIT = {
  update: 'keyvault-audit/key-disabled-by-update.envelope.json',
  notFound: 'keyvault-audit/keyget-not-found.envelope.json',
  forbidden: 'keyvault-audit/unwrap-forbidden-rbac.envelope.json',
  okAndRotate: 'keyvault-audit/unwrap-ok-and-rotate.envelope.json',
  vaultPatch: 'keyvault-audit/vault-patch-firewall.envelope.json',
} as const;

export const ACTIVITY = {
  protector: 'activity-log/encryption-protector-write.envelope.json',
  roleDelete: 'activity-log/role-assignment-delete.envelope.json',
} as const;

export const EVENT_GRID = 'event-grid/key-events.json';

export const SUB = '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourcegroups/rg-data-prod';
export const SUB_UPPER = SUB.toUpperCase();
export const EUS_SERVER = `${SUB}/providers/microsoft.sql/servers/sql-orders-eus`;
export const EUS_VAULT_ID = `${SUB}/providers/microsoft.keyvault/vaults/kv-cmk-prod-eus`;
export const SQL_OID = '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c';
export const ADMIN_OID = '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a';
export const AUTOMATION_OID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const V_OLD = '6f1c2d3e4a5b46c7889900aabbccddee';
export const V_NEW = '0a9b8c7d6e5f40312233445566778899';
export const KID_NEW = `https://kv-cmk-prod-eus.vault.azure.net/keys/sql-tde-protector/${V_NEW}`;
export const KEY_NEW = { vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector', version: V_NEW } as const;

/** An audit record: the 403 fixture with top-level and `properties` fields overridden (undefined deletes). */
export function auditRecord(top: Json = {}, props: Json = {}): Json {
  const base = first(AUDIT.forbidden);
  const merged: Json = { ...base, ...top, properties: { ...(base['properties'] as Json), ...props } };
  return dropUndefined(merged);
}

/** An activity record: the encryption-protector fixture with fields overridden (undefined deletes). */
export function activityRecord(top: Json = {}, props: Json = {}): Json {
  const base = first(ACTIVITY.protector);
  const merged: Json = { ...base, ...top, properties: { ...(base['properties'] as Json), ...props } };
  return dropUndefined(merged);
}

function dropUndefined(rec: Json): Json {
  for (const [k, v] of Object.entries(rec)) if (v === undefined) delete rec[k];
  const props = rec['properties'] as Json;
  for (const [k, v] of Object.entries(props)) if (v === undefined) delete props[k];
  return rec;
}

/** The single event of an `ok` result; fails the test otherwise. */
export function only(result: NormaliseResult): KeyEvent {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.status}: ${result.reason}`);
  if (result.events.length !== 1) throw new Error(`expected one event, got ${result.events.length}`);
  return result.events[0]!;
}

export function events(result: NormaliseResult): readonly KeyEvent[] {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.status}: ${result.reason}`);
  return result.events;
}
