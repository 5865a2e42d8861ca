// What the checks judge, read from where it really is: key versions, tags and audit records from the Key Vault
// emulator, protector writes from the ARM SQL emulator's history, client encryption key writes from the Cosmos
// emulator, messages from the email capture, protector states and poison rows from Table Storage, runs from the
// rotation ledger, requests from the hosts' API, and every process's output and every Redis value for the leak scan.
import { LocalEmulatorCredential } from '../adapters/azure/localCredential.js';
import { localPolicies } from '../adapters/azure/localNetwork.js';
import { createKeyWrapper } from '../adapters/keyvault/crypto/index.js';
import { createRedis } from '../adapters/redis/client.js';
import { LOCAL_ADMIN } from '../hosts/local/seed.js';
import { rsaThumbprint } from '../adapters/keyvault/thumbprint.js';
import { TablePoisonStore } from '../adapters/tables/poisonStore.js';
import { TableStateStore } from '../adapters/tables/stateStore.js';
import { parseKeyUri } from '../domain/keyRef.js';
import type { Incident, Finding } from '../domain/report.js';
import type { ProtectorSnapshot } from '../domain/health/snapshot.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../hosts/composition.js';
import { LOCAL_ITSM } from '../hosts/local/itsmSecrets.js';
import type { Actions } from './actions.js';
import type { HostClient } from './api.js';
import type { History } from './history.js';
import type { CreatedVersion, GeoGroup, ProtectorView, ProtectorWrite, RequestOutcome, Retirement, RunSpan, Scanned, Secret, StoredState, VersionUse } from './invariants.js';
import type { Rig } from './rig.js';

/** What the stack looked like before any phase: each server's protector, each client encryption key's wrapping key. */
export interface Baseline {
  readonly protectors: ReadonlyMap<string, string>;
  readonly ceks: ReadonlyMap<string, string>;
  /** Wrapped client encryption keys as seeded (secrets for the leak scan). */
  readonly wrappedCeks: readonly string[];
}

const sqlServers = (rig: Rig) => rig.parts.estate.protectors.filter((p) => p.kind === 'sql-tde').flatMap((p) => p.members.map((m) => m.resourceId));
const cekDatabases = (rig: Rig) => rig.parts.estate.protectors.flatMap((p) => (p.alwaysEncrypted ? p.alwaysEncrypted.databases : []));

function protectorKid(rig: Rig, server: string): string {
  const s = rig.parts.armSql.inspect(server);
  return s.keys[s.protector] ?? '';
}

export function captureBaseline(rig: Rig): Baseline {
  const ceks = new Map<string, string>();
  const wrapped: string[] = [];
  for (const db of cekDatabases(rig))
    for (const c of rig.parts.cosmos.ceks(db)) {
      ceks.set(`${db}/${c.id}`, c.keyWrapMetadata.value);
      wrapped.push(c.wrappedDataEncryptionKey.toString('base64'));
    }
  return { protectors: new Map(sqlServers(rig).map((s) => [s, protectorKid(rig, s)])), ceks, wrappedCeks: wrapped };
}

/** Every key a Redis holds, as text (strings, hashes — BullMQ jobs' data among them —, lists, sets, sorted sets, streams). */
export async function redisTexts(url: string, label: string): Promise<Scanned[]> {
  const redis = createRedis(url, { name: 'keysteward-chaos-scan', onError: () => undefined });
  const out: Scanned[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'string' ? await redis.get(key)
          : type === 'hash' ? JSON.stringify(await redis.hgetall(key))
          : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1))
          : type === 'set' ? JSON.stringify(await redis.smembers(key))
          : type === 'zset' ? JSON.stringify(await redis.zrange(key, 0, -1))
          : type === 'stream' ? JSON.stringify(await redis.xrange(key, '-', '+'))
          : '';
        out.push({ where: `redis ${label}: ${key}`, text: `${key} ${value ?? ''}` });
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return out;
}

const thumbprintOf = (rig: Rig, kid: string): string | null => {
  const ref = parseKeyUri(kid);
  if (!ref?.version) return null;
  const v = rig.parts.kv.keyVersions(ref.vault, ref.key).find((x) => x.version === ref.version);
  return v ? rsaThumbprint({ n: v.n, e: v.e }) : null;
};

