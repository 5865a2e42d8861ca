// The console's protector page and incident board details: the alert of each incident's current stage with its
// per-channel delivery (one ledger read per incident shown), and one protector's key versions per vault with what
// keeps each from being retired, its event timeline and its rotation history.
import { stageKey } from '../../domain/alerts/policy.js';
import { retirementBlockers, type Blocker } from '../../domain/retirement/gate.js';
import { summariseProtector, timelineOf, versionsPerVault, type ProtectorSummaryView, type VaultVersions } from '../../domain/console/summary.js';
import type { KeyEvent } from '../../domain/events/keyEvent.js';
import type { Incident } from '../../domain/report.js';
import type { RotationRun } from '../../domain/rotation/run.js';
import type { ProtectorDiscoveryFinding } from '../../domain/discovery/view.js';
import { mapLimit } from '../concurrency.js';
import { loadState } from '../persist.js';
import type { EstateSource } from '../estateSource.js';
import type { AlertLedger, Clock, StateStore } from '../ports.js';
import { transitionOf, type AlertTransition } from '../queries.js';
import { endOfService } from '../retirement/usage.js';

/** Ledger reads in flight at once for the incidents of one board page. */
const ALERT_READS = 16;

/** The alert of each incident's current stage (null: not claimed yet — the sweep or the next event will). */
export async function currentAlerts(ledger: AlertLedger, incidents: readonly Incident[]): Promise<Array<AlertTransition | null>> {
  return mapLimit(incidents, ALERT_READS, async (i) => {
    const r = await ledger.get(stageKey(i));
    return r === null ? null : transitionOf(i.stage, r);
  });
}

export interface VersionRetirement {
  readonly vault: string;
  readonly version: string;
  /** What the gate would refuse on now, from what is known here; DEK counts are taken by the gate when disabling. */
  readonly blockers: readonly Blocker[];
}

export interface ProtectorConsole {
  readonly summary: ProtectorSummaryView;
  readonly discoveryFindings: readonly ProtectorDiscoveryFinding[];
  readonly versions: readonly VaultVersions[];
  readonly retirement: readonly VersionRetirement[];
  /** Newest first. */
  readonly timeline: readonly KeyEvent[];
  /** Newest first. */
  readonly runs: readonly RotationRun[];
  readonly evaluatedAt: number;
}

export interface ProtectorConsoleDeps {
  readonly estates: EstateSource;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly runs: (protectorId: string) => Promise<RotationRun[]>;
  readonly discoveryFindings?: (protectorId: string) => readonly ProtectorDiscoveryFinding[];
}

export const TIMELINE_LIMIT = 200;

export async function protectorConsole(deps: ProtectorConsoleDeps, id: string): Promise<ProtectorConsole | null> {
  const { estate } = await deps.estates.fresh();
  const protector = estate.protectors.find((p) => p.id === id);
  if (!protector) return null;
  const [ps, runs] = await Promise.all([loadState(deps.state, protector), deps.runs(id)]);
  const now = deps.clock.now();
  const summary = summariseProtector(estate, ps, now);
  const versions = versionsPerVault(estate, ps, now);
  const memberCurrentVersions = summary.members.map((m) => ({ member: m.resourceId, vault: m.vault, version: m.version }));
  const retirement = versions.flatMap((vault) =>
    vault.versions.map((v) => {
      const created = v.createdAt === null ? null : Date.parse(v.createdAt);
      return {
        vault: vault.vault,
        version: v.version,
        blockers: retirementBlockers({
          version: { vault: vault.vault, key: protector.keyName, version: v.version },
          now,
          memberCurrentVersions,
          dekCountsByVersion: new Map(),
          stoppedBeingCurrentAt: created === null ? null : endOfService(runs, vault.vault, created),
          backupRetention: protector.backupRetention,
        }),
      };
    }),
  );
  return {
    summary,
    discoveryFindings: deps.discoveryFindings?.(id) ?? [],
    versions,
    retirement,
    timeline: timelineOf(estate, ps, now, TIMELINE_LIMIT),
    runs: [...runs].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)),
    evaluatedAt: now,
  };
}
