// Azure activity-log record (Event Hubs shape, azure-formats.md §2) → KeyEvent. Names arrive upper-cased
// (`MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/DELETE`), so operations are looked up lower-cased; request and
// response bodies are JSON strings inside `properties`.
import { z } from 'zod';
import type { AccessPolicyEvent, KeyEvent, NormaliseResult, Phase, SqlGeoChangeEvent } from '../events/keyEvent.js';
import { parseKeyUri, parseServerKeyName } from '../keyRef.js';
import type { KeyVersionRef } from '../keyRef.js';
import { parseInstant } from '../time.js';
import type { Millis } from '../time.js';
import { cosmosAccountOf, lastSegment, scopeOfRoleAssignment, sqlDatabaseOf, sqlServerKeyNameOf, sqlServerOf } from './armIds.js';
import type { JsonObject, VaultSettings } from './common.js';
import { asObject, field, objectField, optString, parseJsonObject, parsePhase, stringField, vaultNameOf, vaultSettingsFrom } from './common.js';

const activityRecordSchema = z.object({
  time: z.string(),
  operationName: z.string(),
  resourceId: optString,
  resultType: optString,
  resultSignature: optString,
  resultDescription: optString,
  correlationId: optString,
  eventDataId: optString,
  httpRequest: z.object({ uri: optString, url: optString }).optional().catch(undefined),
  properties: z
    .object({
      // Observed as `requestbody` (lower-case b) next to `responseBody`; accept either spelling of both.
      requestbody: optString,
      requestBody: optString,
      responseBody: optString,
      responsebody: optString,
      entity: optString,
      message: optString,
      eventName: optString,
      eventDataId: optString,
      requestUri: optString,
    })
    .optional()
    .catch(undefined),
});

type ActivityRecord = z.infer<typeof activityRecordSchema>;

interface Base {
  readonly id: string;
  readonly source: 'activity-log';
  readonly time: Millis;
  readonly operation: string;
}

interface Ctx {
  readonly rec: ActivityRecord;
  readonly base: Base;
  readonly phase: Phase;
  readonly correlationId: string;
  /** The operation this record belongs to (correlationId|resource id|operation name, lower-cased): see KeyEvent. */
  readonly armOperation: string;
  /** `properties` of the parsed request / response body, when present and valid JSON. */
  readonly request: JsonObject | undefined;
  readonly response: JsonObject | undefined;
  /** The whole parsed bodies (some fields, like `identity`, sit beside `properties`). */
  readonly requestBody: JsonObject | undefined;
  readonly responseBody: JsonObject | undefined;
}

type Mapper = (c: Ctx) => NormaliseResult;

const ok = (...events: KeyEvent[]): NormaliseResult => ({ status: 'ok', events });
const rejected = (reason: string): NormaliseResult => ({ status: 'rejected', reason });
const UNTRACKED: NormaliseResult = { status: 'ignored', reason: 'untracked operation' };

/** Either body's `properties`, response first: on Success it states the resulting resource. */
function prop(c: Ctx, name: string): unknown {
  return field(c.response, name) ?? field(c.request, name);
}

function propString(c: Ctx, name: string): string | undefined {
  const v = prop(c, name);
  return typeof v === 'string' ? v : undefined;
}

function entityOf(c: Ctx): string | undefined {
  return c.rec.resourceId ?? c.rec.properties?.entity;
}

const roleAssignment =
  (op: 'write' | 'delete'): Mapper =>
  (c) => {
    const assignment = entityOf(c);
    if (!assignment) return rejected('role assignment without resourceId');
    const assignmentId = assignment.toLowerCase();
    // Only the bodies describe the assignment. identity.authorization.evidence describes the role that
    // let the *caller* act (azure-formats.md §2.1): reading principalId there would blame the admin.
    const principalId = propString(c, 'principalId');
    const roleDefinition = propString(c, 'roleDefinitionId');
    const scope = propString(c, 'scope');
    return ok({
      ...c.base,
      kind: 'role-assignment',
      op,
      phase: c.phase,
      armOperation: c.armOperation,
      correlationId: c.correlationId,
      assignmentId,
      principalId: principalId ? principalId.toLowerCase() : null,
      roleDefinitionId: roleDefinition ? lastSegment(roleDefinition) : null,
      scope: scope ? scope.toLowerCase() : scopeOfRoleAssignment(assignmentId),
    });
  };

const POLICY_CHANGES: ReadonlySet<string> = new Set(['add', 'replace', 'remove']);

