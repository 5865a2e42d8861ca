// Rotation throughput (DESIGN.md §7: "1,000 geo-groups (1 primary + 1 secondary each) planned and executed against
// the emulators at ≥ 80% of the key-creation ceiling of the vaults involved"). For `npm run bench` (contract keys
// rotation.groups, rotation.ratioOfCeiling). It starts its own emulators (bench/rotationEmulators.ts) and Azurite,
// and uses the machine's Redis under a namespace of its own.
//
// The estate: N sql-tde geo-groups, each its own protector key (`rotation.strategy: import`), the primary server's
// key in one of P primary-region vaults and the secondary's in one of P secondary-region vaults (group i → pair
// i mod P). Key Vault emulator at its default, documented limits (K6: 20 software creations / 10 s / vault; an
// import is a creation); the ARM SQL emulator holds the 2N servers with their current protector.
//
// What is measured: every run is started through the use case the API uses (RotationServices.start: plan,
// preflight, ledger, lock, BullMQ flow) and executed by the host's BullMQ worker, real SDK clients over HTTPS.
// - elapsedMs: from the first start call to the last run's last step done (its BullMQ job completed).
// - creates: successful key creations the emulator performed meanwhile (its audit log); must be exactly 2N (I1).
// - ceiling: Σ over the vaults involved of their create rate (2/s software, 1/s HSM) × elapsed;
//   ratioOfCeiling = creates / ceiling.
// Correctness, checked after the clock stops: every vault of every group holds exactly one new version, tagged
// with that group's run id (extraVersions, missingVersions); every primary's protector switched only after its
// secondary's, from the ARM emulator's write history (orderViolations, I2); every server ends on the new version
// (protectorMismatches). A violation is printed loudly on stderr and makes `ok` false.
//
// Where the time goes is in the output too: per step kind (stepMs), requests sent (requests), and CPU (cpu). Every
// group costs one RSA key generation (~0.2 s of CPU with Node 20's OpenSSL 3.0) on top of its requests; on a small
// machine that, not the vaults, can be the bound — cpuMsPerGroup and machineCreatesPerSec show when it is.
// The default layout is 3 + 3 vaults (333 servers each, under the ~500-databases-per-vault guidance): the ratio
// measures how well rotations keep the vaults' creation budgets busy, so the vaults must be the bound. On this
// project's 2-core machines one RSA-2048 generation costs ~0.2-0.25 CPU-s, so the machine feeds at most ~11-12
// creates/s; with 10 + 10 vaults (40 creates/s) the CPU, not the scheduler, decides the ratio (~0.3 there).
// Options (bench/main.ts): --groups N (default 1000), --vault-pairs P (default 3), --concurrency C (default 32),
// --arm-async (ARM SQL writes answered 202 + async operation).
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadEstateFile } from '../adapters/files/estateFile.js';
import { createKeyVaultInventoryReader } from '../adapters/keyvault/inventoryReader.js';
import { ROTATION_QUEUE } from '../adapters/queue/rotationQueue.js';
import { createRedis } from '../adapters/redis/client.js';
import { TableStateStore } from '../adapters/tables/stateStore.js';
import type { Logger } from '../app/ports.js';
import { fixedEstate } from '../app/estateSource.js';
import { ROTATION_TAG } from '../app/rotation/executor.js';
import { stepJobId, type RotationRun } from '../domain/rotation/run.js';
import { DEFAULT_CERT_DIR, ensureDevCertificate } from '../emulators/certs.js';
import type { KeyPermission } from '../emulators/keyvault/index.js';
import { azureAccess, LOCAL_SERVICE_PRINCIPAL, tableConnection } from '../hosts/composition.js';
import { loadConfig } from '../hosts/config.js';
import { startAzurite } from '../hosts/local/azurite.js';
import { createRotationServices, type RotationServices } from '../hosts/rotation.js';
import { startRotationEmulators, type EmulatorStats, type SeedGroup } from './rotationEmulators.js';

