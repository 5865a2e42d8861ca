// Discovery wiring for a host (issue 8): the estate in use (the file with the discovered overlay, read from the shared
// discovery record in Table Storage and polled every DISCOVERY_POLL_SECONDS), the scheduler that ingestion hands
// topology triggers to, the scheduled full run, and what GET /api/discovery and the health probe show. Both hosts build
// the same: every instance applies the same overlay; any instance may re-discover.
import { Cron } from 'croner';
import type { EstateSource } from '../app/estateSource.js';
import { fixedEstate } from '../app/estateSource.js';
import { OverlaidEstateSource } from '../app/drift/overlaidEstate.js';
import type { DiscoveryPort } from '../app/drift/ports.js';
import { rediscover } from '../app/drift/rediscover.js';
import { RediscoveryScheduler } from '../app/drift/scheduler.js';
import { discoveryHealth, discoveryStatus, type DiscoveryHealth, type DiscoveryStatus } from '../app/drift/status.js';
import type { Clock, Logger } from '../app/ports.js';
import { TableDiscoveryStore } from '../adapters/tables/discoveryStore.js';
import type { TableConnection } from '../adapters/tables/connection.js';
import type { DiscoveryTrigger } from '../domain/discovery/triggers.js';
import type { ProtectorDiscoveryFinding } from '../domain/discovery/view.js';
import type { Estate } from '../domain/estate/model.js';
import type { Config } from './config.js';
import { createDiscoveryServices } from './discovery.js';
import { discover } from '../app/discovery/discover.js';

export interface ServiceDiscovery {
  readonly estates: EstateSource;
  /** Ingestion's hand-over of topology triggers (absent when discovery is off). */
  readonly onTriggers: ((triggers: readonly DiscoveryTrigger[]) => void) | undefined;
  findings(protectorId: string): readonly ProtectorDiscoveryFinding[];
  status(): Promise<DiscoveryStatus>;
  health(): Promise<DiscoveryHealth>;
  /** The DISCOVERY_SCHEDULE timer: a full run, unless every watched subscription was read within half a period. */
  scheduled(): Promise<unknown>;
  close(): Promise<void>;
}

/** Subscriptions of the estate's members and vaults: what discovery watches unless DISCOVERY_SUBSCRIPTIONS says. */
export function estateSubscriptions(estate: Estate): string[] {
  const ids = [...estate.protectors.flatMap((p) => p.members.map((m) => m.resourceId)), ...[...estate.vaults.values()].flatMap((v) => (v.resourceId ? [v.resourceId] : []))];
  const subs = ids.map((id) => /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase()).filter((s): s is string => s !== undefined);
  return [...new Set(subs)].sort();
}

/** The schedule's period (ms), from its next two runs. */
function periodOf(schedule: string): number {
  const [a, b] = new Cron(schedule, { paused: true, timezone: 'UTC' }).nextRuns(2);
  return a && b ? b.getTime() - a.getTime() : 0;
}

export async function createServiceDiscovery(input: {
  config: Config;
  file: Estate;
  tables: TableConnection;
  clock: Clock;
  log: Logger;
  /** How Azure is read; null: no reads from this host (it still applies the overlay other instances store). */
  discovery: DiscoveryPort | null;
}): Promise<ServiceDiscovery> {
  const { config, file, clock, log } = input;
  const watched = config.DISCOVERY_SUBSCRIPTIONS?.map((s) => s.toLowerCase()) ?? estateSubscriptions(file);
  if (!config.DISCOVERY_ENABLED) {
    const estates = fixedEstate(file);
    const off = discoveryStatus({ enabled: false, estateVersion: 'file', watched, record: null, view: null, now: 0 });
    return { estates, onTriggers: undefined, findings: () => [], status: async () => off, health: async () => discoveryHealth(off), scheduled: async () => null, close: async () => undefined };
  }

  const store = new TableDiscoveryStore(input.tables);
  const source = new OverlaidEstateSource(file, store, { pollMs: config.DISCOVERY_POLL_SECONDS * 1000, clock, log });
  // The stored overlay applies before anything is served: a restart keeps the roles discovered before it.
  await source.refresh();
  source.start();
  const port = input.discovery;
  const scheduler = port
    ? new RediscoveryScheduler({
        run: (request) => rediscover({ discovery: port, store, file, clock, log, onStored: (s) => source.adopt(s) }, request),
        file,
        record: () => source.discovery()?.record ?? null,
        watched: () => watched,
        debounceMs: config.DISCOVERY_DEBOUNCE_SECONDS * 1000,
        log,
      })
    : null;
  // A deployment that never discovered reads Azure now rather than wait for the schedule (in the background).
  if (scheduler && source.discovery() === null) void scheduler.runFull('start-up').catch(() => undefined);
  const halfPeriod = periodOf(config.DISCOVERY_SCHEDULE) / 2;

  const status = async (): Promise<DiscoveryStatus> => {
    const inUse = await source.fresh();
    return discoveryStatus({ enabled: true, estateVersion: inUse.version, watched, record: source.discovery()?.record ?? null, view: source.discoveryView(), now: clock.now() });
  };
  return {
    estates: source,
    onTriggers: scheduler ? (triggers) => scheduler.notify(triggers) : undefined,
    findings: (id) => source.discoveryView()?.byProtector.get(id) ?? [],
    status,
    health: async () => {
      const h = discoveryHealth(await status());
      return port ? h : { ...h, detail: `${h.detail}; this host does not read Azure (it applies what other instances discover)` };
    },
    scheduled: async () => {
      if (!scheduler) return null;
      await source.refresh();
      const read = source.discovery()?.record.gatheredAt ?? {};
      const now = clock.now();
      // Both hosts (and every Function App timer) run the schedule: a run that another just made is not repeated.
      if (watched.length > 0 && watched.every((s) => read[s] !== undefined && now - Date.parse(read[s]) < halfPeriod)) return { kind: 'skipped' };
      return scheduler.runFull('schedule');
    },
    close: async () => {
      scheduler?.close();
      source.stop();
    },
  };
}

/**
 * How this host reads Azure for discovery: app/discovery's discover() over the ARM and Key Vault adapters, with the
 * host's identity (managed identity; the local credential in local mode) against ARM_ENDPOINT — the same composition
 * as `keysteward discover` (hosts/discovery.ts). Its identity needs Reader on the watched subscriptions and key
 * get / getrotationpolicy on the vaults (README: discovery on a real tenant).
 */
export function defaultDiscoveryPort(config: Config): DiscoveryPort {
  const { arm, keys } = createDiscoveryServices(config);
  return { discover: ({ subscriptions }) => discover({ arm, keys }, { subscriptions }) };
}
