// What the function handlers need, built once per process by the composition root (hosts/composition.ts).
import type { IngestMessage, IngestSummary } from '../app/ingestion.js';
import type { Clock, Logger } from '../app/ports.js';
import type { ProtectorDetail, ProtectorPage, ProtectorSummary } from '../app/queries.js';
import type { StartResult } from '../app/rotation/start.js';
import type { DisableResult } from '../app/retirement/disableVersion.js';
import type { RotationRun } from '../domain/rotation/run.js';
import type { RewrapArgs, StartRewrapResult } from '../app/rewrap/startRewrap.js';
import type { RewrapStatus } from '../app/rewrap/rewrapJobs.js';
import type { AcceptResult, InboundHttp } from '../app/itsm/accept.js';
import type { ItsmRequest } from '../domain/itsm/request.js';
import type { DiscoveryStatus } from '../app/drift/status.js';
import type { ConsoleView } from '../app/console/view.js';
import type { ProtectorConsole } from '../app/console/detail.js';
import type { AlertTransition } from '../app/queries.js';
import type { Incident } from '../domain/report.js';

/**
 * `degraded`: shown, but not a reason to fail liveness (an ITSM outage delays write-backs; it does not stop keysteward).
 * `metrics`: the detail's figures as numbers, for monitors (e.g. alerts: undelivered, oldestAgeSeconds).
 */
export type DependencyStatus = {
  readonly status: 'up' | 'degraded' | 'down' | 'disabled' | 'unknown';
  readonly detail?: string;
  readonly metrics?: Readonly<Record<string, number>>;
};

export interface FunctionsConfig {
  readonly auditEventHub: { readonly connection: string; readonly name: string; readonly consumerGroup: string };
  readonly activityEventHub: { readonly connection: string; readonly name: string; readonly consumerGroup: string };
  readonly sweepSchedule: string;
  readonly rotationSchedule: string;
  readonly reconcileSchedule: string;
  readonly itsmSchedule: string;
  readonly discoverySchedule: string;
  readonly eventGridKey: string | undefined;
  /** How the Function App authenticates the console (CONSOLE_AUTH); absent: `function-key`. */
  readonly consoleAuth?: 'function-key' | 'app-service';
}

/** What is in progress, for the console's rotations page. */
export interface ActiveWork {
  readonly rotations: readonly RotationRun[];
  readonly rewraps: readonly RewrapStatus[];
  readonly itsm: readonly ItsmRequest[];
}

export interface Services {
  readonly config: FunctionsConfig;
  readonly clock: Clock;
  readonly log: Logger;
  ingest(messages: readonly IngestMessage[]): Promise<IngestSummary>;
  /** Stores whole messages in the poison table (a batch whose last retry failed). */
  poisonBatch(messages: readonly IngestMessage[], reason: string): Promise<void>;
  sweep(): Promise<unknown>;
  reconcile(): Promise<unknown>;
  listProtectors(): Promise<ProtectorSummary[]>;
  /** GET /api/protectors?limit=&after=: one page in id order. */
  listProtectorsPage(page: { readonly after: string | null; readonly limit: number }): Promise<ProtectorPage>;
  describeProtector(id: string): Promise<ProtectorDetail | null>;
  checkHealth(): Promise<Record<string, DependencyStatus>>;
  startRotation(protectorId: string, options: { requestedBy: string; dryRun?: boolean }): Promise<StartResult>;
  getRotation(id: string): Promise<RotationRun | null>;
  retireVersion(protectorId: string, vault: string, version: string): Promise<DisableResult | null>;
  startRewrap(protectorId: string, args: RewrapArgs): Promise<StartRewrapResult>;
  getRewrap(id: string): Promise<RewrapStatus | null>;
  /** An ITSM webhook (POST /api/itsm/{profile}): verified, recorded, queued. */
  receiveItsm(input: InboundHttp): Promise<AcceptResult>;
  getItsmRequest(id: string): Promise<ItsmRequest | null>;
  /** The ITSM timer: open requests make sure of their jobs, the outbox is carried to the ITSM systems. */
  itsmTick(): Promise<unknown>;
  /** The DISCOVERY_SCHEDULE timer: a full re-discovery of the watched subscriptions. */
  rediscover(): Promise<unknown>;
  /** GET /api/discovery: the last run, what it found, the drift of the estate file, the overlay in use. */
  discoveryStatus(): Promise<DiscoveryStatus>;
  /** Starts the rotations the schedule says are due (rotation_due); returns the run ids started. */
  rotateDue(): Promise<string[]>;
  /** The operator console's read model: every protector summarised and the open incidents, from one cached scan. */
  consoleView(): Promise<ConsoleView>;
  /** The alert of each incident's current stage with its per-channel delivery (null: not claimed yet). */
  incidentAlerts(incidents: readonly Incident[]): Promise<Array<AlertTransition | null>>;
  /** One protector's key versions per vault (and what keeps each from retirement), timeline and rotation history. */
  protectorConsole(id: string): Promise<ProtectorConsole | null>;
  /** Rotations running, rewrap campaigns open, ITSM requests open. */
  activeWork(): Promise<ActiveWork>;
  close(): Promise<void>;
}