export interface BenchRotationOptions {
  /** Geo-groups (default 1000). */
  readonly groups?: number;
  /** Primary-region vaults, and as many secondary-region ones (default 3: 333 servers per vault for 1000 groups). */
  readonly vaultPairs?: number;
  /** Steps the BullMQ worker runs at once (default 32). */
  readonly concurrency?: number;
  /** Runs being started at once (default 16). */
  readonly startConcurrency?: number;
  /** 'RSA-HSM' halves the vaults' create rate (K6: 10 HSM creations / 10 s). Default 'RSA'. */
  readonly keyType?: 'RSA' | 'RSA-HSM';
  /** ARM answers writes synchronously (default, as the local stack does) or with 202 + async operations. */
  readonly armWriteMode?: 'sync' | 'async';
  /** Gives up waiting for the runs after this long (default 15 min). */
  readonly timeoutMs?: number;
  /** Emulators in a worker thread when compiled (default true). */
  readonly emulatorsInWorker?: boolean;
}

export interface BenchRotationResult {
  readonly groups: number;
  readonly ratioOfCeiling: number;
  readonly createsPerSec: number;
  readonly ceilingCreatesPerSec: number;
  readonly elapsedMs: number;
  readonly creates: number;
  readonly expectedCreates: number;
  readonly succeeded: number;
  readonly failed: number;
  /** 429s answered to key creations during the run (all requests: throttledAll). */
  readonly throttled: number;
  readonly throttledAll: number;
  /** Step executions beyond each step's first (retries after a transient failure, claims taken over). */
  readonly retriedSteps: number;
  readonly runMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly orderViolations: number;
  readonly extraVersions: number;
  readonly missingVersions: number;
  readonly protectorMismatches: number;
  readonly ok: boolean;
  readonly vaults: number;
  readonly servers: number;
  readonly concurrency: number;
  /** From the first start call: all runs started; first and last creation; last run done = elapsedMs. */
  readonly timeline: { readonly allStartedMs: number; readonly firstCreateMs: number | null; readonly lastCreateMs: number | null };
  /**
   * Per step kind, from the ledger: mean time a step ran (startedAt → finishedAt), mean wait before it started (after
   * the previous step finished, or the run was created), and when the first one finished (from the first start call).
   */
  readonly stepMs: Record<string, { readonly run: number; readonly wait: number; readonly firstDone: number }>;
  /**
   * CPU spent during the measurement: this process (bench, worker, emulators' thread, key generation) and its main
   * thread alone, Azurite, Redis, and the whole machine (what is left over was someone else's: the bench shares it).
   */
  readonly cpu: { readonly cores: number; readonly processMs: number; readonly mainThreadMs: number | null; readonly azuriteMs: number | null; readonly redisMs: number | null; readonly machineBusyMs: number | null; readonly othersMs: number | null; readonly mainElu: number; readonly emulatorElu: number };
  /** CPU time of one RSA key generation here: the import strategy makes one per group. */
  readonly keygenMsPerKey: number;
  /** CPU the rotation cost per group (this process, Azurite, Redis), and the creations/s this machine's cores could feed at that cost. */
  readonly cpuMsPerGroup: number;
  readonly machineCreatesPerSec: number;
  /** Requests sent during the measurement (by this process), and ARM writes the emulator recorded. */
  readonly requests: Readonly<Record<string, number>>;
  readonly setupMs: number;
  readonly failures?: Record<string, number>;
  readonly emulator: 'worker' | 'in-process';
  readonly armWriteMode: 'sync' | 'async';
}

