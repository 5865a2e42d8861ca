// Shared pieces of the source normalisers. Everything here is allocation-light and never throws: a
// normaliser runs once per record on the ingestion hot path (DESIGN.md §7) and must not throw for a bad
// record (DESIGN.md §3: the Functions host checkpoints past a throwing handler, losing the batch).
import { z } from 'zod';
import type { NetworkAcls, Phase } from '../events/keyEvent.js';
import type { Millis } from '../time.js';
import { parseKeyUri, vaultNameFrom, type KeyVersionRef } from '../keyRef.js';

// Lenient optional fields: a wrong-typed optional field reads as absent instead of rejecting the whole
// record, because a malformed side field must not cost us a denial that is otherwise readable.
export const optString = z.string().optional().catch(undefined);
export const optBool = z.boolean().optional().catch(undefined);
/** Activity and audit records carry some numbers as numeric strings (`durationMs`, azure-formats.md §8.2): a
 * status code written that way is still read. */
export const optNumeric = z
  .union([z.number(), z.string().regex(/^\s*\d+\s*$/).transform(Number)])
  .optional()
  .catch(undefined);

export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/**
 * Reads `name` from a request/response body, falling back to its PascalCase spelling: the Authorization
 * RP logs role-assignment request bodies as `{"Properties":{"PrincipalId":...}}` (azure-formats.md §2.1)
 * while other providers log what the client sent (camelCase).
 */
export function field(obj: JsonObject | undefined, name: string): unknown {
  if (obj === undefined) return undefined;
  const v = obj[name];
  if (v !== undefined) return v;
  return obj[name.charAt(0).toUpperCase() + name.slice(1)];
}

export function stringField(obj: JsonObject | undefined, name: string): string | undefined {
  const v = field(obj, name);
  return typeof v === 'string' ? v : undefined;
}

export function boolField(obj: JsonObject | undefined, name: string): boolean | null {
  const v = field(obj, name);
  return typeof v === 'boolean' ? v : null;
}

export function objectField(obj: JsonObject | undefined, name: string): JsonObject | undefined {
  return asObject(field(obj, name));
}

/** `requestbody`/`responseBody` are JSON strings inside the record; bad JSON is treated as absent, not a rejection. */
export function parseJsonObject(text: unknown): JsonObject | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Key Vault and Event Grid write `exp`/`nbf` as epoch seconds; the Event Grid docs' sample has them as strings. */
export function epochSecondsToMillis(value: unknown): Millis | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.round(n * 1000) : null;
}

const PHASES: ReadonlyMap<string, Phase> = new Map<string, Phase>([
  ['start', 'start'],
  ['started', 'start'],
  ['success', 'success'],
  ['succeeded', 'success'],
  // `Accept`: an asynchronous operation was accepted and is still running — intent, like Start; its Success or
  // Failure record comes later.
  ['accept', 'start'],
  ['accepted', 'start'],
  ['failure', 'failure'],
  ['failed', 'failure'],
]);

/**
 * ARM writes a Start then a Success/Failure record per operation (azure-formats.md §2.1). `resultType`
 * carries it; `resultSignature` (`Started.`, `Succeeded.OK`, `Failed.Forbidden`) is the fallback.
 */
export function parsePhase(resultType: string | undefined, resultSignature: string | undefined): Phase | null {
  if (resultType !== undefined) {
    const p = PHASES.get(resultType.trim().toLowerCase());
    if (p) return p;
  }
  if (resultSignature !== undefined) {
    const head = resultSignature.split('.', 1)[0] ?? '';
    const p = PHASES.get(head.trim().toLowerCase());
    if (p) return p;
  }
  return null;
}

export interface VaultSettings {
  readonly softDelete: boolean | null;
  readonly purgeProtection: boolean | null;
  readonly rbacAuthorization: boolean | null;
  readonly networkAcls: NetworkAcls | null;
}

const AZURE_SERVICES = /azureservices/i;

export function networkAclsFrom(value: unknown): NetworkAcls | null {
  const acls = asObject(value);
  const action = stringField(acls, 'defaultAction')?.toLowerCase();
  if (action !== 'allow' && action !== 'deny') return null;
  // `bypass` is "AzureServices", "None" or a comma list in newer API versions ("AzureServices, Logging").
  const bypass = stringField(acls, 'bypass');
  return { defaultAction: action, bypassAzureServices: bypass !== undefined && AZURE_SERVICES.test(bypass) };
}

/** Vault properties as in VaultGet/Put/Patch audit records (nested `properties.properties`) and vaults/write bodies. */
export function vaultSettingsFrom(props: JsonObject | undefined): VaultSettings {
  return {
    softDelete: boolField(props, 'enableSoftDelete'),
    // `enablePurgeProtection` is null (not false) on vaults that never had it set.
    purgeProtection: boolField(props, 'enablePurgeProtection'),
    rbacAuthorization: boolField(props, 'enableRbacAuthorization'),
    networkAcls: networkAclsFrom(field(props, 'networkAcls')),
  };
}

const ARM_VAULT = /\/providers\/microsoft\.keyvault\/(?:vaults|managedhsms)\//i;
const ARM_DELETED_VAULT = /\/providers\/microsoft\.keyvault\/locations\/[^/]+\/deleted(?:vaults|managedhsms)\/([^/?#]+)/i;
const DATA_PLANE_HOST = /^https?:\/\/[^./?#]+\.(?:vault|managedhsm)\./i;

/**
 * Vault name from the first candidate that names one: an ARM vault id (any case), a deleted-vault id
 * (purge), or a data-plane vault URI. `vaultNameFrom` alone would take the first host label of an ARM
 * request URI without a vault path (`management.azure.com` → "management"), so candidates are screened.
 */
export function vaultNameOf(...candidates: ReadonlyArray<string | undefined>): string | null {
  for (const c of candidates) {
    if (!c) continue;
    const deleted = ARM_DELETED_VAULT.exec(c)?.[1];
    if (deleted) return deleted.toLowerCase();
    if (ARM_VAULT.test(c) || DATA_PLANE_HOST.test(c)) {
      const name = vaultNameFrom(c);
      if (name) return name;
    }
  }
  return null;
}

const KEY_URI_CACHE = new Map<string, KeyVersionRef | null>();
const KEY_URI_CACHE_LIMIT = 16_384;

/**
 * `parseKeyUri` through a small bounded cache: an audit stream names the same few kids over and over (every
 * unwrap of a protector names its current version). Observably pure: entries are frozen and equal to what
 * `parseKeyUri` returns; the cache is simply emptied when full.
 */
export function keyRefOfUri(uri: string): KeyVersionRef | null {
  const hit = KEY_URI_CACHE.get(uri);
  if (hit !== undefined) return hit;
  const parsed = parseKeyUri(uri);
  const ref = parsed === null ? null : Object.freeze(parsed);
  if (KEY_URI_CACHE.size >= KEY_URI_CACHE_LIMIT) KEY_URI_CACHE.clear();
  KEY_URI_CACHE.set(uri, ref);
  return ref;
}
