// Rotation wiring for a host: the ledger, Key Vault and ARM adapters, the BullMQ queue and (optionally) the
// worker. Kept apart from composition.ts so that a Function App, which runs no worker, builds only the queue.
import type { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import type { Clock, Logger, StateStore } from '../app/ports.js';
import type { RotationDeps } from '../app/rotation/executor.js';
import { startRotation, type StartDeps, type StartOptions, type StartResult } from '../app/rotation/start.js';
import { ArmSqlError, createProtectorSwitch } from '../adapters/armsql/index.js';
import { abandonStep, NonRetryableStepError } from '../app/rotation/executor.js';
import type { ProtectorSwitchPort } from '../app/rotation/ports.js';
import { createRotationKeys } from '../adapters/keyvault/rotationKeys.js';
import { createKeyAdmin, createKeyWrapper } from '../adapters/keyvault/crypto/index.js';
import { cosmosCekCatalogs } from '../adapters/cosmos/cekCatalog.js';
import { TableDekStore } from '../adapters/dekstore/tableDekStore.js';
import { createRewrapQueue, startRewrapWorker } from '../adapters/queue/rewrapQueue.js';
import { RedisVaultBudget } from '../adapters/redis/vaultBudget.js';
import { RedisClaimClock } from '../adapters/redis/claimClock.js';
import { campaignStatus, reconcileCampaigns, type RewrapStatus } from '../app/rewrap/rewrapJobs.js';
import { TableCampaignLedger } from '../adapters/tables/rewrapCampaigns.js';
import { startRewrap, type RewrapArgs, type StartRewrapResult } from '../app/rewrap/startRewrap.js';
import { sustainableRatePerSec, type VaultCeiling } from '../domain/rewrap/budget.js';
import { disableOldVersion, type DisableResult } from '../app/retirement/disableVersion.js';
import { createProtectorUsage } from '../app/retirement/usage.js';
import { createRotationQueue, startRotationWorker } from '../adapters/queue/rotationQueue.js';
import { TableRotationLedger } from '../adapters/tables/rotationLedger.js';
import type { TableConnection } from '../adapters/tables/connection.js';
import type { EstateSource } from '../app/estateSource.js';
import type { RotationRun } from '../domain/rotation/run.js';
import type { AzureAccess } from './composition.js';
import { vaultUrlResolver, type Config } from './config.js';
import { observeQueueDepth } from '../app/telemetry.js';

/** ARM refusals (403, the geo rule, a missing key) cannot be fixed by retrying: they stop the run for an operator. */
function nonRetryableArm(port: ProtectorSwitchPort): ProtectorSwitchPort {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof ArmSqlError && !err.retryable) throw new NonRetryableStepError(`arm_${err.status ?? 'error'}_${err.code ?? 'unknown'}`, err.message);
        throw err;
      }
    };
  return { getProtector: wrap(port.getProtector.bind(port)), addServerKey: wrap(port.addServerKey.bind(port)), setProtector: wrap(port.setProtector.bind(port)) };
}

export interface RotationServices {
  /** The in-process BullMQ rotation worker (null when this process runs none), as built from the settings. */
  readonly worker: Worker | null;
  /** Disables an old key version behind the retirement gate; refuses with the blockers while anything needs it. */
  retire(protectorId: string, vault: string, version: string): Promise<DisableResult | null>;
  start(protectorId: string, options: StartOptions): Promise<StartResult>;
  /** Re-queues running runs and open rewrap campaigns whose jobs Redis lost; returns their ids. */
  reconcileQueue(): Promise<string[]>;
  get(id: string): Promise<RotationRun | null>;
  /** Queues a DEK rewrap campaign onto `toVersion` (the same campaign, when already queued or running). */
  startRewrap(protectorId: string, args: RewrapArgs): Promise<StartRewrapResult>;
  getRewrap(id: string): Promise<RewrapStatus | null>;
  /** Runs still marked running, and every run of one protector (the operator console). */
  listRunning(): Promise<RotationRun[]>;
  listByProtector(protectorId: string): Promise<RotationRun[]>;
  /** Rewrap campaigns not yet ended, with what Redis knows of their progress. */
  openRewraps(): Promise<RewrapStatus[]>;
  close(): Promise<void>;
}

