// Timer use case: time moves stages without any event (access_lost → inaccessible → autoheal_expired) and
// brings escalations due before the autoheal deadline. The sweep derives the stored protectors at `now`, claims
// what is new, and dispatches everything pending (including alerts left pending by a crash or the rate limit).
//
// Bounded in time at 10,000 protectors (DESIGN.md §7):
// - States are read by a paged scan of the state store (one query per page, not one read per protector) and judged
//   `concurrency` at a time (mapLimit).
// - Once `budgetMs` has passed the scan starts no new protector; it records the position of the last one judged
//   (SweepCursor) and the next sweep goes on after it, wrapping round to the first state and stopping where it
//   began, so sweeps walk the states in one circular order and a sweep with time to spare judges every state once.
// - Bound: a sweep always visits at least `pageSize` states (all of them when there are fewer) before the budget
//   may stop it, so with S stored states each one is visited at least once in any ⌈S / pageSize⌉ consecutive sweeps.
//   Within its budget a sweep judges many pages (the bench: 10,000 protectors in one sweep).
// - Skipped without deriving, because nothing could be claimed for them: protectors with no stored state or no
//   stored events (incidents come only from events: an eventless state has none, which test/app/sweep.test.ts
//   holds deriveProtector to), and states of protectors no longer in the estate.
// - One protector's trouble (an unreadable entity, a failing claim) is logged and counted; the others go on. A page
//   that cannot be read stops the scan where it is; the next sweep retries from there.
import { performance } from 'node:perf_hooks';
import type { Estate, Protector } from '../domain/estate/model.js';
import type { EstateSource } from './estateSource.js';
import { deriveProtectorIncidents } from '../domain/health/report.js';
import { fromSnapshot } from '../domain/health/snapshot.js';
import type { Millis } from '../domain/time.js';
import { claimTransitions, dispatchPending, type AlertDeps, type DispatchResult } from './alerts.js';
import { mapLimit } from './concurrency.js';
import type { StateEntry, StatePage, StateStore, SweepCursor } from './ports.js';
import { withTimeout } from './timeout.js';
import type { IncidentTally } from './telemetry.js';

export interface SweepSettings {
  /** After this long the scan starts no new protector (default 20 s, inside the 30 s schedule). */
  readonly budgetMs: number;
  /** Protectors judged at once (their alert claims are Table reads and writes). */
  readonly concurrency: number;
  /** States per scan page; also the least a sweep visits, whatever its budget. */
  readonly pageSize: number;
}

// 100 states a page: about 1 MB of typical state JSON (~9 KB each on the bench), at most ~20 MB at compaction's limit
// (400 events a state), twice that with the next page read ahead; the least a sweep visits is then 100 states.
export const DEFAULT_SWEEP_SETTINGS: SweepSettings = { budgetMs: 20_000, concurrency: 16, pageSize: 100 };

export interface SweepDeps {
  /** The estate in use, read once per sweep (a sweep judges every state against one snapshot). */
  readonly estates: EstateSource;
  readonly state: StateStore;
  readonly alerts: AlertDeps;
  /** Where the previous sweep stopped; without one, every sweep starts at the first state. */
  readonly cursor?: SweepCursor;
  readonly settings?: Partial<SweepSettings>;
  /** Monotonic milliseconds for the budget (default performance.now); tests step it by hand. */
  readonly elapsed?: () => number;
  /** Open incidents per protector for the `keysteward.incidents.open` gauge; set for every protector judged. */
  readonly incidentTally?: IncidentTally;
}

export interface SweepResult {
  /** Protectors in the estate. */
  readonly protectors: number;
  /** States derived at `now`. */
  readonly judged: number;
  /** States read that needed no derivation (no events, or a protector no longer in the estate). */
  readonly skipped: number;
  /** Protectors whose state could not be read or judged (each logged); the sweep went on without them. */
  readonly failed: number;
  readonly claimed: number;
  /** True when the sweep went all the way round; false when its budget or an unreadable page stopped it. */
  readonly complete: boolean;
  readonly stoppedBy: 'budget' | 'store' | null;
  /** Position the next sweep starts after (null: at the first state). */
  readonly resumeAfter: string | null;
  readonly dispatch: DispatchResult;
}

type Visit = 'judged' | 'skipped' | 'failed' | 'not-started';
type Range = { readonly after: string | null; readonly until: string | null };

/** How long the sweep waits on the cursor (Redis) before going on without it. */
const CURSOR_TIMEOUT_MS = 2_000;

