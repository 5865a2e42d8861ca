// Finds a Redis for local runs and tests: REDIS_URL when set; else the machine's Redis on 127.0.0.1:6379
// (the project's machines run one); else a private, non-persistent redis-server from PATH on a free port.
import { connect } from 'node:net';
import { freePort, spawnLocal, waitForPort, type LocalProcess } from './ports.js';

export interface LocalRedis {
  readonly url: string;
  /** True when this call started a private redis-server (close() stops it). */
  readonly started: boolean;
  close(): Promise<void>;
}

export interface LocalRedisOptions {
  /** Used as is when given (falls back to the REDIS_URL environment variable); '' ignores REDIS_URL. */
  readonly url?: string;
  /** The Redis to probe before starting one (default redis://127.0.0.1:6379); tests point it at a closed port. */
  readonly probeUrl?: string;
  readonly probeTimeoutMs?: number;
}

const DEFAULT_PROBE = 'redis://127.0.0.1:6379';
const INSTALL_HINT = 'install it (Debian/Ubuntu: `apt-get install redis-server`) or set REDIS_URL';

export async function connectRedisForLocal(opts: LocalRedisOptions = {}): Promise<LocalRedis> {
  const given = opts.url ?? process.env.REDIS_URL;
  if (given !== undefined && given !== '') return { url: given, started: false, close: async () => {} };

  const probeUrl = opts.probeUrl ?? DEFAULT_PROBE;
  const probe = new URL(probeUrl);
  if (await answersPing(probe.hostname, Number(probe.port || 6379), opts.probeTimeoutMs ?? 500)) {
    return { url: probeUrl, started: false, close: async () => {} };
  }

  try {
    const own = await startPrivateRedis();
    return { url: own.url, started: true, close: () => own.close() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`No Redis answers at ${probe.host} and redis-server is not on PATH: ${INSTALL_HINT}.`);
    throw new Error(`No Redis answers at ${probe.host} and a private redis-server did not start (${(err as Error).message})`);
  }
}

export interface PrivateRedisOptions {
  /** Default a free port. */
  readonly port?: number;
  /** With a directory: AOF persistence there (appendfsync everysec, as production should run). Without: none. */
  readonly dir?: string;
}

/** A redis-server of the caller's own: crashed, restarted and flushed at will without touching the machine's Redis. */
export interface PrivateRedis extends LocalRedis {
  readonly port: number;
  /** kill -9: gone at once; what AOF had not yet written is lost, as in a real crash. */
  crash(): Promise<void>;
  /** Starts it again on the same port and directory (after crash(), or after close()). */
  start(): Promise<void>;
}

export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = opts.port ?? (await freePort());
  // No persistence without a directory: the server then holds test data only and must leave no files behind.
  const persistence = opts.dir ? ['--dir', opts.dir, '--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
  let proc: LocalProcess | null = null;
  const start = async (): Promise<void> => {
    const p = spawnLocal('redis-server', 'redis-server', ['--save', '', ...persistence, '--port', String(port), '--bind', '127.0.0.1']);
    const up = (await waitForPort(port, { timeoutMs: 10_000, isDead: () => p.exited() })) && (await answersPing('127.0.0.1', port, 2_000));
    if (!up) {
      const err = p.spawnError();
      await p.stop();
      if (err) throw err;
      throw new Error(`redis-server did not answer PING on port ${port}:\n${p.tail()}`);
    }
    proc = p;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    started: true,
    start,
    crash: async () => {
      await proc?.stop(0, 'SIGKILL');
    },
    close: async () => {
      await proc?.stop();
    },
  };
}

/** A raw RESP PING: no client library, so a missing server costs one refused connection and no log noise. */
function answersPing(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      // "-NOAUTH" is a Redis we hold no password for: not usable without REDIS_URL, so it counts as absent.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