/** `PUT .../vaults/<v>/accessPolicies/{add|replace|remove}`: the kind is the last path segment. */
function policyChangeOf(c: Ctx): AccessPolicyEvent['change'] {
  const candidates = [c.rec.resourceId, c.rec.properties?.entity, c.rec.properties?.requestUri, c.rec.httpRequest?.uri, c.rec.httpRequest?.url];
  for (const candidate of candidates) {
    const last = candidate ? lastSegment(candidate) : null;
    if (last && POLICY_CHANGES.has(last)) return last as AccessPolicyEvent['change'];
  }
  return 'unknown';
}

/** `properties.accessPolicies[]` of a request body: `{tenantId, objectId, permissions:{keys:[...]}}`. */
function policyEntriesOf(request: JsonObject | undefined): AccessPolicyEvent['entries'] | null {
  const list = field(request, 'accessPolicies');
  if (!Array.isArray(list)) return null;
  const entries: Array<AccessPolicyEvent['entries'][number]> = [];
  for (const item of list) {
    const entry = asObject(item);
    const objectId = stringField(entry, 'objectId');
    if (!objectId) continue;
    const keys = field(objectField(entry, 'permissions'), 'keys');
    // Permission names arrive as "get" (CLI) or "Get" (portal); compare them lower-cased.
    const keyPermissions = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string').map((k) => k.toLowerCase()) : [];
    entries.push({ principalId: objectId.toLowerCase(), keyPermissions });
  }
  return entries;
}

const accessPolicyWrite: Mapper = (c) => {
  const vault = vaultNameOf(c.rec.resourceId, c.rec.properties?.entity);
  if (!vault) return rejected('access policy change without a vault');
  const entries = policyEntriesOf(c.request) ?? [];
  return ok({ ...c.base, kind: 'access-policy-changed', vault, phase: c.phase, armOperation: c.armOperation, correlationId: c.correlationId, change: policyChangeOf(c), entries });
};

function mergeSettings(first: VaultSettings, second: VaultSettings): VaultSettings {
  return {
    softDelete: first.softDelete ?? second.softDelete,
    purgeProtection: first.purgeProtection ?? second.purgeProtection,
    rbacAuthorization: first.rbacAuthorization ?? second.rbacAuthorization,
    networkAcls: first.networkAcls ?? second.networkAcls,
  };
}

const vaultWrite: Mapper = (c) => {
  const vault = vaultNameOf(c.rec.resourceId, c.rec.properties?.entity);
  if (!vault) return rejected('vault write without a vault');
  const settings = mergeSettings(vaultSettingsFrom(c.response), vaultSettingsFrom(c.request));
  const config: KeyEvent = { ...c.base, kind: 'vault-config', vault, phase: c.phase, armOperation: c.armOperation, ...settings };
  // A vault PUT/PATCH carrying accessPolicies replaces the whole list; the response always lists them,
  // so only the request says a change was asked for.
  const entries = policyEntriesOf(c.request);
  if (entries === null) return ok(config);
  return ok(config, {
    ...c.base,
    id: `${c.base.id}|accesspolicies`,
    kind: 'access-policy-changed',
    vault,
    phase: c.phase,
    armOperation: c.armOperation,
    correlationId: c.correlationId,
    change: 'replace',
    entries,
  });
};

const vaultLifecycle =
  (kind: 'vault-deleted' | 'vault-purged'): Mapper =>
  (c) => {
    const vault = vaultNameOf(c.rec.resourceId, c.rec.properties?.entity);
    if (!vault) return rejected('vault operation without a vault');
    return ok({ ...c.base, kind, vault, phase: c.phase, armOperation: c.armOperation });
  };

const SERVER_KEY_TYPES: ReadonlyMap<string, 'AzureKeyVault' | 'ServiceManaged'> = new Map([
  ['azurekeyvault', 'AzureKeyVault'],
  ['servicemanaged', 'ServiceManaged'],
]);

function keyFromUri(uri: string | undefined): KeyVersionRef | null {
  return uri ? parseKeyUri(uri) : null;
}

const sqlProtector: Mapper = (c) => {
  const server = sqlServerOf(entityOf(c));
  if (!server) return rejected('encryption protector without a server');
  const serverKeyType = SERVER_KEY_TYPES.get(propString(c, 'serverKeyType')?.toLowerCase() ?? '') ?? null;
  const serverKeyName = propString(c, 'serverKeyName');
  const key =
    serverKeyType === 'ServiceManaged' ? null : (serverKeyName ? parseServerKeyName(serverKeyName) : null) ?? keyFromUri(propString(c, 'uri'));
  return ok({ ...c.base, kind: 'sql-protector-set', server, phase: c.phase, armOperation: c.armOperation, correlationId: c.correlationId, key, serverKeyType });
};

