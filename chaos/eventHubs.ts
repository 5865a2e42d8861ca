// Event Hubs delivery without an Event Hubs emulator: batches go to the suite's Event Hubs host process
// (eventHubsHost.ts: the Event Hubs trigger's own handler on a keysteward instance), numbered as a partition numbers
// them, including the replays, duplicates and reshuffles Event Hubs is allowed to deliver. A batch whose handler threw
// is delivered again, as the host's retry policy does, the last time with `lastAttempt` (the handler then poisons it
// rather than throw).
import { request } from './api.js';
import type { History } from './history.js';
import type { KeystewardProcess } from './processes.js';
import type { Rig } from './rig.js';

export interface EventHubsBatch {
  readonly partitionId: string;
  /** Message bodies: envelopes `{records:[...]}`, or raw text (a message that is not JSON). */
  readonly messages: readonly unknown[];
  /** Sequence number of the first message; the others follow. */
  readonly firstSequence: number;
}

export interface EventHubsDriver {
  /** Delivers until the handler resolves (acknowledged: the batch goes in the history) or `attempts` run out. */
  deliver(phase: string, batch: EventHubsBatch, opts?: { attempts?: number; timeoutMs?: number }): Promise<{ acknowledged: boolean; statuses: number[]; error?: string }>;
  /** The Event Hubs host process (started on first use). */
  process(): KeystewardProcess | null;
  /** Whether the host still answers (killed and started again when it does not). */
  alive(): Promise<boolean>;
}

export function eventHubsDriver(rig: Rig, history: History): EventHubsDriver {
  let proc: KeystewardProcess | null = null;
  let url = '';
  const start = async (): Promise<void> => {
    if (proc && !proc.process.exited()) return;
    const p = rig.processes.spawn('eventhubs-host', 'eventhubs', { ...rig.env, PORT: '0' });
    proc = p;
    let port = 0;
    if (!(await p.process.waitForLine(/event hubs host listening on \d+/, 60_000))) throw new Error(`the Event Hubs host did not start:\n${p.process.tail()}`);
    port = Number(/listening on (\d+)/.exec(p.output())?.[1] ?? 0);
    url = `http://127.0.0.1:${port}/deliver`;
  };
  return {
    async deliver(phase, batch, opts = {}) {
      await start();
      const attempts = opts.attempts ?? 3;
      const statuses: number[] = [];
      let error: string | undefined;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const input = {
          messages: batch.messages,
          partitionId: batch.partitionId,
          offsets: batch.messages.map((_, i) => String((batch.firstSequence + i) * 1024)),
          sequenceNumbers: batch.messages.map((_, i) => batch.firstSequence + i),
          lastAttempt: attempt === attempts,
        };
        const r = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input), timeoutMs: opts.timeoutMs ?? 60_000 });
        statuses.push(r.status);
        error = r.error;
        if (r.status === 200) {
          const records = batch.messages.filter((m) => typeof m !== 'string').flatMap((m) => (Array.isArray((m as { records?: unknown }).records) ? (m as { records: unknown[] }).records : [m]));
          const rawMessages = batch.messages.filter((m): m is string => typeof m === 'string');
          history.delivery({ phase, via: 'eventhubs', records, rawMessages });
          return { acknowledged: true, statuses };
        }
        if (r.status === 0 && proc?.process.exited()) break; // the host died on it: reported by the caller
      }
      history.unacknowledged++;
      return { acknowledged: false, statuses, ...(error ? { error } : {}) };
    },
    process: () => proc,
    async alive() {
      const answers = proc !== null && !proc.process.exited() && (await request(url.replace('/deliver', '/'), { timeoutMs: 10_000 })).status !== 0;
      if (answers) return true;
      await proc?.process.stop(0, 'SIGKILL');
      await start();
      return false;
    },
  };
}
