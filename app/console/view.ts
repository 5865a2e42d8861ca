// The operator console's read model: every protector of the estate in use summarised at one `now`, from one paged
// scan of the state table (about N / 1000 round trips; GET /api/protectors reads the same scan, app/stateScan.ts), and
// the open incidents across the estate, most urgent first. Built at most once per `freshMs` whatever the number of
// viewers (single flight); a viewer within `staleMs` of the last build is answered from it while a new one is made,
// so a page's first byte never waits on the scan once the console has been seen.
import { createHash } from 'node:crypto';
import { fromSnapshot } from '../../domain/health/snapshot.js';
import { compareUrgency, summariseProtector, type ProtectorSummaryView } from '../../domain/console/summary.js';
import type { Incident } from '../../domain/report.js';
import type { ProtectorDiscoveryFinding } from '../../domain/discovery/view.js';
import type { Clock, StateStore } from '../ports.js';
import type { EstateSource } from '../estateSource.js';
import { scanStates } from '../stateScan.js';

export interface ConsoleView {
  readonly evaluatedAt: number;
  /** In estate order. */
  readonly protectors: readonly ProtectorSummaryView[];
  readonly byId: ReadonlyMap<string, ProtectorSummaryView>;
  /** Every open incident of the estate, most urgent first. */
  readonly incidents: readonly Incident[];
  /** Discovery's findings per protector (drift, preflight), when discovery runs. */
  readonly discoveryFindings: (protectorId: string) => readonly ProtectorDiscoveryFinding[];
  /** Changes whenever an open incident opens, moves stage or resolves: what live pages watch. */
  readonly incidentVersion: string;
  /** States the scan could not read (corrupt entities): shown, never hidden. */
  readonly unreadable: number;
}

export interface ConsoleViewDeps {
  readonly estates: EstateSource;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly discoveryFindings?: (protectorId: string) => readonly ProtectorDiscoveryFinding[];
}

export function incidentVersionOf(incidents: readonly Incident[]): string {
  const h = createHash('sha256');
  for (const i of incidents) h.update(`${i.protector}|${i.member}|${i.cause}|${i.episode}|${i.stage}\n`);
  return h.digest('hex').slice(0, 16);
}

export async function buildConsoleView(deps: ConsoleViewDeps): Promise<ConsoleView> {
  const { estate } = await deps.estates.fresh();
  const scan = await scanStates(deps.state);
  const snapshots = scan.snapshots;
  const unreadable = scan.unreadable.length;
  const now = deps.clock.now();
  const protectors = estate.protectors.map((p) => summariseProtector(estate, fromSnapshot(p, snapshots.get(p.id) ?? null), now));
  const incidents = protectors.flatMap((p) => p.incidents).sort(compareUrgency(now));
  return {
    evaluatedAt: now,
    protectors,
    byId: new Map(protectors.map((p) => [p.id, p])),
    incidents,
    discoveryFindings: deps.discoveryFindings ?? (() => []),
    incidentVersion: incidentVersionOf(incidents),
    unreadable,
  };
}

export interface ViewCacheSettings {
  /**
   * A view younger than this is served as it is. The cache also keeps a view for at least twice as long as it took to
   * build, so rebuilding never takes more than half of the time (a 10,000-protector scan takes seconds on Azurite).
   */
  readonly freshMs: number;
  /** A view younger than this is served while a new one is built; older, the caller waits for the new one. */
  readonly staleMs: number;
}

export const DEFAULT_VIEW_CACHE: ViewCacheSettings = { freshMs: 1_000, staleMs: 60_000 };

export interface ViewCache {
  /** The current view (see ViewCacheSettings); `maxAgeMs` asks for one at most that old (waits for it). */
  get(maxAgeMs?: number): Promise<ConsoleView>;
}

/** Single flight: one build at a time, shared by every caller waiting on it. A failed build is not cached. */
export function createViewCache(build: () => Promise<ConsoleView>, clock: Clock, settings: ViewCacheSettings = DEFAULT_VIEW_CACHE): ViewCache {
  let last: ConsoleView | null = null;
  let lastBuiltAt = -Infinity;
  let lastBuildMs = 0;
  let inFlight: Promise<ConsoleView> | null = null;
  const rebuild = (): Promise<ConsoleView> => {
    const started = clock.now();
    inFlight ??= build()
      .then((view) => {
        last = view;
        lastBuiltAt = clock.now();
        lastBuildMs = lastBuiltAt - started;
        return view;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  return {
    async get(maxAgeMs) {
      const age = clock.now() - lastBuiltAt;
      const fresh = maxAgeMs ?? Math.max(settings.freshMs, 2 * lastBuildMs);
      if (last && age <= fresh) return last;
      if (last && maxAgeMs === undefined && age <= settings.staleMs) {
        void rebuild().catch(() => undefined); // the next viewer sees it; a failure is retried by the next one
        return last;
      }
      return rebuild();
    },
  };
}