const SUBSCRIPTION = '5b3c0d1e-7a2f-4c68-9e41-0d2b6f8a1c37';
const REGIONS = { primary: { name: 'eastus', short: 'eus' }, secondary: { name: 'westus', short: 'wus' } } as const;
const ADMIN_OID = '0ad0ad00-0000-4000-8000-0000000be4c4';
/** What a rotation needs of its identity (hosts/local/seed.ts): read, create versions, tag, seal. Never delete or purge. */
const ROTATION_PERMISSIONS: readonly KeyPermission[] = ['get', 'list', 'create', 'import', 'update', 'rotate', 'wrapKey', 'unwrapKey'];
/** K6 at the emulator's default limits: 20 creations per 10 s; an HSM creation weighs 2. */
const CREATES_PER_WINDOW = 20;
const WINDOW_MS = 10_000;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const round = (n: number, digits: number): number => Number(n.toFixed(digits));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

interface Layout {
  readonly doc: unknown;
  readonly groups: readonly (SeedGroup & { readonly id: string })[];
  readonly vaults: ReadonlyArray<{ readonly name: string; readonly region: string }>;
}

function estateLayout(groups: number, pairs: number, keyType: 'RSA' | 'RSA-HSM'): Layout {
  const vault = (role: keyof typeof REGIONS, i: number): string => `kv-rb-${REGIONS[role].short}-${pad(i, 2)}`;
  const server = (role: keyof typeof REGIONS, g: number): string =>
    `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-bench-${REGIONS[role].short}/providers/Microsoft.Sql/servers/sql-g${pad(g, 4)}-${REGIONS[role].short}`;
  const principal = (n: number): string => `5e77e700-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const vaults = (['primary', 'secondary'] as const).flatMap((role) => Array.from({ length: pairs }, (_, i) => ({ name: vault(role, i), region: REGIONS[role].name })));
  const list = Array.from({ length: groups }, (_, g) => {
    const pair = g % pairs;
    return {
      id: `tde-g${pad(g, 4)}`,
      keyName: `tde-g${pad(g, 4)}`,
      primary: { server: server('primary', g), vault: vault('primary', pair), principalId: principal(2 * g), location: REGIONS.primary.name },
      secondary: { server: server('secondary', g), vault: vault('secondary', pair), principalId: principal(2 * g + 1), location: REGIONS.secondary.name },
    };
  });
  const doc = {
    vaults: vaults.map((v) => ({
      name: v.name,
      region: v.region,
      resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-bench-${v.region === REGIONS.primary.name ? REGIONS.primary.short : REGIONS.secondary.short}/providers/Microsoft.KeyVault/vaults/${v.name}`,
      properties: { enableSoftDelete: true, enablePurgeProtection: true, softDeleteRetentionInDays: 90, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } },
    })),
    protectors: list.map((g) => ({
      id: g.id,
      kind: 'sql-tde',
      keyName: g.keyName,
      members: [
        { role: 'primary', resourceId: g.primary.server, vault: g.primary.vault, principalId: g.primary.principalId },
        { role: 'secondary', resourceId: g.secondary.server, vault: g.secondary.vault, principalId: g.secondary.principalId },
      ],
      rotation: { every: 'P180D', strategy: 'import', keySize: 2048, ...(keyType === 'RSA-HSM' ? { keyType } : {}) },
    })),
  };
  return { doc, groups: list, vaults };
}

/** CPU ms of this process's Azurite children (utime + stime from /proc), or null where /proc is not there. */
async function azuriteCpuMs(): Promise<number | null> {
  try {
    const tick = 10; // USER_HZ = 100 on Linux
    let total = 0;
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes('azurite')) total += (Number(fields[11]) + Number(fields[12])) * tick;
    }
    return total;
  } catch {
    return null;
  }
}

/** CPU ms every core of the machine spent busy (not idle or waiting on I/O), from /proc/stat; null elsewhere. */
async function machineBusyMs(): Promise<number | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10;
  } catch {
    return null;
  }
}