/** Versions keysteward's own identity created (import, create, rotate answered 200), with the run tag each carries now. */
export function createdVersions(rig: Rig): CreatedVersion[] {
  const kv = rig.parts.kv;
  const out: CreatedVersion[] = [];
  kv.auditLog().forEach((r, seq) => {
    if (!['KeyImport', 'KeyCreate', 'KeyRotate'].includes(r.operationName) || r.properties.httpStatusCode !== 200) return;
    if (String(r.identity?.claim['oid'] ?? '').toLowerCase() !== LOCAL_SERVICE_PRINCIPAL.oid) return;
    const ref = parseKeyUri(r.properties.id ?? '');
    if (!ref?.version) return;
    const v = kv.keyVersions(ref.vault, ref.key).find((x) => x.version === ref.version);
    out.push({ vault: ref.vault, key: ref.key, version: ref.version, tag: v?.tags['keysteward-rotation'] ?? null, seq });
  });
  return out;
}

export function geoGroups(rig: Rig): GeoGroup[] {
  return rig.parts.estate.protectors
    .filter((p) => p.kind === 'sql-tde')
    .flatMap((p) => {
      const primary = p.members.find((m) => m.role === 'primary');
      if (!primary) return [];
      const secondaries = p.members.filter((m) => m.role === 'secondary');
      return [{ protector: p.id, primary: primary.resourceId, secondaries: secondaries.map((m) => m.resourceId), primaryVault: primary.vault, secondaryVaults: secondaries.map((m) => m.vault).filter((v) => v !== primary.vault) }];
    });
}

export function protectorWrites(rig: Rig): ProtectorWrite[] {
  return rig.parts.armSql
    .history()
    .filter((h) => h.operation === 'encryptionProtector/write')
    .map((h) => ({ seq: h.seq, server: h.server.toLowerCase(), thumbprint: h.request.uri ? thumbprintOf(rig, h.request.uri) : null, ok: h.outcome.status >= 200 && h.outcome.status < 300 }));
}

export function initialThumbprints(rig: Rig, baseline: Baseline): Map<string, string | null> {
  return new Map([...baseline.protectors].map(([server, kid]) => [server.toLowerCase(), thumbprintOf(rig, kid)]));
}

/** Versions disabled (their last successful update) or deleted (with their key), by anyone. */
export function retirements(rig: Rig): Retirement[] {
  const kv = rig.parts.kv;
  const out: Retirement[] = [];
  const audit = kv.auditLog();
  for (const p of rig.parts.estate.protectors) {
    for (const vault of new Set(p.members.map((m) => m.vault))) {
      for (const v of kv.keyVersions(vault, p.keyName)) {
        if (v.enabled) continue;
        const update = [...audit].reverse().find((r) => r.operationName === 'KeyUpdate' && r.properties.httpStatusCode === 200 && parseKeyUri(r.properties.id ?? '')?.version === v.version);
        out.push({ vault, key: p.keyName, version: v.version, at: update ? Date.parse(update.time) : Date.now(), how: 'disabled' });
      }
      const deleted = audit.find((r) => r.operationName === 'KeyDelete' && r.properties.httpStatusCode === 200 && parseKeyUri(r.properties.id ?? '')?.key === p.keyName && r.resourceId.toLowerCase().endsWith(`/${vault}`));
      if (deleted) for (const v of kv.keyVersions(vault, p.keyName)) out.push({ vault, key: p.keyName, version: v.version, at: Date.parse(deleted.time), how: 'deleted' });
    }
  }
  return out;
}

