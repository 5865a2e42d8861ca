// Key Vault `AuditEvent` resource-log record → KeyEvent (azure-formats.md §1). This is the hot path of
// ingestion (DESIGN.md §7): schemas and regexes live at module level, and a record is read once.
import { z } from 'zod';
import type { Identity, KeyEvent, NormaliseResult } from '../events/keyEvent.js';
import type { KeyVersionRef } from '../keyRef.js';
import { parseInstant } from '../time.js';
import type { Millis } from '../time.js';
import { asObject, epochSecondsToMillis, keyRefOfUri, optBool, optNumeric, optString, vaultNameOf, vaultSettingsFrom } from './common.js';
import { classifyDenial, isTransientStatus } from './denial.js';

// ARM/control-plane operations carry long URI claim names instead of `oid` (azure-formats.md §1.1, §8.3).
const LONG_OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

const attributesSchema = z
  .object({ enabled: optBool, exp: z.unknown().optional(), nbf: z.unknown().optional() })
  .optional()
  .catch(undefined);

const auditRecordSchema = z.object({
  time: z.string(),
  operationName: z.string(),
  correlationId: optString,
  resultDescription: optString,
  resourceId: optString,
  identity: z
    .object({
      claim: z.object({ oid: optString, [LONG_OID]: optString, xms_mirid: optString }).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  properties: z.object({
    id: optString,
    requestUri: optString,
    httpStatusCode: optNumeric,
    isRbacAuthorized: optBool,
    isAccessPolicyMatch: optBool,
    keyProperties: z.object({ attributes: attributesSchema }).optional().catch(undefined),
    // Vault ops nest the vault's properties here; read leniently by vaultSettingsFrom.
    properties: z.unknown().optional(),
  }),
});

type AuditRecord = z.infer<typeof auditRecordSchema>;

const SOURCE = 'keyvault-audit';

/**
 * The fields every event of a record shares. Events spell them out because `{ ...base, more }` is far
 * slower in V8 than a plain literal (measured: it dominated the per-record cost, DESIGN.md §7).
 */
interface Base {
  readonly id: string;
  readonly time: Millis;
  readonly operation: string;
  /** The key the record names (properties.id, else requestUri), read once per record. */
  readonly key: KeyVersionRef | null;
  readonly identity: Identity;
}

type Mapper = (rec: AuditRecord, base: Base, status: number) => NormaliseResult;

const ok = (event: KeyEvent): NormaliseResult => ({ status: 'ok', events: [event] });
const NO_KEY: NormaliseResult = { status: 'rejected', reason: 'key operation without a key URI' };
const NO_VAULT: NormaliseResult = { status: 'rejected', reason: 'vault operation without a vault name' };
const UNTRACKED: NormaliseResult = { status: 'ignored', reason: 'untracked operation' };
const FAILED_NON_KEY: NormaliseResult = { status: 'ignored', reason: 'failed operation on no key' };
const NO_STATUS: NormaliseResult = { status: 'rejected', reason: 'missing properties.httpStatusCode' };

function keyOf(rec: AuditRecord): KeyVersionRef | null {
  const { id, requestUri } = rec.properties;
  return (id !== undefined ? keyRefOfUri(id) : null) ?? (requestUri !== undefined ? keyRefOfUri(requestUri) : null);
}

function identityOf(rec: AuditRecord): Identity {
  const claim = rec.identity?.claim;
  const oid = claim?.oid ?? claim?.[LONG_OID];
  const mirid = claim?.xms_mirid;
  return { oid: oid ? oid.toLowerCase() : null, mirid: mirid ? mirid.toLowerCase() : null };
}

function vaultOf(rec: AuditRecord): string | null {
  // resourceId is the vault's ARM id on every AuditEvent; the others are fallbacks for re-read records.
  return vaultNameOf(rec.resourceId, rec.properties.id, rec.properties.requestUri);
}

const keyAccess: Mapper = (_rec, base, status) => {
  const key = base.key;
  if (!key) return NO_KEY;
  return ok({ id: base.id, source: SOURCE, time: base.time, operation: base.operation, kind: 'key-access', key, identity: base.identity, status, outcome: 'success', denial: null });
};

const versionCreated: Mapper = (rec, base) => {
  const key = base.key;
  if (!key) return NO_KEY;
  const attrs = rec.properties.keyProperties?.attributes;
  return ok({
    id: base.id,
    source: SOURCE,
    time: base.time,
    operation: base.operation,
    kind: 'key-version-created',
    key,
    exp: epochSecondsToMillis(attrs?.exp),
    nbf: epochSecondsToMillis(attrs?.nbf),
  });
};

const attributesChanged: Mapper = (rec, base) => {
  const key = base.key;
  if (!key) return NO_KEY;
  const attrs = rec.properties.keyProperties?.attributes;
  return ok({
    id: base.id,
    source: SOURCE,
    time: base.time,
    operation: base.operation,
    kind: 'key-attributes-changed',
    key,
    enabled: attrs?.enabled ?? null,
    exp: epochSecondsToMillis(attrs?.exp),
  });
};

const keyLifecycle =
  (kind: 'key-deleted' | 'key-purged' | 'key-recovered'): Mapper =>
  (_rec, base) => {
    const ref = base.key;
    if (!ref) return NO_KEY;
    return ok({ id: base.id, source: SOURCE, time: base.time, operation: base.operation, kind, key: { vault: ref.vault, key: ref.key } });
  };

const vaultConfig: Mapper = (rec, base) => {
  const vault = vaultOf(rec);
  if (!vault) return NO_VAULT;
  const settings = vaultSettingsFrom(asObject(rec.properties.properties));
  return ok({
    id: base.id,
    source: SOURCE,
    time: base.time,
    operation: base.operation,
    kind: 'vault-config',
    vault,
    phase: 'success',
    softDelete: settings.softDelete,
    purgeProtection: settings.purgeProtection,
    rbacAuthorization: settings.rbacAuthorization,
    networkAcls: settings.networkAcls,
  });
};

const vaultLifecycle =
  (kind: 'vault-deleted' | 'vault-recovered' | 'vault-purged'): Mapper =>
  (rec, base) => {
    const vault = vaultOf(rec);
    if (!vault) return NO_VAULT;
    return ok({ id: base.id, source: SOURCE, time: base.time, operation: base.operation, kind, vault, phase: 'success' });
  };

/** Successful operations worth tracking, by lower-cased operationName; everything else is ignored. */
const MAPPERS: ReadonlyMap<string, Mapper> = new Map<string, Mapper>([
  ...['keyget', 'keywrap', 'keyunwrap', 'keyencrypt', 'keydecrypt', 'keysign', 'keyverify'].map((op) => [op, keyAccess] as const),
  ...['keycreate', 'keyimport', 'keyrotate', 'keyrotateifdue', 'keyrestore'].map((op) => [op, versionCreated] as const),
  ['keyupdate', attributesChanged],
  ['keydelete', keyLifecycle('key-deleted')],
  ['keypurge', keyLifecycle('key-purged')],
  ['keyrecover', keyLifecycle('key-recovered')],
  ['vaultget', vaultConfig],
  ['vaultput', vaultConfig],
  ['vaultpatch', vaultConfig],
  ['vaultdelete', vaultLifecycle('vault-deleted')],
  ['vaultrecover', vaultLifecycle('vault-recovered')],
  ['vaultpurge', vaultLifecycle('vault-purged')],
]);

/** A failed call on a key, by any Key* data-plane operation (not the *EventGridNotification markers). */
function failedKeyCall(rec: AuditRecord, op: string, base: Base, status: number): NormaliseResult {
  if (!op.startsWith('key') || op.endsWith('eventgridnotification')) return FAILED_NON_KEY;
  const key = base.key;
  if (!key) return FAILED_NON_KEY;
  const identity = base.identity;
  if (isTransientStatus(status)) {
    return ok({ id: base.id, source: SOURCE, time: base.time, operation: base.operation, kind: 'key-access', key, identity, status, outcome: 'transient', denial: null });
  }
  const denial = classifyDenial({
    status,
    text: rec.resultDescription ?? '',
    rbacAuthorized: rec.properties.isRbacAuthorized,
    accessPolicyMatch: rec.properties.isAccessPolicyMatch,
  });
  return ok({ id: base.id, source: SOURCE, time: base.time, operation: base.operation, kind: 'key-access', key, identity, status, outcome: 'denied', denial });
}

/**
 * Stable across duplicate deliveries and across a Log Analytics re-read of the same record (which has
 * 6 fractional digits instead of 7, hence time in ms, and may differ in case): every part is copied from the
 * record itself, lower-cased (the key ref and oid already are).
 */
function eventId(rec: AuditRecord, op: string, time: Millis, status: number, key: KeyVersionRef | null, identity: Identity): string {
  const object = key ? `${key.vault}/${key.key}/${key.version ?? ''}` : (rec.properties.id ?? rec.properties.requestUri ?? '').toLowerCase();
  return `kv|${time}|${op}|${(rec.correlationId ?? '').toLowerCase()}|${object}|${status}|${identity.oid ?? ''}`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const optBoolean = (v: unknown): boolean => v === undefined || typeof v === 'boolean';

/**
 * The record itself, when every field the schema reads already has exactly the type the schema would produce —
 * then zod's result would equal it field for field, and its copy (the largest per-record cost of ingestion,
 * DESIGN.md §7) is skipped. Anything else (a numeric string, a wrong type the schema catches, a missing part) is
 * left to the schema: null here never means "invalid", only "not the plain case".
 */
function plainAuditRecord(raw: unknown): AuditRecord | null {
  if (!isObj(raw) || typeof raw['time'] !== 'string' || typeof raw['operationName'] !== 'string') return null;
  if (!optStr(raw['correlationId']) || !optStr(raw['resultDescription']) || !optStr(raw['resourceId'])) return null;
  const identity = raw['identity'];
  if (identity !== undefined) {
    if (!isObj(identity)) return null;
    const claim = identity['claim'];
    if (claim !== undefined && (!isObj(claim) || !optStr(claim['oid']) || !optStr(claim[LONG_OID]) || !optStr(claim['xms_mirid']))) return null;
  }
  const p = raw['properties'];
  if (!isObj(p) || !optStr(p['id']) || !optStr(p['requestUri']) || !optBoolean(p['isRbacAuthorized']) || !optBoolean(p['isAccessPolicyMatch'])) return null;
  const status = p['httpStatusCode'];
  if (status !== undefined && typeof status !== 'number') return null;
  const keyProperties = p['keyProperties'];
  if (keyProperties !== undefined) {
    if (!isObj(keyProperties)) return null;
    const attributes = keyProperties['attributes'];
    if (attributes !== undefined && (!isObj(attributes) || !optBoolean(attributes['enabled']))) return null;
  }
  return raw as unknown as AuditRecord;
}

export function normaliseAuditRecord(raw: unknown): NormaliseResult {
  return normaliseFrom(raw, plainAuditRecord(raw));
}

/** The same, always through the schema: what the plain-record shortcut must agree with (tests compare them). */
export function normaliseAuditRecordBySchema(raw: unknown): NormaliseResult {
  return normaliseFrom(raw, null);
}

function normaliseFrom(raw: unknown, plain: AuditRecord | null): NormaliseResult {
  let rec = plain;
  if (rec === null) {
    const parsed = auditRecordSchema.safeParse(raw);
    if (!parsed.success) return { status: 'rejected', reason: rejectionReason(raw) };
    rec = parsed.data;
  }
  const time = parseInstant(rec.time);
  if (time === null) return { status: 'rejected', reason: 'unparseable time' };

  const op = rec.operationName.toLowerCase();
  const mapper = MAPPERS.get(op);
  // Key Vault writes resultType "Success" even for 403/404: failure is httpStatusCode >= 400 (§8.1).
  const status = rec.properties.httpStatusCode;
  if (status === undefined) return mapper !== undefined || op.startsWith('key') ? NO_STATUS : UNTRACKED;
  if (status < 400 && mapper === undefined) return UNTRACKED;

  const key = keyOf(rec);
  const identity = identityOf(rec);
  const base: Base = { id: eventId(rec, op, time, status, key, identity), time, operation: rec.operationName, key, identity };
  if (status >= 400) return failedKeyCall(rec, op, base, status);
  return (mapper as Mapper)(rec, base, status);
}

function rejectionReason(raw: unknown): string {
  const obj = asObject(raw);
  if (!obj) return 'not an object';
  if (typeof obj['time'] !== 'string') return 'missing time';
  if (typeof obj['operationName'] !== 'string') return 'missing operationName';
  return 'missing properties';
}
