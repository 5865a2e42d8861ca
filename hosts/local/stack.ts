// The whole local deployment in one call — Redis, Azurite, the Key Vault / ACS Email / Log Analytics emulators,
// seeded vaults, simulated member traffic and the standalone host — with the emulators' audit records fed into
// ingestion as Event Hubs batches would be. Used by `npm start`, the end-to-end tests and the bench.
// startLocalParts is the same deployment without the host, for callers that run `keysteward serve` and
// `keysteward worker` as processes of their own (npm run chaos).
import { randomUUID } from 'node:crypto';
import { auditRecordToAzkvRow, startLogAnalyticsEmulator, type LogAnalyticsEmulator } from '../../emulators/loganalytics/index.js';
import { startEmailCapture, type EmailCapture } from '../../emulators/email/index.js';
import { startKeyVaultEmulator, type AuditRecord, type KeyVaultEmulator } from '../../emulators/keyvault/index.js';
import { ensureDevCertificate } from '../../emulators/certs.js';
import { loadEstateFile } from '../../adapters/files/estateFile.js';
import type { Logger } from '../../app/ports.js';
import type { Estate } from '../../domain/estate/model.js';
import { loadConfig, type Config } from '../config.js';
import { serve, type RunningHost } from '../standalone/serve.js';
import { startAzurite, type Azurite } from './azurite.js';
import { connectRedisForLocal, type LocalRedis } from './redis.js';
import { seedVaults } from './seed.js';
import { startLocalArmSql } from './armSql.js';
import { startLocalCosmos } from './cosmos.js';
import { discoverLocalEstate, type LocalDiscovery } from './discoverEstate.js';
import type { CosmosEmulator } from '../../emulators/cosmos/index.js';
import type { ActivityRecord, ArmEmulator } from '../../emulators/arm/index.js';
import type { DiscoveryPort } from '../../app/drift/ports.js';
import { simulateMemberTraffic, type Traffic } from './traffic.js';
import { startLocalItsm, type LocalItsm } from './itsm.js';

export interface LocalStackOptions {
  /** The demo's Azure: what the emulators are seeded with (and, without `overridesPath`, the host's estate file as it is). */
  readonly estatePath: string;
  /** Build the host's estate by discovery from the ARM emulator, merged with this hand-edits file (`npm start`). */
  readonly overridesPath?: string;
  /** Host HTTP port; 0 picks a free one. */
  readonly port?: number;
  readonly log?: Logger;
  /** How often emulator audit records are handed to ingestion (a stand-in for Event Hubs delivery). */
  readonly feedIntervalMs?: number;
  /** Member key reads every N ms; 0 turns the simulated traffic off (tests tick it by hand). */
  readonly trafficEveryMs?: number;
  /** Run the timers (sweep, reconcile). */
  readonly timers?: boolean;
  /** Extra environment for the host's configuration (e.g. EMAIL_RATE_PER_MINUTE). */
  readonly env?: Readonly<Record<string, string>>;
  /** A Redis of the caller's (e.g. a private redis-server a test stops and restarts); default the machine's, or one started. */
  readonly redisUrl?: string;
  /** How the host reads Azure for discovery (tests); default the host's own (the ARM emulator). */
  readonly discovery?: DiscoveryPort | null;
}

/** The local deployment with its host: the parts (LocalParts, below) and what runs on them. */
export interface LocalStack extends Omit<LocalParts, 'env' | 'settings' | 'close'> {
  readonly host: RunningHost;
  readonly config: Config;
  readonly traffic: Traffic;
  /** Hands every audit record not yet delivered to ingestion now; resolves when it is applied. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export const LOCAL_WORKSPACE = 'local-workspace';

export interface LocalPartsOptions {
  /** The demo's Azure: what the emulators are seeded with (and, without `overridesPath`, the host's estate file as it is). */
  readonly estatePath: string;
  /**
   * Build the host's estate by discovery instead: `keysteward discover --merge <overridesPath>` against the ARM
   * emulator, in process (the same configuration, adapters and merge). `discovery` then says what it found.
   */
  readonly overridesPath?: string;
  /** A Redis of the caller's; default the machine's, or one started. */
  readonly redisUrl?: string;
  /** An Azurite of the caller's (it stays the caller's: close() leaves it running); default one started here. */
  readonly azurite?: Azurite;
  /** Each Key Vault audit record as the emulator writes it (what Event Hubs would carry). Must not throw. */
  readonly onAudit?: (record: AuditRecord) => void;
  /** ARM's activity-log records of each write, failover and admin change (what Event Hubs would carry). Must not throw. */
  readonly onActivity?: (records: readonly ActivityRecord[]) => void;
}

