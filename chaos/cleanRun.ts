// I5's reference: a fresh `keysteward serve` on a fresh Azurite (and its own Redis namespace, no email) is fed every
// record the chaotic run acknowledged, once each, in order, in small Event Grid deliveries, with nothing failing. Its
// GET /api/protectors/{id} is then what the chaotic run's must equal.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../hosts/local/azurite.js';
import { freePort } from '../hosts/local/ports.js';
import { deliverEventGrid, HostClient, sleep } from './api.js';
import { envelopes } from './corpus.js';
import { protectorViews } from './evidence.js';
import type { ProtectorView } from './invariants.js';
import type { Rig } from './rig.js';

export interface CleanRun {
  /** Protector views of the clean host, read by `read()` right when the chaotic ones are. */
  read(): Promise<Map<string, ProtectorView>>;
  readonly fed: number;
  readonly refused: number;
  close(): Promise<void>;
}

export async function startCleanRun(rig: Rig, records: readonly unknown[]): Promise<CleanRun> {
  const dir = await mkdtemp(join(tmpdir(), 'keysteward-chaos-clean-'));
  const azurite = await startAzurite({ dir });
  const port = await freePort();
  const host = rig.processes.spawn('host-clean', 'serve', {
    ...rig.env,
    PORT: String(port),
    STORAGE_CONNECTION_STRING: azurite.connectionString,
    REDIS_KEY_PREFIX: 'keysteward-chaos-clean:',
    // No email: the clean run's alerts must not reach the capture the I7 check reads.
    ACS_CONNECTION_STRING: '',
  });
  const close = async (): Promise<void> => {
    await host.process.stop();
    await azurite.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (!(await host.process.waitForLine(/keysteward serving on/, 60_000))) throw new Error(`the clean host did not start:\n${host.process.tail()}`);
    const url = `http://127.0.0.1:${port}`;
    const api = new HostClient(() => url, rig.apiKey);
    // Discovery's findings are part of what is compared: the chaotic hosts ran discovery long ago, so the clean one's
    // first run must have finished too before its views are read.
    await discoveryRan(api, 60_000);
    let fed = 0;
    let refused = 0;
    for (const e of envelopes(records, 20)) {
      const d = await deliverEventGrid(() => [url], rig.eventGridKey, JSON.stringify(e), { maxAttempts: 5, backoffMs: 200 });
      if (d.acknowledged) fed += e.records.length;
      else refused += e.records.length;
    }
    const ids = rig.parts.estate.protectors.map((p) => p.id);
    return { read: () => protectorViews(api, ids), fed, refused, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Waits until the host's discovery is off or has finished a run (GET /api/discovery); gives up after `timeoutMs`. */
async function discoveryRan(api: HostClient, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const status = (await api.get('/api/discovery')).body as { enabled?: unknown; lastRun?: unknown } | null;
    if (status !== null && (status.enabled === false || (status.lastRun !== null && status.lastRun !== undefined))) return;
    await sleep(250);
  }
}
