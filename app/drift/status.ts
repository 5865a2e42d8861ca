// What GET /api/discovery and the health probe show of discovery (issue 8): the last run (when, why, which
// subscriptions, what it found), the last failure, what could not be read, the CMK resources the estate does not
// manage, the estate file's drift and discovery's preflight findings, and the overlay the estate in use applies.
import type { DriftFinding, EstateOverlay } from '../../domain/discovery/drift.js';
import type { DiscoveryFacts } from '../../domain/discovery/facts.js';
import type { DiscoveryFinding } from '../../domain/discovery/topology.js';
import type { DiscoveryView } from '../../domain/discovery/view.js';
import type { DiscoveryFailure, DiscoveryRecord, DiscoveryRun } from './ports.js';

export interface DiscoveryCounts {
  readonly subscriptions: number;
  readonly sqlServers: number;
  readonly managedInstances: number;
  readonly cosmosAccounts: number;
  readonly vaults: number;
  readonly discoveredProtectors: number;
  readonly overlaidProtectors: number;
  readonly unmanaged: number;
  readonly drift: number;
  readonly findings: number;
  readonly gaps: number;
}

export interface DiscoveryStatus {
  readonly enabled: boolean;
  /** The estate in use: `file`, or `overlay:<seq>` of the record applied. */
  readonly estateVersion: string;
  /** Subscriptions a scheduled run reads. */
  readonly watched: readonly string[];
  readonly lastRun: DiscoveryRun | null;
  /** Seconds since the last successful run finished (null: none yet). */
  readonly ageSeconds: number | null;
  readonly failure: DiscoveryFailure | null;
  readonly counts: DiscoveryCounts | null;
  readonly gaps: DiscoveryFacts['gaps'];
  readonly unmanaged: readonly DriftFinding[];
  readonly drift: readonly DriftFinding[];
  readonly findings: readonly DiscoveryFinding[];
  readonly overlay: EstateOverlay | null;
}

export function discoveryStatus(input: { enabled: boolean; estateVersion: string; watched: readonly string[]; record: DiscoveryRecord | null; view: DiscoveryView | null; now: number }): DiscoveryStatus {
  const { record, view } = input;
  const facts = record?.facts ?? null;
  const unmanaged = view?.drift.filter((f) => f.code === 'unmanaged_cmk_resource') ?? [];
  const drift = view?.drift.filter((f) => f.code !== 'unmanaged_cmk_resource') ?? [];
  const finishedAt = record?.lastRun ? Date.parse(record.lastRun.finishedAt) : null;
  return {
    enabled: input.enabled,
    estateVersion: input.estateVersion,
    watched: input.watched,
    lastRun: record?.lastRun ?? null,
    ageSeconds: finishedAt === null ? null : Math.max(0, Math.round((input.now - finishedAt) / 1000)),
    failure: record?.failure ?? null,
    counts:
      facts && view
        ? {
            subscriptions: facts.subscriptions.length,
            sqlServers: facts.sqlServers.filter((s) => s.kind === 'server').length,
            managedInstances: facts.sqlServers.filter((s) => s.kind === 'managed-instance').length,
            cosmosAccounts: facts.cosmosAccounts.length,
            vaults: facts.vaults.length,
            discoveredProtectors: view.discovered.protectors.length,
            overlaidProtectors: Object.keys(record?.overlay?.protectors ?? {}).length,
            unmanaged: unmanaged.length,
            drift: drift.length,
            findings: view.discovered.findings.length,
            gaps: facts.gaps.length,
          }
        : null,
    gaps: facts?.gaps ?? [],
    unmanaged,
    drift,
    findings: view?.discovered.findings ?? [],
    overlay: record?.overlay ?? null,
  };
}

export interface DiscoveryHealth {
  readonly status: 'up' | 'degraded' | 'disabled' | 'unknown';
  readonly detail: string;
  readonly metrics?: Readonly<Record<string, number>>;
}

/** Degraded, never down: without discovery the estate in use is the file and the last overlay, as before issue 8. */
export function discoveryHealth(status: DiscoveryStatus): DiscoveryHealth {
  if (!status.enabled) return { status: 'disabled', detail: 'discovery is off (DISCOVERY_ENABLED=false)' };
  const metrics = { ...(status.ageSeconds !== null ? { ageSeconds: status.ageSeconds } : {}), consecutiveFailures: status.failure?.consecutive ?? 0 };
  const last = status.lastRun ? `last run ${status.lastRun.finishedAt} (${status.ageSeconds ?? 0}s ago, ${status.lastRun.kind}, ${status.lastRun.subscriptions.length} subscription(s))` : 'no successful run yet';
  if (status.failure) return { status: 'degraded', detail: `last attempt failed ${status.failure.at} (${status.failure.consecutive} in a row): ${status.failure.error}; ${last}`, metrics };
  if (!status.lastRun) return { status: 'unknown', detail: 'no discovery run yet', metrics };
  const gaps = status.counts?.gaps ? `; ${status.counts.gaps} part(s) unreadable` : '';
  return { status: 'up', detail: `${last}${gaps}`, metrics };
}