/** Everything a keysteward host talks to locally — Redis, Azurite, the emulators, seeded — without the host itself. */
export interface LocalParts {
  /** The estate as the host must read it (its Cosmos endpoints pointing at the emulator). */
  readonly estate: Estate;
  readonly kv: KeyVaultEmulator;
  readonly email: EmailCapture;
  readonly logAnalytics: LogAnalyticsEmulator;
  /** The ARM emulator (SQL servers, failover groups, server keys, protectors): its activity log feeds ingestion too. */
  readonly armSql: ArmEmulator;
  readonly cosmos: CosmosEmulator;
  readonly azurite: Azurite;
  readonly redis: LocalRedis;
  /** The ServiceNow and Jira emulators, with seeded changes. */
  readonly itsm: LocalItsm;
  /** A host's settings for these parts (loadConfig's input, without PORT): what `keysteward serve` needs in its environment. */
  readonly env: Readonly<Record<string, string>>;
  /** App settings the estate names (the Cosmos account key): a host reads them through `settings`, a process from its environment. */
  readonly settings: ReadonlyMap<string, string>;
  /** How the estate was discovered, when `overridesPath` asked for it; null when the estate file was used as it is. */
  readonly discovery: LocalDiscovery | null;
  close(): Promise<void>;
}

export async function startLocalParts(options: LocalPartsOptions): Promise<LocalParts> {
  const cert = await ensureDevCertificate();
  if (process.env['NODE_EXTRA_CA_CERTS'] !== cert.caPath) {
    throw new Error(`the local stack needs NODE_EXTRA_CA_CERTS=${cert.caPath} set before Node starts (npm start and npm test do it)`);
  }
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const given = await loadEstateFile(options.estatePath);
    const redisUrl = options.redisUrl ?? process.env['REDIS_URL'];
    const redis = await connectRedisForLocal(redisUrl ? { url: redisUrl } : {});
    closers.push(() => redis.close());
    const azurite = options.azurite ?? (await startAzurite());
    if (!options.azurite) closers.push(() => azurite.close());

    const kv = await startKeyVaultEmulator({
      tls: { cert: cert.certPem, key: cert.keyPem },
      vaults: [...given.vaults.values()].map((v) => ({ name: v.name, ...(v.region ? { region: v.region } : {}), ...(v.resourceId ? { resourceId: v.resourceId } : {}) })),
      ...(options.onAudit ? { onAudit: options.onAudit } : {}),
    });
    closers.push(() => kv.close());
    const email = await startEmailCapture({ tls: { certPem: cert.certPem, keyPem: cert.keyPem } });
    closers.push(() => email.close());
    const logAnalytics = await startLogAnalyticsEmulator({
      tls: { certPem: cert.certPem, keyPem: cert.keyPem },
      workspaceId: LOCAL_WORKSPACE,
      tables: { AZKVAuditLogs: () => kv.auditLog().map(auditRecordToAzkvRow), AzureActivity: () => [] },
    });
    closers.push(() => logAnalytics.close());

    const seeded = await seedVaults(kv, given);
    const cosmos = await startLocalCosmos(kv, given, seeded, cert, options.estatePath);
    closers.push(() => cosmos.close());
    const armSql = await startLocalArmSql(kv, given, seeded, cert, cosmos, (records) => options.onActivity?.(records));
    closers.push(() => armSql.close());
    // The host's estate: discovered and merged with the hand edits, or the given file with its Cosmos endpoints
    // pointing at the emulator.
    let discovery: LocalDiscovery | null = null;
    if (options.overridesPath !== undefined) {
      discovery = await discoverLocalEstate({ armEndpoint: armSql.endpoint, overridesPath: options.overridesPath });
      closers.push(discovery.close);
    }
    const estatePath = discovery?.estatePath ?? cosmos.estatePath;
    const estate = await loadEstateFile(estatePath);
    // The Cosmos account key, under the name the estate in use gives it.
    const settings = new Map(cosmos.settings);
    for (const p of estate.protectors) if (p.alwaysEncrypted?.keySetting) settings.set(p.alwaysEncrypted.keySetting, cosmos.emulator.masterKey);
    const itsm = await startLocalItsm(cert, estate.protectors.find((p) => p.kind === 'sql-tde')?.id ?? estate.protectors[0]?.id ?? 'orders-sql');
    closers.push(() => itsm.close());

    const env: Record<string, string> = {
      KEYSTEWARD_MODE: 'local',
      KEYSTEWARD_ESTATE: estatePath,
      STORAGE_CONNECTION_STRING: azurite.connectionString,
      REDIS_URL: redis.url,
      ACS_CONNECTION_STRING: email.connectionString,
      ALERT_SENDER: 'DoNotReply@keysteward.local',
      LOG_ANALYTICS_WORKSPACE_ID: LOCAL_WORKSPACE,
      LOG_ANALYTICS_ENDPOINT: logAnalytics.endpoint,
      KEYVAULT_URL_TEMPLATE: `https://{vault}.vault.localhost:${kv.port}/`,
      ARM_ENDPOINT: armSql.endpoint,
      ROTATION_LOCK_MS: '5000',
      SWEEP_SCHEDULE: '*/15 * * * * *',
      // Each local stack gets its own Redis namespace: budgets and leases of one run never leak into another.
      REDIS_KEY_PREFIX: `keysteward-local-${randomUUID().slice(0, 8)}:`,
      ...itsm.env,
    };
    return { estate, kv, email, logAnalytics, armSql, cosmos: cosmos.emulator, azurite, redis, itsm, env, settings, discovery, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  // What the Event Hubs stand-in delivers: Key Vault audit records and ARM's activity-log records.
  const pending: Array<AuditRecord | ActivityRecord> = [];
  const parts = await startLocalParts({
    estatePath: options.estatePath,
    ...(options.overridesPath !== undefined ? { overridesPath: options.overridesPath } : {}),
    ...(options.redisUrl !== undefined ? { redisUrl: options.redisUrl } : {}),
    onAudit: (record) => {
      pending.push(record);
    },
    onActivity: (records) => {
      pending.push(...records);
    },
  });
  const closers: Array<() => Promise<void>> = [() => parts.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const config = loadConfig({ ...process.env, ...parts.env, PORT: String(options.port ?? 7071), ...(options.env ?? {}) });
    const host = await serve(config, {
      ...(options.log ? { log: options.log } : {}),
      ...(options.discovery !== undefined ? { discovery: options.discovery } : {}),
      timers: options.timers ?? true,
      settings: (name) => parts.settings.get(name) ?? process.env[name],
    });
    closers.push(() => host.close());

    // The Event Hubs stand-in: one partition, batches of whatever accumulated, delivered in order.
    let sequence = 0;
    let delivering: Promise<void> = Promise.resolve();
    const deliver = (): Promise<void> => {
      delivering = delivering.then(async () => {
        if (pending.length === 0) return;
        const records = pending.splice(0, pending.length);
        sequence++;
        await host.services.ingest([{ body: { records }, partitionId: 'local-0', offset: String(sequence), sequenceNumber: sequence }]).catch((err: unknown) => {
          pending.unshift(...records); // keep them for the next delivery, as an unacknowledged batch would be
          host.services.log.error({ error: err instanceof Error ? err.message : String(err) }, 'local feed delivery failed');
        });
      });
      return delivering;
    };
    const feed = setInterval(() => void deliver(), options.feedIntervalMs ?? 500);
    closers.push(async () => {
      clearInterval(feed);
      await delivering;
    });
    const traffic = simulateMemberTraffic(parts.kv, parts.estate, options.trafficEveryMs ?? 15_000);
    closers.push(async () => traffic.stop());

    const { env: _env, settings: _settings, close: _close, ...rest } = parts;
    return { ...rest, host, config, traffic, flush: deliver, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
