// The stack the suite breaks, all on 127.0.0.1: a private redis-server (AOF, its own port — never the machine's
// 6379), an Azurite the suite restarts, the project's emulators (Key Vault, ARM SQL, Cosmos, ACS Email capture,
// ServiceNow / Jira) in this process, and keysteward itself as `keysteward serve` hosts and `keysteward worker`
// processes, with chaos/estate.json: the demo estate plus billing-sql (a second geo-replicated SQL protector, the one
// rotated while incidents are open on orders-sql — an open incident rightly refuses a rotation's preflight) and the
// Cosmos CMK account in a vault of its own (its firewall is closed without touching the Always Encrypted key).
// Workers reach Table Storage through a latency proxy, so each rotation step lasts long enough to be killed
// inside. Hosts run no worker (ROTATION_WORKER=false): a worker process is what gets killed.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite, type Azurite } from '../hosts/local/azurite.js';
import { freePort } from '../hosts/local/ports.js';
import { startPrivateRedis, type PrivateRedis } from '../hosts/local/redis.js';
import { startLocalParts, type LocalParts } from '../hosts/local/stack.js';
import { HostClient } from './api.js';
import { ProcessLog, ROOT, type KeystewardProcess } from './processes.js';
import { startLatencyProxy, type LatencyProxy } from './proxy.js';

export const REDIS_PREFIX = 'keysteward-chaos:';
/** A timer schedule that never comes round during a run (reconcile and scheduled rotations would add work of their own). */
const NEVER = '0 0 0 1 1 *';

export interface Host {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly api: HostClient;
  current: KeystewardProcess;
}

export interface Rig {
  readonly parts: LocalParts;
  readonly redis: PrivateRedis;
  readonly azurite: Azurite;
  /** The workers' way to Table Storage. */
  readonly tableProxy: LatencyProxy;
  readonly apiKey: string;
  readonly eventGridKey: string;
  readonly processes: ProcessLog;
  readonly hosts: Map<string, Host>;
  readonly workers: KeystewardProcess[];
  /** The environment every keysteward process gets (a host's; workers differ in their Table endpoint). */
  readonly env: Readonly<Record<string, string>>;
  /** Starts `keysteward serve` as host `name` (on its earlier port when it ran before) and waits until it answers. */
  startHost(name: string): Promise<Host>;
  /** Starts a `keysteward worker` and waits until it says it started. */
  startWorker(): Promise<KeystewardProcess>;
  /** The hosts' URLs, for senders that spread deliveries. */
  urls(): string[];
  close(): Promise<void>;
}

function withTablePort(connectionString: string, port: number): string {
  return connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+\//, `TableEndpoint=http://127.0.0.1:${port}/`);
}

export async function startRig(opts: { estatePath: string; log: (line: string) => void }): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'keysteward-chaos-'));
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const redis = await startPrivateRedis({ dir: await mkdtemp(join(dir, 'redis-')) });
    closers.push(() => redis.close());
    const azurite = await startAzurite({ dir: await mkdtemp(join(dir, 'azurite-')) });
    closers.push(() => azurite.close());
    const parts = await startLocalParts({ estatePath: opts.estatePath, redisUrl: redis.url, azurite });
    closers.push(() => parts.close());
    const tableProxy = await startLatencyProxy({ host: '127.0.0.1', port: Number(new URL(azurite.tableEndpoint).port) });
    closers.push(() => tableProxy.close());

    const apiKey = randomBytes(24).toString('base64url');
    const eventGridKey = randomBytes(24).toString('base64url');
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      NODE_EXTRA_CA_CERTS: process.env['NODE_EXTRA_CA_CERTS'] ?? '',
      ...parts.env,
      ...Object.fromEntries(parts.settings),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: REDIS_PREFIX,
      API_KEY: apiKey,
      EVENTGRID_KEY: eventGridKey,
      ROTATION_WORKER: 'false',
      ROTATION_LOCK_MS: '3000',
      SWEEP_SCHEDULE: '*/5 * * * * *',
      RECONCILE_SCHEDULE: NEVER,
      ROTATION_SCHEDULE: NEVER,
      // Above what the run sends: a budget too small would hold alerts in the ledger past the end of the run.
      EMAIL_RATE_PER_MINUTE: '600',
      EMAIL_RATE_PER_HOUR: '10000',
      REWRAP_VAULT_UNITS_PER_SEC: '200',
      LOG_LEVEL: 'info',
    };
    const processes = new ProcessLog();
    closers.push(() => processes.stopAll());
    const hosts = new Map<string, Host>();
    const workers: KeystewardProcess[] = [];
    let workerCount = 0;

    const rig: Rig = {
      parts,
      redis,
      azurite,
      tableProxy,
      apiKey,
      eventGridKey,
      processes,
      hosts,
      workers,
      env,
      urls: () => [...hosts.values()].map((h) => h.url),
      async startHost(name) {
        const known = hosts.get(name);
        const port = known?.port ?? (await freePort());
        const proc = processes.spawn(`host-${name}`, 'serve', { ...env, PORT: String(port) });
        const url = `http://127.0.0.1:${port}`;
        const host: Host = known ?? { name, port, url, api: new HostClient(() => url, apiKey), current: proc };
        host.current = proc;
        hosts.set(name, host);
        if (!(await proc.process.waitForLine(/keysteward serving on/, 60_000))) throw new Error(`host ${name} did not start:\n${proc.process.tail()}`);
        return host;
      },
      async startWorker() {
        const proc = processes.spawn(`worker-${++workerCount}`, 'worker', {
          ...env,
          STORAGE_CONNECTION_STRING: withTablePort(parts.env['STORAGE_CONNECTION_STRING'] ?? '', tableProxy.port),
        });
        workers.push(proc);
        if (!(await proc.process.waitForLine(/rotation worker started/, 60_000))) throw new Error(`worker did not start:\n${proc.process.tail()}`);
        opts.log(`${proc.name} started`);
        return proc;
      },
      close: closeAll,
    };
    opts.log(`rig up in ${dir} (redis ${redis.port}, azurite ${new URL(azurite.tableEndpoint).port}, root ${ROOT})`);
    return rig;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Workers still running. */
export function liveWorkers(rig: Rig): KeystewardProcess[] {
  return rig.workers.filter((w) => !w.process.exited());
}