/** CPU ms of this process's main thread (its task in /proc), or null where /proc is not there. */
async function mainThreadCpuMs(): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Counts the HTTP requests this process sends, per target kind, while it is on. */
function requestCounter(kinds: { kv: number; arm: number }): { counts: Record<string, number>; stop(): void } {
  const counts: Record<string, number> = { keyVault: 0, arm: 0, tables: 0, other: 0 };
  const onStart = (message: unknown): void => {
    const req = (message as { request: ClientRequest }).request;
    const host = req.host ?? '';
    const port = Number((req.getHeader('host') as string | undefined)?.split(':')[1] ?? 0);
    const kind = host.endsWith('.vault.localhost') || port === kinds.kv ? 'keyVault' : port === kinds.arm ? 'arm' : host === '127.0.0.1' ? 'tables' : 'other';
    counts[kind] = (counts[kind] ?? 0) + 1;
  };
  subscribe('http.client.request.start', onStart);
  return { counts, stop: () => unsubscribe('http.client.request.start', onStart) };
}

async function redisCpuMs(redis: Redis): Promise<number | null> {
  try {
    const info = await redis.info('cpu');
    const read = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
    const s = read('used_cpu_user') + read('used_cpu_sys');
    return Number.isFinite(s) ? s * 1000 : null;
  } catch {
    return null;
  }
}

/** Counts what the rotation logs as errors; prints the first few. */
function benchLogger(): Logger & { errors: number } {
  const log = {
    errors: 0,
    info: () => undefined,
    warn: () => undefined,
    error: (fields: Record<string, unknown>, message: string) => {
      log.errors++;
      if (log.errors <= 5) process.stderr.write(`bench rotation: ${message} ${JSON.stringify(fields)}\n`);
    },
  };
  return log;
}

interface Checks {
  readonly extraVersions: number;
  readonly missingVersions: number;
  readonly orderViolations: number;
  readonly protectorMismatches: number;
  readonly details: string[];
}

/** I1 (live listing and the emulator's own count), I2 (ARM write history) and the members' final protectors. */
async function check(layout: Layout, runs: ReadonlyMap<string, RotationRun>, stats: EmulatorStats, listVersions: (vault: string, key: string) => Promise<Array<{ version: string; tags: Record<string, string> }>>): Promise<Checks> {
  let extraVersions = 0;
  let missingVersions = 0;
  let orderViolations = 0;
  let protectorMismatches = 0;
  const details: string[] = [];
  const note = (s: string): void => {
    if (details.length < 10) details.push(s);
  };
  const switches = new Map<string, number[]>(); // server → seqs of successful protector writes
  const attempts = new Map<string, number[]>(); // server → seqs of every protector write
  for (const w of stats.armWrites) {
    if (w.operation !== 'encryptionProtector/write') continue;
    (attempts.get(w.server) ?? attempts.set(w.server, []).get(w.server))?.push(w.seq);
    if (w.status < 300 && w.changed) (switches.get(w.server) ?? switches.set(w.server, []).get(w.server))?.push(w.seq);
  }
  await pool(layout.groups, 16, async (g) => {
    const run = runs.get(g.id);
    for (const m of [g.secondary, g.primary]) {
      const created = stats.createsByKey[`${m.vault}/${g.keyName}`] ?? 0;
      const versions = await listVersions(m.vault, g.keyName);
      const fresh = versions.length - 1; // the seeded one, plus what the rotation added
      const tagged = run ? versions.filter((v) => v.tags[ROTATION_TAG] === run.id).length : 0;
      if (fresh > 1 || created > 1) {
        extraVersions += Math.max(fresh, created) - 1;
        note(`${g.id}: ${m.vault} holds ${fresh} new versions (emulator counted ${created})`);
      }
      if (run?.status === 'completed' && (fresh < 1 || tagged !== 1)) {
        missingVersions++;
        note(`${g.id}: ${m.vault} holds ${fresh} new versions, ${tagged} tagged ${run.id}`);
      }
      // The member ends on the version its run installed in its vault.
      if (run?.status === 'completed') {
        const installed = run.steps.find((s) => s.kind === 'install-version' && s.vault === m.vault.toLowerCase())?.outcome?.version;
        const now = stats.protectors[m.server.toLowerCase()] ?? null;
        if (!installed || !now?.toLowerCase().endsWith(`/${installed}`)) {
          protectorMismatches++;
          note(`${g.id}: ${m.server} protector ${now ?? 'none'}, run installed ${installed ?? 'nothing'}`);
        }
      }
    }
    // I2: no protector write on the primary before the secondary's successful switch.
    const secondaryDone = switches.get(g.secondary.server.toLowerCase())?.[0];
    const primaryFirst = attempts.get(g.primary.server.toLowerCase())?.[0];
    if (primaryFirst !== undefined && (secondaryDone === undefined || primaryFirst < secondaryDone)) {
      orderViolations++;
      note(`${g.id}: primary protector write #${primaryFirst} before the secondary's switch #${secondaryDone ?? 'never'}`);
    }
  });
  return { extraVersions, missingVersions, orderViolations, protectorMismatches, details };
}

