// Key Vault Event Grid event (Event Grid schema or CloudEvents 1.0, azure-formats.md §3) → KeyEvent.
import { z } from 'zod';
import type { KeyEvent, NormaliseResult } from '../events/keyEvent.js';
import { parseKeyUri } from '../keyRef.js';
import type { KeyVersionRef } from '../keyRef.js';
import { parseInstant } from '../time.js';
import type { Millis } from '../time.js';
import type { JsonObject } from './common.js';
import { asObject, epochSecondsToMillis, optString, vaultNameOf } from './common.js';

const eventSchema = z.object({
  id: z.string(),
  // Event Grid schema
  eventType: optString,
  eventTime: optString,
  topic: optString,
  // CloudEvents 1.0
  type: optString,
  time: optString,
  source: optString,
  data: z.unknown().optional(),
});

type GridEvent = z.infer<typeof eventSchema>;

interface Base {
  readonly id: string;
  readonly source: 'event-grid';
  readonly time: Millis;
  readonly operation: string;
}

/**
 * The wire uses PascalCase/upper-case data fields (`Id`, `VaultName`, `NBF`, `EXP`, azure-formats.md
 * §8.5); `@azure/eventgrid` and some forwarders hand over camelCase. Accept both.
 */
function dataField(data: JsonObject | undefined, camel: string, wire: string): unknown {
  if (data === undefined) return undefined;
  return data[wire] ?? data[camel];
}

function dataString(data: JsonObject | undefined, camel: string, wire: string): string | undefined {
  const v = dataField(data, camel, wire);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

const VERSION = /^[0-9a-f]{32}$/i;

function keyOf(data: JsonObject | undefined): KeyVersionRef | null {
  const uri = dataString(data, 'id', 'Id');
  const version = dataString(data, 'version', 'Version');
  const fromUri = uri ? parseKeyUri(uri) : null;
  const knownVersion = version && VERSION.test(version) ? version.toLowerCase() : null;
  if (fromUri) return fromUri.version === null && knownVersion ? { ...fromUri, version: knownVersion } : fromUri;
  const vault = dataString(data, 'vaultName', 'VaultName');
  const key = dataString(data, 'objectName', 'ObjectName');
  return vault && key ? { vault: vault.toLowerCase(), key: key.toLowerCase(), version: knownVersion } : null;
}

type Mapper = (data: JsonObject | undefined, base: Base, ev: GridEvent) => NormaliseResult;

const ok = (event: KeyEvent): NormaliseResult => ({ status: 'ok', events: [event] });
const NO_KEY: NormaliseResult = { status: 'rejected', reason: 'key event without a key' };
const UNTRACKED: NormaliseResult = { status: 'ignored', reason: 'untracked event type' };

const versionCreated: Mapper = (data, base) => {
  const key = keyOf(data);
  if (!key) return NO_KEY;
  return ok({
    ...base,
    kind: 'key-version-created',
    key,
    exp: epochSecondsToMillis(dataField(data, 'exp', 'EXP')),
    nbf: epochSecondsToMillis(dataField(data, 'nbf', 'NBF')),
  });
};

const expiry =
  (kind: 'key-near-expiry' | 'key-expired'): Mapper =>
  (data, base) => {
    const key = keyOf(data);
    if (!key) return NO_KEY;
    return ok({ ...base, kind, key, exp: epochSecondsToMillis(dataField(data, 'exp', 'EXP')) });
  };

const accessPolicyChanged: Mapper = (data, base, ev) => {
  const named = dataString(data, 'vaultName', 'VaultName');
  const vault = named ? named.toLowerCase() : vaultNameOf(dataString(data, 'id', 'Id'), ev.topic, ev.source);
  if (!vault) return { status: 'rejected', reason: 'access policy event without a vault' };
  // Event Grid says only that the policy changed, not how or for whom.
  return ok({ ...base, kind: 'access-policy-changed', vault, phase: 'success', correlationId: '', change: 'unknown', entries: [] });
};

/** By lower-cased event type; Secret* and Certificate* events (and any other type) are ignored. */
const MAPPERS: ReadonlyMap<string, Mapper> = new Map<string, Mapper>([
  ['microsoft.keyvault.keynewversioncreated', versionCreated],
  ['microsoft.keyvault.keynearexpiry', expiry('key-near-expiry')],
  ['microsoft.keyvault.keyexpired', expiry('key-expired')],
  ['microsoft.keyvault.vaultaccesspolicychanged', accessPolicyChanged],
]);

export function normaliseEventGridEvent(raw: unknown): NormaliseResult {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) return { status: 'rejected', reason: asObject(raw) ? 'missing id' : 'not an object' };
  const ev = parsed.data;
  const type = ev.eventType ?? ev.type;
  if (type === undefined) return { status: 'rejected', reason: 'missing eventType' };
  const timeText = ev.eventTime ?? ev.time;
  if (timeText === undefined) return { status: 'rejected', reason: 'missing time' };
  const time = parseInstant(timeText);
  if (time === null) return { status: 'rejected', reason: 'unparseable time' };

  const mapper = MAPPERS.get(type.toLowerCase());
  if (!mapper) return UNTRACKED;
  return mapper(asObject(ev.data), { id: `eg|${ev.id}`, source: 'event-grid', time, operation: type }, ev);
}
