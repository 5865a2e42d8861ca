// `keysteward serve` and `keysteward worker` as real processes (the built binary, as a user runs it), and the suite's
// Event Hubs host, with their whole output kept: the I8 check scans every line any of them ever wrote, including the ones that were SIGKILLed.
import { fileURLToPath } from 'node:url';
import { spawnLocal, type LocalProcess } from '../hosts/local/ports.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}dist/cli/main.js`;
/** What each kind of process runs: the keysteward binary's commands, and the suite's Event Hubs host. */
const ARGS: Readonly<Record<ProcessKind, readonly string[]>> = {
  serve: [BIN, 'serve'],
  worker: [BIN, 'worker'],
  eventhubs: [`${ROOT}dist/chaos/eventHubsHost.js`],
};

export type ProcessKind = 'serve' | 'worker' | 'eventhubs';

export interface KeystewardProcess {
  readonly name: string;
  readonly command: ProcessKind;
  readonly process: LocalProcess;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
}

/** Every keysteward process the suite started, dead or alive, in start order. */
export class ProcessLog {
  private readonly all: KeystewardProcess[] = [];

  /** `name` the first time, `name.2`, `name.3`… for the processes started again under it. */
  spawn(base: string, command: ProcessKind, env: NodeJS.ProcessEnv): KeystewardProcess {
    const earlier = this.all.filter((p) => p.name === base || p.name.startsWith(`${base}.`)).length;
    const name = earlier === 0 ? base : `${base}.${earlier + 1}`;
    const chunks: string[] = [];
    const proc = spawnLocal(name, process.execPath, ARGS[command], { cwd: ROOT, env, onOutput: (text) => chunks.push(text) });
    const p: KeystewardProcess = { name, command, process: proc, output: () => chunks.join('') };
    this.all.push(p);
    return p;
  }

  processes(): readonly KeystewardProcess[] {
    return this.all;
  }

  /** Stops every one still running (SIGTERM, then SIGKILL). */
  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((p) => p.process.stop(5_000)));
  }
}
