// What the console's live updates watch: one version string over everything its pages show that moves on its own —
// open incidents (opened, stage advanced, resolved) and the delivery of the first board page's alerts, running rotations' steps, rewrap progress, ITSM request states.
// One watcher per host process computes it once a second while anyone listens, however many pages are open.
import { createHash } from 'node:crypto';
import type { ActiveWork, Services } from '../services.js';
import type { ConsoleView } from '../../app/console/view.js';
import type { AlertTransition } from '../../app/queries.js';
import { INCIDENT_PAGE_SIZE } from './board.js';

/** What a console page and the live watcher read at one moment: the view, the work in progress, the first board page's alerts. */
export interface ConsoleSnapshot {
  readonly view: ConsoleView;
  readonly work: ActiveWork;
  readonly firstPageAlerts: ReadonlyArray<AlertTransition | null>;
  readonly version: string;
}

async function readSnapshot(services: Services): Promise<ConsoleSnapshot> {
  const [view, work] = await Promise.all([services.consoleView(), services.activeWork()]);
  // The alerts of the board's first page: their delivery per channel is shown, and changes after the incident does.
  const firstPageAlerts = await services.incidentAlerts(view.incidents.slice(0, INCIDENT_PAGE_SIZE));
  const h = createHash('sha256').update(view.incidentVersion);
  for (const a of firstPageAlerts) h.update(a === null ? '|a:-' : `|a:${a.status}:${Object.entries(a.channels).map(([c, d]) => `${c}=${d.status}`).join(',')}`);
  for (const r of work.rotations) h.update(`|r:${r.id}:${r.status}:${r.steps.map((s) => s.status[0]).join('')}`);
  for (const c of work.rewraps) h.update(`|c:${c.request.id}:${c.state}:${JSON.stringify(c.progress)}`);
  for (const i of work.itsm) h.update(`|i:${i.id}:${i.state}`);
  return { view, work, firstPageAlerts, version: h.digest('hex').slice(0, 16) };
}

/**
 * Shared by every page and the watcher of one process (single flight). The watcher waits for one at most SNAPSHOT_MS
 * old; a page is answered from the last one while it is at most SNAPSHOT_STALE_MS old (a new one is read behind it),
 * so a page's first byte does not wait on the reads.
 */
export const SNAPSHOT_MS = 1000;
export const SNAPSHOT_STALE_MS = 30_000;
interface Held {
  at: number;
  value: Promise<ConsoleSnapshot>;
  settled: ConsoleSnapshot | null;
}
const snapshots = new WeakMap<Services, Held>();

export function consoleSnapshot(services: Services, options: { readonly wait?: boolean } = {}): Promise<ConsoleSnapshot> {
  const now = services.clock.now();
  const held = snapshots.get(services);
  if (held && now - held.at < SNAPSHOT_MS) return held.value;
  const read = (): Promise<ConsoleSnapshot> => {
    const entry: Held = { at: now, value: readSnapshot(services), settled: held?.settled ?? null };
    snapshots.set(services, entry);
    entry.value.then(
      (s) => void (entry.settled = s),
      () => void (snapshots.get(services) === entry && (held ? snapshots.set(services, held) : snapshots.delete(services))),
    );
    return entry.value;
  };
  if (!options.wait && held?.settled && now - held.at < SNAPSHOT_STALE_MS) {
    const stale = held.settled;
    void read().catch(() => undefined);
    return Promise.resolve(stale);
  }
  return read();
}

/** The version now (waits for a snapshot at most SNAPSHOT_MS old): what the watcher and polling clients compare. */
export async function consoleVersion(services: Services): Promise<string> {
  return (await consoleSnapshot(services, { wait: true })).version;
}

type Listener = (version: string) => void;

interface Watch {
  readonly listeners: Set<Listener>;
  last: string | null;
  timer: NodeJS.Timeout | null;
}

const watches = new WeakMap<Services, Watch>();
export const WATCH_INTERVAL_MS = 1000;

/** Calls `listener` with the version now and on every change; returns the unsubscribe. */
export function watchVersion(services: Services, listener: Listener): () => void {
  let watch = watches.get(services);
  if (!watch) {
    watch = { listeners: new Set(), last: null, timer: null };
    watches.set(services, watch);
  }
  const w = watch;
  w.listeners.add(listener);
  if (w.last !== null) listener(w.last);
  if (w.timer === null) {
    let busy = false;
    const check = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        const version = await consoleVersion(services);
        if (version !== w.last) {
          w.last = version;
          for (const l of w.listeners) l(version);
        }
      } catch (err) {
        services.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'console version check failed; retried next second');
      } finally {
        busy = false;
      }
    };
    void check();
    w.timer = setInterval(() => void check(), WATCH_INTERVAL_MS);
    w.timer.unref();
  }
  return () => {
    w.listeners.delete(listener);
    if (w.listeners.size === 0 && w.timer !== null) {
      clearInterval(w.timer);
      w.timer = null;
      w.last = null;
    }
  };
}