export async function benchRotation(o: BenchRotationOptions = {}): Promise<BenchRotationResult> {
  const groups = o.groups ?? 1000;
  const pairs = Math.min(o.vaultPairs ?? 3, groups);
  const concurrency = o.concurrency ?? 32;
  const keyType = o.keyType ?? 'RSA';
  const armWriteMode = o.armWriteMode ?? 'sync';
  const setupStart = Date.now();
  const cert = await ensureDevCertificate(DEFAULT_CERT_DIR);
  if (process.env['NODE_EXTRA_CA_CERTS'] !== cert.caPath) throw new Error(`the rotation bench needs NODE_EXTRA_CA_CERTS=${cert.caPath} (npm run bench sets it)`);

  const layout = estateLayout(groups, pairs, keyType);
  const dir = await mkdtemp(join(tmpdir(), 'keysteward-bench-rotation-'));
  const estatePath = join(dir, 'estate.json');
  await writeFile(estatePath, JSON.stringify(layout.doc));
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    process.stderr.write(`bench rotation: seeding ${groups} groups into ${2 * pairs} vaults and ${2 * groups} servers…\n`);
    const emulators = await startRotationEmulators(
      {
        tls: { cert: cert.certPem, key: cert.keyPem },
        vaults: layout.vaults,
        groups: layout.groups,
        adminOid: ADMIN_OID,
        serviceOid: LOCAL_SERVICE_PRINCIPAL.oid,
        servicePermissions: ROTATION_PERMISSIONS,
        keySize: 2048,
        hsm: keyType === 'RSA-HSM',
        seedMaterials: 8,
        armWriteMode,
      },
      { inWorker: o.emulatorsInWorker ?? true },
    );
    closers.push(() => emulators.close());
    const azurite = await startAzurite();
    closers.push(() => azurite.close());

    const config = loadConfig({
      KEYSTEWARD_MODE: 'local',
      KEYSTEWARD_ESTATE: estatePath,
      STORAGE_CONNECTION_STRING: azurite.connectionString,
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `keysteward-bench-rotation-${randomBytes(4).toString('hex')}:`,
      KEYVAULT_URL_TEMPLATE: `https://{vault}.vault.localhost:${emulators.setup.kvPort}/`,
      ARM_ENDPOINT: emulators.setup.armEndpoint,
      LOG_LEVEL: 'silent',
    });
    const estate = await loadEstateFile(estatePath);
    const redis = createRedis(config.REDIS_URL, { name: 'keysteward-bench-rotation' });
    closers.push(() => redis.quit());
    const prefix = `${config.REDIS_KEY_PREFIX}bull`;
    // Everything this run left in Redis (queues, vault budgets) is under its own prefix: remove it all at the end.
    closers.push(async () => {
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${config.REDIS_KEY_PREFIX}*`, count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    });
    const access = azureAccess(config);
    const tables = tableConnection(config, access);
    const log = benchLogger();
    const services: RotationServices = createRotationServices({
      config,
      access,
      tables,
      estates: fixedEstate(estate),
      state: new TableStateStore(tables),
      redis,
      clock: { now: () => Date.now() },
      log,
      worker: true,
      workerConcurrency: concurrency,
    });
    closers.push(() => services.close());

    const eventsConnection = createRedis(config.REDIS_URL, { name: 'keysteward-bench-rotation-events' });
    const events = new QueueEvents(ROTATION_QUEUE, { connection: eventsConnection, prefix });
    closers.push(async () => {
      await events.close();
      eventsConnection.disconnect();
    });
    await events.waitUntilReady();
    // How each run ended is read from the ledger afterwards; here only when: its last step's job completed, or failed
    // (a failed step fails its parents up to that job).
    const ended = new Map<string, number>(); // job id → when it completed or failed
    const rootOf = new Map<string, string>(); // last step's job id → protector
    let allStarted = false;
    let onAllEnded: () => void = () => undefined;
    const allEnded = new Promise<void>((resolve) => (onAllEnded = resolve));
    const settle = (): void => {
      if (allStarted && [...rootOf.keys()].every((id) => ended.has(id))) onAllEnded();
    };
    const end = (jobId: string): void => {
      if (!ended.has(jobId)) ended.set(jobId, Date.now());
      if (rootOf.has(jobId)) settle();
    };
    events.on('completed', ({ jobId }) => end(jobId));
    events.on('failed', ({ jobId }) => end(jobId));

    const setupMs = Date.now() - setupStart;
    process.stderr.write(`bench rotation: set up in ${setupMs} ms (emulators ${emulators.kind}, seeding ${emulators.setup.seedMs} ms); starting ${groups} rotations…\n`);

    // ---- measurement ----
    await emulators.mark();
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const azurite0 = await azuriteCpuMs();
    const redis0 = await redisCpuMs(redis);
    const main0 = await mainThreadCpuMs();
    const machine0 = await machineBusyMs();
    const sent = requestCounter({ kv: emulators.setup.kvPort, arm: Number(new URL(emulators.setup.armEndpoint).port) });
    const t0 = Date.now();
    const startedAt = new Map<string, number>(); // protector → start call time
    const runIds = new Map<string, string>(); // protector → run id
    const failures: Record<string, number> = {};
    const fail = (reason: string): void => {
      failures[reason] = (failures[reason] ?? 0) + 1;
    };
    await pool(layout.groups, o.startConcurrency ?? 16, async (g) => {
      startedAt.set(g.id, Date.now());
      try {
        const r = await services.start(g.id, { requestedBy: 'bench' });
        if (r.kind !== 'started') {
          fail(`start_${r.kind}${r.kind === 'refused' ? `:${r.run.preflight.filter((p) => !p.ok).map((p) => p.check).join(',')}` : ''}`);
          return;
        }
        const last = r.run.steps.at(-1)?.n ?? 0;
        rootOf.set(stepJobId(r.run.id, last), g.id);
        runIds.set(g.id, r.run.id);
      } catch (err) {
        fail(`start_error:${err instanceof Error ? err.message.slice(0, 80) : String(err)}`);
      }
    });
    const allStartedMs = Date.now() - t0;
    allStarted = true;
    settle();
    const timeoutMs = o.timeoutMs ?? 15 * 60_000;
    const progress = setInterval(() => {
      const done = [...rootOf.keys()].filter((id) => ended.has(id)).length;
      process.stderr.write(`bench rotation: ${done}/${rootOf.size} runs done after ${Math.round((Date.now() - t0) / 1000)} s\n`);
    }, 10_000);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([allEnded, new Promise<void>((r) => (timer = setTimeout(() => ((timedOut = true), r()), timeoutMs)))]);
    clearTimeout(timer);
    clearInterval(progress);
    const lastEnd = Math.max(t0, ...[...rootOf.keys()].map((id) => ended.get(id) ?? 0));
    const elapsedMs = (timedOut ? Date.now() : lastEnd) - t0;
    const cpu = process.cpuUsage(cpu0);
    const mainElu = performance.eventLoopUtilization(elu0).utilization;
    const azurite1 = await azuriteCpuMs();
    const redis1 = await redisCpuMs(redis);
    const main1 = await mainThreadCpuMs();
    const machine1 = await machineBusyMs();
    sent.stop();
    const stats = await emulators.stats();
    // ---- end of measurement ----

    // The runs as the ledger has them (the API's GET /api/rotations/{id}).
    const runs = new Map<string, RotationRun>();
    await pool([...runIds], 32, async ([protector, id]) => {
      const run = await services.get(id);
      if (run) runs.set(protector, run);
    });
    let succeeded = 0;
    let retriedSteps = 0; // step executions beyond the first (a 429 or 5xx retried, a claim taken over, a stall)
    const durations: number[] = [];
    const stepTotals = new Map<string, { run: number; wait: number; n: number; firstDone: number }>();
    for (const [protector, run] of runs) {
      if (run.status === 'completed') succeeded++;
      else {
        const failed = run.steps.find((s) => s.status === 'failed');
        fail(run.status === 'running' ? `still_running:${run.steps.find((s) => s.status !== 'done')?.kind ?? '?'}` : `${run.status}:${failed?.kind ?? '?'}:${failed?.error?.code ?? '?'}`);
      }
      const root = stepJobId(run.id, run.steps.at(-1)?.n ?? 0);
      const endAt = ended.get(root);
      const startAt = startedAt.get(protector);
      if (run.status === 'completed' && endAt !== undefined && startAt !== undefined) durations.push(endAt - startAt);
      let previous = Date.parse(run.createdAt);
      for (const s of run.steps) {
        retriedSteps += Math.max(0, s.attempts - 1);
        if (!s.startedAt || !s.finishedAt) continue;
        const t = stepTotals.get(s.kind) ?? { run: 0, wait: 0, n: 0, firstDone: Infinity };
        t.firstDone = Math.min(t.firstDone, Date.parse(s.finishedAt) - t0);
        t.run += Date.parse(s.finishedAt) - Date.parse(s.startedAt);
        t.wait += Date.parse(s.startedAt) - previous;
        t.n++;
        stepTotals.set(s.kind, t);
        previous = Date.parse(s.finishedAt);
      }
    }
    durations.sort((a, b) => a - b);

    const reader = createKeyVaultInventoryReader({ credential: access.credential, vaultUrl: (v) => emulators.vaultUrl(v), additionalPolicies: access.additionalPolicies });
    const checks = await check(layout, runs, stats, (vault, key) => reader.listVersions(vault, key));

    const creates = Object.values(stats.createsByVault).reduce((a, b) => a + b, 0);
    const expectedCreates = 2 * groups;
    const vaultsInvolved = layout.vaults.length;
    const createRatePerVault = (CREATES_PER_WINDOW * 1000) / WINDOW_MS / (keyType === 'RSA-HSM' ? 2 : 1);
    const ceilingCreatesPerSec = vaultsInvolved * createRatePerVault;
    const createsPerSec = elapsedMs > 0 ? (creates * 1000) / elapsedMs : 0;
    const failed = groups - succeeded;
    const ok = failed === 0 && creates === expectedCreates && checks.extraVersions === 0 && checks.missingVersions === 0 && checks.orderViolations === 0 && checks.protectorMismatches === 0 && !timedOut;
    if (!ok) {
      const bar = '!'.repeat(100);
      process.stderr.write(
        `${bar}\nBENCH ROTATION: CORRECTNESS OR COMPLETION FAILURE\n` +
          `  failed runs ${failed}/${groups}${timedOut ? ' (timed out)' : ''}, creates ${creates} (expected ${expectedCreates}), extraVersions ${checks.extraVersions}, ` +
          `missingVersions ${checks.missingVersions}, orderViolations ${checks.orderViolations}, protectorMismatches ${checks.protectorMismatches}\n` +
          `  failures: ${JSON.stringify(failures)}\n${checks.details.map((d) => `  ${d}`).join('\n')}\n${bar}\n`,
      );
    }

    // What this machine could feed at most: creations per second if every core did nothing but this rotation's work
    // (this process with its key generations and emulators' thread, Azurite, Redis), at the CPU it cost per group.
    const azuriteMs = azurite0 === null || azurite1 === null ? null : azurite1 - azurite0;
    const redisMs = redis0 === null || redis1 === null ? null : Math.round(redis1 - redis0);
    const cpuMsPerGroup = ((cpu.user + cpu.system) / 1000 + (azuriteMs ?? 0) + (redisMs ?? 0)) / groups;
    const machineCreatesPerSec = cpuMsPerGroup > 0 ? (availableParallelism() * 1000 * (expectedCreates / groups)) / cpuMsPerGroup : Infinity;
    if (createsPerSec < 0.8 * ceilingCreatesPerSec && machineCreatesPerSec < ceilingCreatesPerSec) {
      process.stderr.write(
        `bench rotation: bound by this machine's CPU, not by the vaults: ${Math.round(cpuMsPerGroup)} ms of CPU per group ` +
          `(keysteward with its RSA key generation (${emulators.setup.keygenMsPerKey} ms each), the emulators, Azurite, Redis) ` +
          `lets ${availableParallelism()} cores feed at most ${round(machineCreatesPerSec, 1)} creations/s; the ${vaultsInvolved} vaults take ${ceilingCreatesPerSec}/s\n`,
      );
    }

    const stepMs: Record<string, { run: number; wait: number; firstDone: number }> = {};
    for (const [kind, t] of stepTotals) stepMs[kind] = { run: Math.round(t.run / t.n), wait: Math.round(t.wait / t.n), firstDone: t.firstDone };
    const since = (at: number | null): number | null => (at === null ? null : at - t0);
    return {
      groups,
      ratioOfCeiling: round(createsPerSec / ceilingCreatesPerSec, 3),
      createsPerSec: round(createsPerSec, 2),
      ceilingCreatesPerSec: round(ceilingCreatesPerSec, 2),
      elapsedMs,
      creates,
      expectedCreates,
      succeeded,
      failed,
      throttled: stats.throttledCreates,
      throttledAll: stats.throttledAll,
      retriedSteps,
      runMs: { p50: percentile(durations, 50), p99: percentile(durations, 99), max: durations.at(-1) ?? 0 },
      orderViolations: checks.orderViolations,
      extraVersions: checks.extraVersions,
      missingVersions: checks.missingVersions,
      protectorMismatches: checks.protectorMismatches,
      ok,
      vaults: vaultsInvolved,
      servers: 2 * groups,
      concurrency,
      timeline: { allStartedMs, firstCreateMs: since(stats.firstCreateAt), lastCreateMs: since(stats.lastCreateAt) },
      stepMs,
      cpu: {
        cores: availableParallelism(),
        processMs: Math.round((cpu.user + cpu.system) / 1000),
        mainThreadMs: main0 === null || main1 === null ? null : main1 - main0,
        azuriteMs,
        redisMs,
        machineBusyMs: machine0 === null || machine1 === null ? null : machine1 - machine0,
        othersMs: machine0 === null || machine1 === null ? null : Math.max(0, Math.round(machine1 - machine0 - (cpu.user + cpu.system) / 1000 - (azuriteMs ?? 0) - (redisMs ?? 0))),
        mainElu: round(mainElu, 3),
        emulatorElu: round(stats.elu, 3),
      },
      keygenMsPerKey: emulators.setup.keygenMsPerKey,
      cpuMsPerGroup: Math.round(cpuMsPerGroup),
      machineCreatesPerSec: round(machineCreatesPerSec, 2),
      requests: { ...sent.counts, keyVaultReceived: stats.requests, armWrites: stats.armWrites.length },
      setupMs,
      ...(Object.keys(failures).length > 0 ? { failures } : {}),
      emulator: emulators.kind,
      armWriteMode,
    };
  } finally {
    await closeAll();
  }
}