export async function sweep(deps: SweepDeps): Promise<SweepResult> {
  const settings = { ...DEFAULT_SWEEP_SETTINGS, ...deps.settings };
  const elapsed = deps.elapsed ?? (() => performance.now());
  const log = deps.alerts.log;
  const began = elapsed();
  const now = deps.alerts.clock.now();
  const estate = deps.estates.current().estate;
  const protectors = new Map(estate.protectors.map((p) => [p.id, p]));
  const start = await readCursor(deps);
  const tally = { judged: 0, skipped: 0, failed: 0, claimed: 0 };
  // Judged in scan order: the budget is consulted only once `pageSize` states were started in this sweep.
  let started = 0;
  const mayStart = (): boolean => started < settings.pageSize || elapsed() - began < settings.budgetMs;

  const visit = async (entry: StateEntry): Promise<Visit> => {
    if (!mayStart()) return 'not-started';
    started++;
    if (!entry.ok) {
      log.error({ protector: entry.protectorId, position: entry.position, error: entry.error }, 'sweep skipped an unreadable protector state');
      return 'failed';
    }
    const protector = protectors.get(entry.protectorId);
    if (!protector || entry.stored.snapshot.events.length === 0) return 'skipped';
    try {
      // Not `tally.claimed += await …`: that reads the total before the await and loses concurrent claims.
      const claimed = await judge(deps, estate, protector, entry, now);
      tally.claimed += claimed;
      return 'judged';
    } catch (err) {
      log.error({ protector: protector.id, error: err instanceof Error ? err.message : String(err) }, 'sweep skipped a protector');
      return 'failed';
    }
  };

  // The circle: after `start` to the last state, then (when it began past the first) from the first state up to and
  // including `start`. Each page's successor is read while the page is judged.
  const successor = (range: Range, page: StatePage): Range | null => {
    const tail = page.entries.at(-1);
    if (page.more && tail) return { ...range, after: tail.position };
    return range.until === null && start !== null ? { after: null, until: start } : null;
  };
  const read = (range: Range): Promise<StatePage> => {
    const reading = deps.state.list({ ...range, limit: settings.pageSize });
    // Awaited below, or dropped when the sweep stops first: never an unhandled rejection.
    reading.catch(() => undefined);
    return reading;
  };
  let range: Range | null = { after: start, until: null };
  let reading = read(range);
  let last = start;
  let stoppedBy: SweepResult['stoppedBy'] = null;
  while (range !== null) {
    if (!mayStart()) {
      stoppedBy = 'budget';
      break;
    }
    let page: StatePage;
    try {
      page = await reading;
    } catch (err) {
      log.error({ after: range.after, error: err instanceof Error ? err.message : String(err) }, 'sweep could not read protector states; the next sweep retries from here');
      stoppedBy = 'store';
      break;
    }
    const next = successor(range, page);
    if (next !== null) reading = read(next);
    const visits = await mapLimit(page.entries, settings.concurrency, visit);
    // mapLimit starts entries in order and the budget only runs out, so the ones not started are a suffix.
    const done = visits.filter((v) => v !== 'not-started');
    for (const v of done) tally[v]++;
    const reached = page.entries[done.length - 1];
    if (reached) last = reached.position;
    if (done.length < page.entries.length) {
      stoppedBy = 'budget';
      break;
    }
    range = next;
  }
  const complete = stoppedBy === null;
  const resumeAfter = complete ? null : last;
  await saveCursor(deps, resumeAfter);
  const summary = { ...tally, complete, stoppedBy, resumeAfter, ms: Math.round(elapsed() - began) };
  if (complete) log.info(summary, 'sweep went all the way round');
  else log.warn(summary, 'sweep stopped before going all the way round; the next sweep resumes after resumeAfter');
  const dispatch = await dispatchPending(deps.alerts);
  return { protectors: protectors.size, ...tally, complete, stoppedBy, resumeAfter, dispatch };
}

/** Derives one protector at `now` and claims its new transitions; returns how many were claimed. */
async function judge(deps: SweepDeps, estate: Estate, protector: Protector, entry: StateEntry & { ok: true }, now: Millis): Promise<number> {
  // Incidents only: findings are shown by the API, never alerted, so the sweep does not derive them.
  const incidents = deriveProtectorIncidents(estate, fromSnapshot(protector, entry.stored.snapshot), now);
  deps.incidentTally?.set(protector.id, incidents);
  return incidents.length === 0 ? 0 : (await claimTransitions(deps.alerts, incidents)).length;
}

async function readCursor(deps: SweepDeps): Promise<string | null> {
  if (!deps.cursor) return null;
  try {
    return await withTimeout(deps.cursor.load(), CURSOR_TIMEOUT_MS);
  } catch (err) {
    deps.alerts.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'sweep cursor unavailable; starting at the first protector state');
    return null;
  }
}

async function saveCursor(deps: SweepDeps, position: string | null): Promise<void> {
  if (!deps.cursor) return;
  try {
    await withTimeout(deps.cursor.save(position), CURSOR_TIMEOUT_MS);
  } catch (err) {
    deps.alerts.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'could not record where the sweep stopped; the next sweep starts at the first protector state');
  }
}
