// Composition root: builds the services from validated configuration. `azure` mode uses DefaultAzureCredential
// (managed identity in Azure) for every Azure client; `local` mode points the same SDK clients at the project's
// emulators with a local credential and a loopback resolver. This is the only module that knows both.
import { DefaultAzureCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { AlertDeps } from '../app/alerts.js';
import { alertHealth } from '../app/alertHealth.js';
import { ingestMessages, poisonMessages, type IngestDeps } from '../app/ingestion.js';
import type { Clock, Logger, Notifier, RateLimiter } from '../app/ports.js';
import { describeProtector, listProtectors, listProtectorsPage } from '../app/queries.js';
import { reconcile } from '../app/reconcile.js';
import { sweep } from '../app/sweep.js';
import { withTimeout } from '../app/timeout.js';
import { LocalEmulatorCredential } from '../adapters/azure/localCredential.js';
import { localPolicies } from '../adapters/azure/localNetwork.js';
import { createEmailNotifier } from '../adapters/email/emailNotifier.js';
import { loadEstateFile } from '../adapters/files/estateFile.js';
import { createKeyVaultInventoryReader } from '../adapters/keyvault/inventoryReader.js';
import { createAuditLogReader } from '../adapters/loganalytics/auditLogReader.js';
import { createLogger } from '../adapters/logging/logger.js';
import { RedisRateLimiter } from '../adapters/ratelimit/redisRateLimiter.js';
import { createRedis } from '../adapters/redis/client.js';
import { Heartbeats } from '../adapters/redis/heartbeats.js';
import { checkNoEviction } from '../adapters/redis/noEviction.js';
import { RedisSweepCursor } from '../adapters/redis/sweepCursor.js';
import { TableAlertLedger } from '../adapters/tables/alertLedger.js';
import type { TableConnection } from '../adapters/tables/connection.js';
import { TablePoisonStore } from '../adapters/tables/poisonStore.js';
import { TableStateStore } from '../adapters/tables/stateStore.js';
import { createWebhookNotifier } from '../adapters/webhook/webhookNotifier.js';
import type { DiscoveryPort } from '../app/drift/ports.js';
import { createServiceDiscovery, defaultDiscoveryPort } from './serviceDiscovery.js';
import { deriveProtector } from '../domain/health/report.js';
import { loadState } from '../app/persist.js';
import { createRotationServices } from './rotation.js';
import { IncidentTally, observeOpenIncidents } from '../app/telemetry.js';
import { OPEN_STAGES } from '../domain/alerts/policy.js';
import { createItsmServices } from './itsm.js';
import type { Config } from './config.js';
import { ConfigError, vaultUrlResolver } from './config.js';
import type { DependencyStatus, FunctionsConfig, Services } from '../functions/services.js';
import { RedisClaimClock } from '../adapters/redis/claimClock.js';
import { buildConsoleView, createViewCache } from '../app/console/view.js';
import { currentAlerts, protectorConsole } from '../app/console/detail.js';


/** The service's own identity in local mode (the emulated Key Vault grants it read access for reconcile). */
export const LOCAL_SERVICE_PRINCIPAL = { oid: '0c0ffee0-0000-4000-8000-00000000c0de', appid: '0c0ffee0-0000-4000-8000-00000000c0de' };

export function functionsConfigOf(config: Config): FunctionsConfig {
  return {
    auditEventHub: { connection: 'KV_AUDIT_EH', name: config.KV_AUDIT_EVENTHUB, consumerGroup: config.EVENTHUB_CONSUMER_GROUP },
    activityEventHub: { connection: 'ACTIVITY_EH', name: config.ACTIVITY_EVENTHUB, consumerGroup: config.EVENTHUB_CONSUMER_GROUP },
    sweepSchedule: config.SWEEP_SCHEDULE,
    rotationSchedule: config.ROTATION_SCHEDULE,
    reconcileSchedule: config.RECONCILE_SCHEDULE,
    itsmSchedule: config.ITSM_SCHEDULE,
    discoverySchedule: config.DISCOVERY_SCHEDULE,
    eventGridKey: config.EVENTGRID_KEY,
    consoleAuth: config.CONSOLE_AUTH,
  };
}

export interface ServiceOverrides {
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Extra notifiers (tests); the configured channels are still built. */
  readonly notifiers?: readonly Notifier[];
  /** Run the BullMQ rotation worker in this process (default: config.ROTATION_WORKER). */
  readonly rotationWorker?: boolean;
  /**
   * Where secrets named by the estate (e.g. alwaysEncrypted.keySetting) are read: default the process environment
   * (a Function App's settings, Key Vault references resolved). The local stack hands its emulators' keys here.
   */
  readonly settings?: (name: string) => string | undefined;
  /** How this host reads Azure for discovery (tests); default the ARM adapters, or none when the host has no access. */
  readonly discovery?: DiscoveryPort | null;
}

export interface AzureAccess {
  readonly credential: TokenCredential;
  readonly additionalPolicies: Array<{ policy: PipelinePolicy; position: 'perCall' }>;
}

export function azureAccess(config: Pick<Config, 'KEYSTEWARD_MODE'>): AzureAccess {
  return config.KEYSTEWARD_MODE === 'local'
    ? { credential: new LocalEmulatorCredential(LOCAL_SERVICE_PRINCIPAL), additionalPolicies: localPolicies() }
    : { credential: new DefaultAzureCredential(), additionalPolicies: [] };
}

export function tableConnection(config: Config, access: AzureAccess): TableConnection {
  if (config.STORAGE_CONNECTION_STRING) return { connectionString: config.STORAGE_CONNECTION_STRING };
  const url = config.TABLE_ACCOUNT_URL ?? config.STORAGE_ACCOUNT_URL?.replace('.blob.', '.table.');
  if (!url) throw new ConfigError('no table storage configured');
  return { accountUrl: url, credential: access.credential };
}

/** With Redis unreachable, alerts go out anyway (an ACS 429 keeps them pending) rather than wait on Redis. */
function failOpen(limiter: RateLimiter, log: Logger): RateLimiter {
  return {
    tryTake: (channel, now) =>
      withTimeout(limiter.tryTake(channel, now), 1000).catch((err: unknown) => {
        log.warn({ channel, error: err instanceof Error ? err.message : String(err) }, 'send budget unavailable; sending anyway');
        return true;
      }),
  };
}

const emailSchema = z.object({ email: z.object({ to: z.array(z.string().min(3)).min(1) }).optional() });

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const log = overrides.log ?? createLogger(config.LOG_LEVEL);
  const clock = overrides.clock ?? { now: () => Date.now() };
  const fileEstate = await loadEstateFile(config.KEYSTEWARD_ESTATE);
  const access = azureAccess(config);

  const redis = createRedis(config.REDIS_URL, { name: 'keysteward' });
  if (config.KEYSTEWARD_CHECK_NOEVICTION) {
    const check = await checkNoEviction(redis);
    if (check.ok === false) {
      redis.disconnect();
      throw new ConfigError(`Redis maxmemory-policy is "${check.policy}"; keysteward needs "noeviction" (an evicted key would silently drop work). Set it, or KEYSTEWARD_CHECK_NOEVICTION=false to override.`);
    }
    if (check.ok === 'unknown') log.warn({ reason: check.reason }, 'could not read Redis maxmemory-policy (CONFIG may be disabled); make sure it is noeviction');
  }

  const tables = tableConnection(config, access);
  // The estate in use: the file with the discovered overlay, read by every use case at the time of use.
  const discovery = await createServiceDiscovery({ config, file: fileEstate, tables, clock, log, discovery: overrides.discovery !== undefined ? overrides.discovery : defaultDiscoveryPort(config) });
  const estates = discovery.estates;
  const state = new TableStateStore(tables);
  const poison = new TablePoisonStore(tables);
  const ledger = new TableAlertLedger(tables);

  const notifiers: Notifier[] = [];
  if (config.ACS_CONNECTION_STRING || config.ACS_ENDPOINT) {
    notifiers.push(
      createEmailNotifier({
        ...(config.ACS_CONNECTION_STRING ? { connectionString: config.ACS_CONNECTION_STRING } : { endpoint: config.ACS_ENDPOINT as string, credential: access.credential }),
        senderAddress: config.ALERT_SENDER,
        additionalPolicies: access.additionalPolicies,
        // The ledger and the rate limiter reschedule a throttled send; the SDK must not sit out a minute-long Retry-After.
        maxRetries: 0,
      }),
    );
  } else log.warn({}, 'no ACS_CONNECTION_STRING or ACS_ENDPOINT: alerts are not emailed');
  if (config.ALERT_WEBHOOK_URL && config.ALERT_WEBHOOK_SECRET) notifiers.push(createWebhookNotifier({ url: config.ALERT_WEBHOOK_URL, secret: config.ALERT_WEBHOOK_SECRET }));
  notifiers.push(...(overrides.notifiers ?? []));

  // Notifications come from the file alone (the discovered overlay changes roles and principal ids only).
  const notifications = emailSchema.safeParse(fileEstate.notifications);
  const recipients = config.ALERT_TO ?? (notifications.success ? (notifications.data.email?.to ?? []) : []);
  const alerts: AlertDeps = {
    ledger,
    notifiers,
    recipients,
    clock,
    log,
    policy: { escalateBefore: config.ESCALATE_BEFORE_MINUTES * 60_000 },
    leaseClock: new RedisClaimClock(redis, { timeoutMs: 1000 }),
    limiter: failOpen(new RedisRateLimiter(redis, { email: { perMinute: config.EMAIL_RATE_PER_MINUTE, perHour: config.EMAIL_RATE_PER_HOUR } }, `${config.REDIS_KEY_PREFIX}rate:`), log),
  };
  // Open incidents by stage as ingestion and the sweep judge them: the `keysteward.incidents.open` gauge reads it.
  const incidentTally = new IncidentTally();
  const incidentGauge = observeOpenIncidents(() => incidentTally.byStage(), OPEN_STAGES);
  const ingestDeps: IngestDeps = { estates, state, poison, alerts, clock, log, incidentTally, ...(discovery.onTriggers ? { onDiscoveryTriggers: discovery.onTriggers } : {}) };
  const heartbeats = new Heartbeats(redis, { prefix: config.REDIS_KEY_PREFIX });
  const sweepCursor = new RedisSweepCursor(redis, { prefix: config.REDIS_KEY_PREFIX });
  const vaultUrl = vaultUrlResolver(config, () => estates.current().estate);
  const inventory = createKeyVaultInventoryReader({ credential: access.credential, vaultUrl, additionalPolicies: access.additionalPolicies });
  const logs = config.LOG_ANALYTICS_WORKSPACE_ID
    ? createAuditLogReader({
        credential: access.credential,
        workspaceId: config.LOG_ANALYTICS_WORKSPACE_ID,
        ...(config.LOG_ANALYTICS_ENDPOINT ? { endpoint: config.LOG_ANALYTICS_ENDPOINT } : {}),
        additionalPolicies: access.additionalPolicies,
        log,
      })
    : undefined;

  const worker = overrides.rotationWorker ?? config.ROTATION_WORKER;
  const rotations = createRotationServices({ config, access, tables, estates, state, redis, clock, log, worker, settings: overrides.settings ?? ((name) => process.env[name]) });
  const itsm = createItsmServices({ config, tables, estates, redis, clock, log, worker, rotations: { start: (id, options) => rotations.start(id, options), get: (id) => rotations.get(id) } });
  // Incidents open tickets through the outbox (estate notifications.itsm); the channel never waits on the ITSM system.
  if (itsm.incidentChannel) notifiers.push(itsm.incidentChannel);
  if (notifiers.length === 0) log.warn({}, 'no alert channel configured: alerts stay undelivered in the ledger (GET /api/health "alerts") until one is');

  // The operator console reads one cached scan of the state table, shared by every viewer of this instance.
  const consoleViews = createViewCache(() => buildConsoleView({ estates, state, clock, discoveryFindings: discovery.findings }), clock);

  const services: Services = {
    config: functionsConfigOf(config),
    clock,
    log,
    ingest: async (messages) => {
      const summary = await ingestMessages(ingestDeps, messages);
      // Fire and forget: a Redis outage must never hold up ingestion (commands queue until it reconnects).
      void heartbeats.beat('ingest', clock.now()).catch(() => undefined);
      return summary;
    },
    poisonBatch: (messages, reason) => poisonMessages(ingestDeps, messages, reason),
    sweep: async () => {
      const result = await sweep({ estates, state, alerts, cursor: sweepCursor, incidentTally, settings: { budgetMs: config.SWEEP_BUDGET_MS, concurrency: config.SWEEP_CONCURRENCY } });
      // Redis is not the system of record: re-queue rotation runs whose jobs a Redis loss took (I6).
      await rotations.reconcileQueue().catch((err: unknown) => log.error({ error: err instanceof Error ? err.message : String(err) }, 'rotation queue reconcile failed'));
      void heartbeats.beat('sweep', clock.now()).catch(() => undefined);
      return result;
    },
    reconcile: () => reconcile({ ...ingestDeps, ...(logs ? { logs } : {}), inventory }, config.RECONCILE_LOOKBACK_MINUTES * 60_000),
    listProtectors: () => listProtectors({ estates, state, clock }),
    listProtectorsPage: (page) => listProtectorsPage({ estates, state, clock }, page),
    describeProtector: (id) => describeProtector({ estates, state, clock, alerts: ledger, discoveryFindings: discovery.findings }, id),
    checkHealth: async () => {
      const deps: Record<string, DependencyStatus> = {};
      deps['tableStorage'] = await state.load('__health__').then(
        () => ({ status: 'up' as const }),
        (err: unknown) => ({ status: 'down' as const, detail: err instanceof Error ? err.message.split('\n')[0] ?? '' : 'error' }),
      );
      deps['redis'] = await withTimeout(redis.ping(), 1000).then(
        async () => {
          const check = await checkNoEviction(redis, { timeoutMs: 1000 });
          // Any policy but noeviction may silently drop queued work (start-up refuses it unless overridden).
          return { status: check.ok === false ? ('degraded' as const) : ('up' as const), detail: check.ok === 'unknown' ? check.reason : `maxmemory-policy ${check.policy}` };
        },
        (err: unknown) => ({ status: 'down' as const, detail: err instanceof Error ? err.message : 'error' }),
      );
      deps['email'] = notifiers.some((n) => n.channel === 'email') ? { status: 'up', detail: `${recipients.length} recipient(s)` } : { status: 'disabled' };
      deps['webhook'] = config.ALERT_WEBHOOK_URL ? { status: 'up' } : { status: 'disabled' };
      deps['alerts'] = await withTimeout(alertHealth(alerts), 2000).catch((err: unknown) => ({ status: 'unknown' as const, detail: `alert ledger unreadable: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : 'error'}` }));
      deps['logAnalytics'] = logs ? { status: 'up' } : { status: 'disabled' };
      const lastIngest = await withTimeout(heartbeats.last('ingest'), 1000).catch(() => null);
      deps['ingestion'] = { status: 'up', detail: lastIngest ? `last batch ${new Date(lastIngest).toISOString()}` : 'no batch yet' };
      Object.assign(deps, await itsm.health());
      deps['discovery'] = await withTimeout(discovery.health(), 2000).catch((err: unknown) => ({ status: 'unknown' as const, detail: `discovery record unreadable: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : 'error'}` }));
      return deps;
    },
    startRotation: (id, options) => rotations.start(id, options),
    getRotation: (id) => rotations.get(id),
    retireVersion: (p, v, ver) => rotations.retire(p, v, ver),
    startRewrap: (id, args) => rotations.startRewrap(id, args),
    getRewrap: (id) => rotations.getRewrap(id),
    rotateDue: async () => {
      const started: string[] = [];
      const { estate } = await estates.fresh();
      for (const protector of estate.protectors) {
        if (!protector.rotation) continue;
        const { findings } = deriveProtector(estate, await loadState(state, protector), clock.now());
        if (!findings.some((f) => f.code === 'rotation_due')) continue;
        const result = await rotations.start(protector.id, { requestedBy: 'schedule' });
        if (result.kind === 'started') started.push(result.run.id);
        else log.warn({ protector: protector.id, outcome: result.kind }, 'scheduled rotation not started');
      }
      return started;
    },
    rediscover: () => discovery.scheduled(),
    discoveryStatus: () => discovery.status(),
    receiveItsm: (input) => itsm.receive(input),
    getItsmRequest: (id) => itsm.get(id),
    itsmTick: () => itsm.tick(),
    consoleView: () => consoleViews.get(),
    incidentAlerts: (incidents) => currentAlerts(ledger, incidents),
    protectorConsole: (id) => protectorConsole({ estates, state, clock, runs: (p) => rotations.listByProtector(p), discoveryFindings: discovery.findings }, id),
    activeWork: async () => {
      const [runs, rewraps, requests] = await Promise.all([rotations.listRunning(), rotations.openRewraps(), itsm.listOpen()]);
      return { rotations: runs, rewraps, itsm: requests };
    },
    close: async () => {
      incidentGauge.stop();
      await discovery.close();
      await itsm.close();
      await rotations.close();
      redis.disconnect();
    },
  };
  return services;
}