/** What needed which version when: each server's protector over time, each client encryption key's wrapping key over time. */
export function versionUses(rig: Rig, baseline: Baseline): VersionUse[] {
  const uses: VersionUse[] = [];
  const spans = (by: string, changes: ReadonlyArray<{ at: number; kid: string }>): void => {
    changes.forEach((c, i) => {
      const ref = parseKeyUri(c.kid);
      if (!ref?.version) return;
      const next = changes.slice(i + 1).find((n) => n.kid !== c.kid);
      uses.push({ vault: ref.vault, key: ref.key, version: ref.version, by, from: c.at, until: next ? next.at : null });
    });
  };
  const history = rig.parts.armSql.history();
  for (const [server, kid] of baseline.protectors) {
    const writes = history.filter((h) => h.server.toLowerCase() === server.toLowerCase() && h.operation === 'encryptionProtector/write' && h.outcome.status < 300 && h.request.uri);
    spans(`${server.split('/').pop()} protector`, [{ at: 0, kid }, ...writes.map((w) => ({ at: Date.parse(w.time), kid: w.request.uri as string }))]);
  }
  const writes = rig.parts.cosmos.writes();
  for (const [cek, kid] of baseline.ceks) {
    const [db, id] = cek.split('/');
    spans(`client encryption key ${cek}`, [{ at: 0, kid }, ...writes.filter((w) => w.db === db && w.id === id).map((w) => ({ at: Date.parse(w.at), kid: w.kekValue }))]);
  }
  return uses;
}

export async function storedState(rig: Rig): Promise<StoredState> {
  const connection = { connectionString: rig.parts.env['STORAGE_CONNECTION_STRING'] ?? '' };
  const store = new TableStateStore(connection);
  const states = new Map<string, ProtectorSnapshot | null>();
  for (const p of rig.parts.estate.protectors) states.set(p.id, (await store.load(p.id))?.snapshot ?? null);
  const poison = await new TablePoisonStore(connection).list(Number.MAX_SAFE_INTEGER);
  return { states, poisonBodies: poison.map((p) => p.body) };
}

/** GET /api/protectors/{id} of every protector: its incidents and findings, as a user sees them. */
export async function protectorViews(api: HostClient, ids: readonly string[]): Promise<Map<string, ProtectorView>> {
  const out = new Map<string, ProtectorView>();
  for (const id of ids) {
    const r = await api.get(`/api/protectors/${id}`);
    if (r.status !== 200) throw new Error(`GET /api/protectors/${id} answered ${r.status}`);
    const body = r.body as { incidents: Array<Incident & { alerts?: unknown }>; findingList: Finding[] };
    // The state is the incidents and findings; how their alerts were delivered is not (the clean run sends none).
    out.set(id, { incidents: body.incidents.map(({ alerts: _delivery, ...incident }) => incident), findings: body.findingList });
  }
  return out;
}

const TERMINAL_ITSM = new Set(['completed', 'failed', 'refused', 'expired']);

/** Where every acknowledged request ended, and which runs each became. */
export async function requestOutcomes(api: HostClient, actions: Actions, history: History): Promise<{ outcomes: RequestOutcome[]; requestOfRun: Map<string, string>; runIds: Set<string> }> {
  const outcomes: RequestOutcome[] = [];
  const requestOfRun = new Map<string, string>();
  const runIds = new Set<string>();
  const seen = new Set<string>();
  for (const r of history.requests) {
    if (seen.has(`${r.kind}:${r.id}`)) continue;
    seen.add(`${r.kind}:${r.id}`);
    const base = { kind: r.kind, id: r.id, phase: r.phase };
    if (r.kind === 'rotation') {
      const run = await actions.run(r.id);
      runIds.add(r.id);
      requestOfRun.set(r.id, r.key);
      const failed = run?.steps.find((s) => s.status === 'failed');
      outcomes.push({ ...base, state: run?.status ?? null, terminal: run !== null && run.status !== 'running', succeeded: run?.status === 'completed', ...(failed ? { reason: `step ${failed.n} ${failed.kind}: ${failed.error?.code ?? '?'} ${failed.error?.message ?? ''}`.slice(0, 300) } : {}) });
    } else if (r.kind === 'rewrap') {
      const got = await api.get(`/api/rewraps/${r.id}`, 10_000);
      const body = got.body as { state?: unknown; error?: unknown } | null;
      const state = got.status === 200 ? String(body?.state) : null;
      outcomes.push({ ...base, state, terminal: state === 'completed' || state === 'failed', succeeded: state === 'completed', ...(typeof body?.error === 'string' ? { reason: body.error.slice(0, 300) } : {}) });
    } else {
      const got = await api.get(`/api/itsm/requests/${r.id}`, 10_000);
      const body = got.body as { state?: unknown; runId?: unknown; reason?: unknown } | null;
      const state = got.status === 200 ? String(body?.state) : null;
      if (typeof body?.runId === 'string') {
        runIds.add(body.runId);
        requestOfRun.set(body.runId, r.key);
      }
      outcomes.push({ ...base, state, terminal: state !== null && TERMINAL_ITSM.has(state), succeeded: state === 'completed', ...(typeof body?.reason === 'string' ? { reason: body.reason.slice(0, 300) } : {}) });
    }
  }
  return { outcomes, requestOfRun, runIds };
}