const sqlServerKey =
  (op: 'write' | 'delete'): Mapper =>
  (c) => {
    const resourceId = entityOf(c);
    const server = sqlServerOf(resourceId);
    if (!server) return rejected('server key without a server');
    const name = sqlServerKeyNameOf(resourceId);
    const key = keyFromUri(propString(c, 'uri')) ?? (name ? parseServerKeyName(name) : null);
    return ok({ ...c.base, kind: 'sql-server-key', server, op, phase: c.phase, armOperation: c.armOperation, correlationId: c.correlationId, key });
  };

const sqlServerWrite: Mapper = (c) => {
  const server = sqlServerOf(entityOf(c));
  if (!server) return rejected('server write without a server');
  // `identity` sits beside `properties` in both bodies; the response states the result, so it goes first.
  const type = stringField(objectField(c.responseBody, 'identity'), 'type') ?? stringField(objectField(c.requestBody, 'identity'), 'type');
  return ok({ ...c.base, kind: 'sql-server-write', server, phase: c.phase, armOperation: c.armOperation, identityType: type ? type.toLowerCase() : null });
};

const sqlGeoChange =
  (change: SqlGeoChangeEvent['change']): Mapper =>
  (c) => {
    const resourceId = entityOf(c);
    if (!resourceId) return rejected('geo-replication operation without resourceId');
    const createMode = change === 'database-written' ? (propString(c, 'createMode')?.toLowerCase() ?? null) : null;
    return ok({ ...c.base, kind: 'sql-geo-change', server: sqlServerOf(resourceId), resourceId: resourceId.toLowerCase(), phase: c.phase, armOperation: c.armOperation, correlationId: c.correlationId, change, createMode });
  };

const userAssignedIdentityDelete: Mapper = (c) => {
  const resourceId = entityOf(c);
  if (!resourceId) return rejected('identity delete without resourceId');
  return ok({ ...c.base, kind: 'identity-removed', resourceId: resourceId.toLowerCase(), phase: c.phase, armOperation: c.armOperation });
};

/** `UserAssignedIdentity=<resource id>` names a resource: lower-case the id part, keep the tag. */
function normaliseDefaultIdentity(value: string | undefined): string | null {
  if (!value) return null;
  const eq = value.indexOf('=');
  return eq < 0 ? value : value.slice(0, eq + 1) + value.slice(eq + 1).toLowerCase();
}

const cosmosAccountWrite: Mapper = (c) => {
  const account = cosmosAccountOf(entityOf(c));
  if (!account) return rejected('cosmos write without an account');
  const key = keyFromUri(propString(c, 'keyVaultKeyUri'));
  return ok({ ...c.base, kind: 'cosmos-account-write', account, phase: c.phase, armOperation: c.armOperation, key, defaultIdentity: normaliseDefaultIdentity(propString(c, 'defaultIdentity')) });
};

const MAKE_DATABASE = /make(?:managed)?database(in)?accessible/i;
// Documented description: "Database {db} on Server {srv} has lost access ..." (azure-formats.md §2.2).
const DESCRIBED_DATABASE = /\bdatabase\s+'?([^\s']+)'?\s+on\s+(?:managed\s+)?server\b/i;

/** SQL's late MakeDatabase(In)Accessible events: the operationName is undocumented, so eventName decides. */
function databaseState(c: Ctx, inaccessible: boolean): NormaliseResult {
  const resourceId = entityOf(c);
  const server = sqlServerOf(resourceId);
  if (!server) return rejected('database state event without a server');
  const described = c.rec.resultDescription ? DESCRIBED_DATABASE.exec(c.rec.resultDescription)?.[1] : undefined;
  const database = sqlDatabaseOf(resourceId) ?? (described ? described.toLowerCase() : null);
  return ok({ ...c.base, kind: 'sql-database-state', server, database, state: inaccessible ? 'inaccessible' : 'accessible', phase: c.phase });
}

