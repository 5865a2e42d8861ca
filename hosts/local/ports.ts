// Local ports and the processes that listen on them (Azurite, a private redis-server). Listening on port 0 lets
// the kernel pick an unused port; there is a small window before the child binds it, which callers accept (they fail loudly).
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: the server has no TCP address'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Resolves true once `host:port` accepts a TCP connection, false after `timeoutMs` of attempts. */
export async function waitForPort(port: number, opts: { host?: string; timeoutMs?: number; isDead?: () => boolean } = {}): Promise<boolean> {
  const host = opts.host ?? '127.0.0.1';
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (opts.isDead?.() === true) return false;
    if (await canConnect(host, port)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A child process serving a local port (Azurite, a private redis-server), with its last output kept for errors. */
export interface LocalProcess {
  readonly name: string;
  /** True once the process exited or could not be spawned. */
  exited(): boolean;
  /** The spawn error (e.g. ENOENT: the binary is not installed), if any. */
  spawnError(): NodeJS.ErrnoException | null;
  /** The last lines the process wrote (stderr and stdout), for error messages. */
  tail(): string;
  /** Resolves true once a line of output matches `pattern`; false if the process exits or `timeoutMs` passes first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<boolean>;
  /**
   * `signal` (default SIGTERM; SIGKILL is a crash, SIGINT is Azurite's graceful stop that saves its data), then SIGKILL
   * after `graceMs`; resolves once the process is gone.
   */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
}

const TAIL_LINES = 20;

export interface SpawnLocalOptions {
  readonly cwd?: string;
  /** Default this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Every chunk of output (stdout and stderr) as it comes, e.g. to keep a process's whole log. */
  readonly onOutput?: (text: string) => void;
}

export function spawnLocal(name: string, command: string, args: readonly string[], opts: SpawnLocalOptions = {}): LocalProcess {
  const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  const lines: string[] = [];
  const watchers = new Set<(line: string | null) => void>();
  let error: NodeJS.ErrnoException | null = null;
  let gone = false;
  const keep = (chunk: Buffer): void => {
    opts.onOutput?.(chunk.toString('utf8'));
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      lines.push(line);
      for (const w of watchers) w(line);
    }
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  // Both pipes are drained: a full pipe buffer would block the child.
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  child.once('error', (err: NodeJS.ErrnoException) => {
    error = err;
    gone = true;
    for (const w of watchers) w(null);
  });
  child.once('exit', () => {
    gone = true;
    process.off('exit', killOnExit);
    for (const w of watchers) w(null);
  });
  // Safety net: a test runner that exits without calling stop() must not leave the emulator running.
  const killOnExit = (): void => {
    if (!gone) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  return {
    name,
    exited: () => gone,
    spawnError: () => error,
    tail: () => lines.join('\n'),
    waitForLine(pattern, timeoutMs) {
      if (lines.some((l) => pattern.test(l))) return Promise.resolve(true);
      if (gone) return Promise.resolve(false);
      return new Promise((resolve) => {
        const finish = (ok: boolean): void => {
          clearTimeout(timer);
          watchers.delete(watch);
          resolve(ok);
        };
        // null: the process ended without printing the line.
        const watch = (line: string | null): void => {
          if (line === null) finish(false);
          else if (pattern.test(line)) finish(true);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        watchers.add(watch);
      });
    },
    async stop(graceMs = 3_000, signal: NodeJS.Signals = 'SIGTERM') {
      if (gone) return;
      child.kill(signal);
      const timer = setTimeout(() => {
        if (!gone) child.kill('SIGKILL');
      }, graceMs);
      await exitedPromise;
      clearTimeout(timer);
      process.off('exit', killOnExit);
    },
  };
}