/**
 * Key creations (import, rotate) per vault: limits.md K6 allows 20 software creations per 10-s window (an HSM one
 * weighs 2). Paced with a burst of one and 200 ms of jitter allowance, so that no window of the vault ever sees more
 * than 20 from keysteward: 19 / 10.2 s ≈ 1.86 per second.
 */
const CREATE_CEILING: VaultCeiling = { units: 20, windowMs: 10_000 };
const CREATE_BURST = 1;
const CREATE_RATE_PER_SEC = sustainableRatePerSec(CREATE_CEILING, { burst: CREATE_BURST, guardMs: 200 });

export function createRotationServices(input: {
  config: Config;
  access: AzureAccess;
  tables: TableConnection;
  /** The estate in use, read by every use case at the time of use. */
  estates: EstateSource;
  state: StateStore;
  redis: Redis;
  clock: Clock;
  log: Logger;
  worker: boolean;
  /** Reads an app setting named by the estate (the Cosmos account key of alwaysEncrypted.keySetting). */
  settings?: (name: string) => string | undefined;
  /** Steps the in-process worker runs at once, overriding ROTATION_CONCURRENCY (the bench). */
  workerConcurrency?: number;
}): RotationServices {
  const { config, access } = input;
  const vaultUrl = vaultUrlResolver(config, () => input.estates.current().estate);
  const ledger = new TableRotationLedger(input.tables);
  const catalogs = cosmosCekCatalogs({ credential: access.credential, setting: input.settings ?? ((name) => process.env[name]) });
  const wrapper = createKeyWrapper({ credential: access.credential, additionalPolicies: access.additionalPolicies });
  // One budget per vault for every campaign of every instance: N workers must not spend N× the vault's share.
  const rewrapRate = config.REWRAP_VAULT_UNITS_PER_SEC;
  const budget = new RedisVaultBudget(input.redis, { ratePerSec: rewrapRate, burst: Math.max(1, Math.round(rewrapRate / 50)), keyPrefix: config.REDIS_KEY_PREFIX, log: input.log });
  // Key creations have a ceiling of their own per vault (K6), booked in Redis by every instance like the one above.
  const creates = new RedisVaultBudget(input.redis, { ratePerSec: CREATE_RATE_PER_SEC, burst: CREATE_BURST, keyPrefix: `${config.REDIS_KEY_PREFIX}creates:`, log: input.log });
  const deps: RotationDeps = {
    estates: input.estates,
    ledger,
    keys: createRotationKeys({ credential: access.credential, vaultUrl, additionalPolicies: access.additionalPolicies }),
    protectors: nonRetryableArm(createProtectorSwitch({ credential: access.credential, endpoint: config.ARM_ENDPOINT, additionalPolicies: access.additionalPolicies })),
    clock: input.clock,
    // Every worker judges step claims at Redis's time, never its own (a clock running ahead would take live claims).
    claimClock: new RedisClaimClock(input.redis),
    log: input.log,
    vaultUrl,
    creates,
    claimMs: config.ROTATION_LOCK_MS,
    alwaysEncrypted: {
      catalogs,
      wrapper,
      budget,
      vaultBudgetPerSec: config.REWRAP_VAULT_UNITS_PER_SEC,
      concurrency: config.REWRAP_CONCURRENCY,
    },
  };
  const prefix = `${config.REDIS_KEY_PREFIX}bull`;
  const queue = createRotationQueue({ connection: input.redis, prefix });
  const startDeps: StartDeps = { ...deps, state: input.state, queue };
  const worker: Worker | null = input.worker
    ? startRotationWorker(deps, {
        connection: input.redis,
        prefix,
        lockDurationMs: config.ROTATION_LOCK_MS,
        stalledIntervalMs: config.ROTATION_LOCK_MS,
        concurrency: input.workerConcurrency ?? config.ROTATION_CONCURRENCY,
      })
    : null;
  const usage = createProtectorUsage({ keys: deps.keys, protectors: deps.protectors, runs: ledger });
  const keyAdmin = createKeyAdmin({ credential: access.credential, vaultUrl, additionalPolicies: access.additionalPolicies });
  const deks = new TableDekStore(input.tables);
  const rewraps = createRewrapQueue({ connection: input.redis, prefix });
  // The depth gauge reads both queues at each metric collection (a no-op until telemetry is started).
  const depthGauge = observeQueueDepth(async () => [...(await queue.depth()), ...(await rewraps.depth())]);
  // Rewrap campaigns are recorded in Table Storage before they are acknowledged: Redis may lose the job (I6).
  const campaigns = new TableCampaignLedger(input.tables);
  const rewrapWorker = input.worker
    ? startRewrapWorker(
        { estates: input.estates, catalogs, deks, wrapper, budget, clock: input.clock, logger: input.log, vaultBudgetPerSec: config.REWRAP_VAULT_UNITS_PER_SEC, concurrency: config.REWRAP_CONCURRENCY, ledger: campaigns },
        { connection: input.redis, prefix },
      )
    : null;
  return {
    worker,
    startRewrap: (protectorId, args) => startRewrap({ estates: input.estates, queue: rewraps, ledger: campaigns, clock: input.clock, vaultUrl }, protectorId, args),
    getRewrap: (id) => campaignStatus({ queue: rewraps, ledger: campaigns }, id),
    retire: async (protectorId, vault, version) => {
      const protector = input.estates.current().estate.protectors.find((p) => p.id === protectorId);
      if (!protector) return null;
      return disableOldVersion({ usage, deks, keyAdmin, logger: input.log, ceks: catalogs }, { protector, version: { vault, key: protector.keyName, version }, now: input.clock.now() });
    },
    start: (protectorId, options) => startRotation(startDeps, protectorId, options),
    reconcileQueue: async () => {
      const running = await ledger.listRunning();
      const requeued = await queue.reconcile(running);
      if (requeued.length > 0) input.log.warn({ runs: requeued }, 'rotation runs re-queued: their jobs were missing from Redis');
      // Runs the queue gave up on but that were not failed then (a worker still held the step, the claim clock was
      // unreachable, the worker died first): failed for an operator now, unless a worker still holds the step.
      for (const g of await queue.givenUp(running)) {
        await abandonStep(deps, g.runId, g.n, g.reason).catch((err: unknown) => input.log.error({ rotation: g.runId, step: g.n, error: err instanceof Error ? err.message : String(err) }, 'could not mark the rotation failed'));
      }
      const campaignsRequeued = await reconcileCampaigns({ queue: rewraps, ledger: campaigns, clock: input.clock });
      if (campaignsRequeued.length > 0) input.log.warn({ campaigns: campaignsRequeued }, 'rewrap campaigns re-queued: their jobs were missing from Redis');
      return [...requeued, ...campaignsRequeued];
    },
    get: async (id) => (await ledger.get(id))?.run ?? null,
    listRunning: () => ledger.listRunning(),
    listByProtector: (id) => ledger.listByProtector(id),
    openRewraps: async () => {
      const open = await campaigns.listOpen();
      const statuses = await Promise.all(open.map((c) => campaignStatus({ queue: rewraps, ledger: campaigns }, c.request.id)));
      return statuses.filter((s): s is RewrapStatus => s !== null);
    },
    close: async () => {
      depthGauge.stop();
      await worker?.close();
      await rewrapWorker?.close();
      await queue.close();
      await rewraps.close();
      catalogs.close();
    },
  };
}