/** By lower-cased operationName. Managed-instance twins of the SQL server operations map the same way. */
const MAPPERS: ReadonlyMap<string, Mapper> = new Map<string, Mapper>([
  ['microsoft.authorization/roleassignments/write', roleAssignment('write')],
  ['microsoft.authorization/roleassignments/delete', roleAssignment('delete')],
  ['microsoft.keyvault/vaults/accesspolicies/write', accessPolicyWrite],
  ['microsoft.keyvault/vaults/write', vaultWrite],
  ['microsoft.keyvault/vaults/delete', vaultLifecycle('vault-deleted')],
  ['microsoft.keyvault/locations/deletedvaults/purge/action', vaultLifecycle('vault-purged')],
  ['microsoft.sql/servers/encryptionprotector/write', sqlProtector],
  ['microsoft.sql/managedinstances/encryptionprotector/write', sqlProtector],
  ['microsoft.sql/servers/keys/write', sqlServerKey('write')],
  ['microsoft.sql/servers/keys/delete', sqlServerKey('delete')],
  ['microsoft.sql/managedinstances/keys/write', sqlServerKey('write')],
  ['microsoft.sql/managedinstances/keys/delete', sqlServerKey('delete')],
  ['microsoft.sql/servers/write', sqlServerWrite],
  ['microsoft.sql/managedinstances/write', sqlServerWrite],
  // Geo-replication topology (issue 8): failovers, failover groups, replication links, geo-secondaries created.
  ['microsoft.sql/servers/failovergroups/failover/action', sqlGeoChange('failover')],
  ['microsoft.sql/servers/failovergroups/tryplannedbeforeforcedfailover/action', sqlGeoChange('failover')],
  ['microsoft.sql/servers/failovergroups/forcefailoverallowdataloss/action', sqlGeoChange('forced-failover')],
  ['microsoft.sql/servers/failovergroups/write', sqlGeoChange('failover-group-written')],
  ['microsoft.sql/servers/failovergroups/delete', sqlGeoChange('failover-group-deleted')],
  ['microsoft.sql/servers/databases/replicationlinks/failover/action', sqlGeoChange('failover')],
  ['microsoft.sql/servers/databases/replicationlinks/forcefailoverallowdataloss/action', sqlGeoChange('forced-failover')],
  ['microsoft.sql/servers/databases/replicationlinks/delete', sqlGeoChange('link-removed')],
  ['microsoft.sql/servers/databases/replicationlinks/unlink/action', sqlGeoChange('link-removed')],
  ['microsoft.sql/servers/databases/write', sqlGeoChange('database-written')],
  ['microsoft.sql/locations/instancefailovergroups/failover/action', sqlGeoChange('failover')],
  ['microsoft.sql/locations/instancefailovergroups/forcefailoverallowdataloss/action', sqlGeoChange('forced-failover')],
  ['microsoft.managedidentity/userassignedidentities/delete', userAssignedIdentityDelete],
  ['microsoft.documentdb/databaseaccounts/write', cosmosAccountWrite],
]);

function mapperFor(rec: ActivityRecord, op: string): Mapper | undefined {
  const event = rec.properties?.eventName;
  const m = (event !== undefined ? MAKE_DATABASE.exec(event) : null) ?? MAKE_DATABASE.exec(op);
  if (m) {
    const inaccessible = m[1] !== undefined;
    return (c) => databaseState(c, inaccessible);
  }
  return MAPPERS.get(op);
}

/**
 * ARM deployments run many operations under one correlationId, so the resource id joins the fields
 * that make the id; all of them are copied from the record, so a redelivery gets the same id.
 */
function eventId(rec: ActivityRecord, op: string, phase: Phase, time: Millis): string {
  const eventDataId = rec.eventDataId ?? rec.properties?.eventDataId;
  const resource = (rec.resourceId ?? '').toLowerCase();
  const id = `al|${rec.correlationId ?? ''}|${op}|${phase}|${time}|${resource}`;
  return eventDataId ? `${id}|${eventDataId.toLowerCase()}` : id;
}

export function normaliseActivityRecord(raw: unknown): NormaliseResult {
  const parsed = activityRecordSchema.safeParse(raw);
  if (!parsed.success) return rejected(rejectionReason(raw));
  const rec = parsed.data;
  const time = parseInstant(rec.time);
  if (time === null) return rejected('unparseable time');

  const op = rec.operationName.toLowerCase();
  const mapper = mapperFor(rec, op);
  if (!mapper) return UNTRACKED;
  const phase = parsePhase(rec.resultType, rec.resultSignature);
  if (phase === null) return rejected('unknown resultType');

  const message = rec.properties?.message;
  // `properties.message` keeps the operation's normal casing; the top-level name is upper-cased.
  const operation = message !== undefined && message.toLowerCase() === op ? message : rec.operationName;
  const requestBody = parseJsonObject(rec.properties?.requestbody ?? rec.properties?.requestBody);
  const responseBody = parseJsonObject(rec.properties?.responseBody ?? rec.properties?.responsebody);
  const correlationId = (rec.correlationId ?? '').toLowerCase();
  return mapper({
    rec,
    base: { id: eventId(rec, op, phase, time), source: 'activity-log', time, operation },
    phase,
    correlationId,
    armOperation: `${correlationId}|${(rec.resourceId ?? rec.properties?.entity ?? '').toLowerCase()}|${op}`,
    request: objectField(requestBody, 'properties'),
    response: objectField(responseBody, 'properties'),
    requestBody,
    responseBody,
  });
}

function rejectionReason(raw: unknown): string {
  const obj = asObject(raw);
  if (!obj) return 'not an object';
  if (typeof obj['time'] !== 'string') return 'missing time';
  return 'missing operationName';
}