export async function runSpans(actions: Actions, ids: Iterable<string>): Promise<RunSpan[]> {
  const out: RunSpan[] = [];
  for (const id of ids) {
    const run = await actions.run(id);
    if (run) out.push({ id, protector: run.protector, start: Date.parse(run.createdAt), end: run.status === 'running' ? null : Date.parse(run.updatedAt) });
  }
  return out;
}

/** Every secret the suite knows of: webhook secrets and tokens, API and Event Grid keys, account keys, passwords, the
 * private members of every key version, and client encryption keys (wrapped and unwrapped). */
/**
 * The plaintext of every client encryption key (base64), unwrapped by the operator: what must never leave memory.
 * A key that cannot be unwrapped (its wrapping version disabled too early, I3) is counted, not scanned for.
 */
export async function dekPlaintexts(rig: Rig): Promise<{ plaintexts: string[]; unreadable: number }> {
  const wrapper = createKeyWrapper({ credential: new LocalEmulatorCredential(LOCAL_ADMIN), additionalPolicies: localPolicies() });
  const plaintexts: string[] = [];
  let unreadable = 0;
  for (const db of cekDatabases(rig))
    for (const c of rig.parts.cosmos.ceks(db)) {
      try {
        plaintexts.push((await wrapper.unwrap(c.keyWrapMetadata.value, 'RSA-OAEP', c.wrappedDataEncryptionKey)).toString('base64'));
      } catch {
        unreadable++;
      }
    }
  return { plaintexts, unreadable };
}

export function knownSecrets(rig: Rig, baseline: Baseline, dekPlaintexts: readonly string[]): Secret[] {
  const env = rig.parts.env;
  const accountKey = /AccountKey=([^;]+)/.exec(env['STORAGE_CONNECTION_STRING'] ?? '')?.[1] ?? '';
  const acsKey = /accesskey=([^;]+)/i.exec(env['ACS_CONNECTION_STRING'] ?? '')?.[1] ?? '';
  const secrets: Secret[] = [
    { name: 'ITSM standard webhook secret', value: LOCAL_ITSM.standardSecret },
    { name: 'Jira webhook secret', value: LOCAL_ITSM.jiraSecret },
    { name: 'JSM bearer token', value: LOCAL_ITSM.jsmToken },
    { name: 'API key', value: rig.apiKey },
    { name: 'Event Grid key', value: rig.eventGridKey },
    { name: 'storage account key', value: accountKey },
    { name: 'ACS access key', value: acsKey },
    { name: 'Cosmos account key', value: rig.parts.cosmos.masterKey },
    { name: 'ServiceNow password', value: env['SERVICENOW_PASSWORD'] ?? '' },
    { name: 'Jira API token', value: env['JIRA_API_TOKEN'] ?? '' },
  ];
  for (const p of rig.parts.estate.protectors)
    for (const vault of new Set(p.members.map((m) => m.vault)))
      for (const v of rig.parts.kv.keyVersions(vault, p.keyName)) for (const [m, value] of Object.entries(v.privateParts)) secrets.push({ name: `private key member ${m} of ${vault}/${p.keyName}/${v.version.slice(0, 8)}…`, value });
  const wrapped = new Set(baseline.wrappedCeks);
  for (const db of cekDatabases(rig)) for (const c of rig.parts.cosmos.ceks(db)) wrapped.add(c.wrappedDataEncryptionKey.toString('base64'));
  [...wrapped].forEach((value, i) => secrets.push({ name: `wrapped client encryption key #${i + 1}`, value }));
  dekPlaintexts.forEach((value, i) => secrets.push({ name: `client encryption key plaintext #${i + 1}`, value }));
  return secrets.filter((s) => s.value.length > 0);
}
