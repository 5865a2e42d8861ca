// Starts the npm-installed Azurite (Table and Blob) on free loopback ports for tests and `npm start`.
// The binaries are resolved from the azurite package itself, not PATH, so the pinned version is the one run.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort, spawnLocal, waitForPort, type LocalProcess } from './ports.js';

export interface AzuriteOptions {
  /** Workspace for Azurite's files; a fresh temp dir (removed on close) by default. */
  readonly dir?: string;
  readonly tablePort?: number;
  readonly blobPort?: number;
  /** Access logs off (default true). */
  readonly silent?: boolean;
  /** How long to wait for each port to accept TCP (default 30 s). */
  readonly startTimeoutMs?: number;
}

export interface Azurite {
  readonly tableEndpoint: string;
  readonly blobEndpoint: string;
  /** The well-known Azurite dev account (a public constant, not a secret) with explicit endpoints. */
  readonly connectionString: string;
  close(): Promise<void>;
  /** Stops both services gracefully (their data kept), waits `downMs`, and starts them again on the same ports. */
  restart(downMs?: number): Promise<void>;
}

// Azurite's documented development account: the same for every Azurite install.
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

async function azuriteBin(name: 'azurite-table' | 'azurite-blob'): Promise<string> {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('azurite/package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { bin?: Record<string, string> };
  const rel = pkg.bin?.[name];
  if (rel === undefined) throw new Error(`the azurite package has no "${name}" binary`);
  return resolve(dirname(pkgPath), rel);
}

export async function startAzurite(opts: AzuriteOptions = {}): Promise<Azurite> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'keysteward-azurite-')));
  const [tablePort, blobPort] = await Promise.all([opts.tablePort ?? freePort(), opts.blobPort ?? freePort()]);
  const common = ['--location', dir, '--skipApiVersionCheck', '--loose', '--disableTelemetry', ...(opts.silent === false ? [] : ['--silent'])];
  const [tableBin, blobBin] = await Promise.all([azuriteBin('azurite-table'), azuriteBin('azurite-blob')]);
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const ports = [tablePort, blobPort];

  let procs: LocalProcess[] = [];
  const stopAll = async (signal: NodeJS.Signals, graceMs = 3_000): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop(graceMs, signal)));
  };
  const close = async (): Promise<void> => {
    await stopAll('SIGTERM');
    // Azurite may still flush its metadata files for a moment after exit: retry the removal.
    if (ownDir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  };
  const launch = async (): Promise<void> => {
    procs = [
      spawnLocal('azurite-table', process.execPath, [tableBin, ...common, '--tableHost', '127.0.0.1', '--tablePort', String(tablePort)], { cwd: dir }),
      spawnLocal('azurite-blob', process.execPath, [blobBin, ...common, '--blobHost', '127.0.0.1', '--blobPort', String(blobPort)], { cwd: dir }),
    ];
    // Ready = Azurite said so (even with --silent: "Table service successfully started on", "Blob service
    // successfully listens on" in 3.35) AND the port accepts TCP. The line alone could come before the socket is
    // usable; the port alone could be someone else's listener while Azurite dies with EADDRINUSE.
    const ready = await Promise.all(
      procs.map(async (p, i) => (await p.waitForLine(/ service .*successfully/i, timeoutMs)) && (await waitForPort(ports[i] ?? 0, { timeoutMs, isDead: () => p.exited() })) && !p.exited()),
    );
    const failed = procs.filter((_, i) => ready[i] !== true);
    if (failed.length > 0) {
      const detail = failed.map((p) => `${p.name}: ${p.spawnError()?.message ?? (p.exited() ? 'exited' : `not ready after ${timeoutMs} ms`)}\n${p.tail()}`).join('\n');
      await close();
      throw new Error(`Azurite did not start:\n${detail}`);
    }
  };
  await launch();

  const tableEndpoint = `http://127.0.0.1:${tablePort}/${DEV_ACCOUNT}`;
  const blobEndpoint = `http://127.0.0.1:${blobPort}/${DEV_ACCOUNT}`;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `TableEndpoint=${tableEndpoint};BlobEndpoint=${blobEndpoint};`;
  return {
    tableEndpoint,
    blobEndpoint,
    connectionString,
    close,
    // SIGINT is Azurite's graceful stop: the table service saves its database (SIGTERM would lose up to 5 s of writes,
    // which Azure Table Storage never does).
    restart: async (downMs = 0) => {
      // A busy Azurite finishes what it is doing before it saves: give it time, or the last writes are lost.
      await stopAll('SIGINT', 30_000);
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
  };
}
