// The 10,000-protector estate the scale and dashboard benches share: the estate file written, every protector's state
// folded from generated records (one in `count / incidents` with an open incident), a private key prefix on the local
// Redis, and Azurite — seeded into Table Storage on demand, and torn down (keys, Azurite, files) by close().
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { mapLimit } from '../app/concurrency.js';
import { createRedis } from '../adapters/redis/client.js';
import { TableStateStore } from '../adapters/tables/stateStore.js';
import { indexEstate } from '../domain/estate/index.js';
import type { Estate } from '../domain/estate/model.js';
import type { FoldState } from '../domain/health/fold.js';
import { loadConfig, type Config } from '../hosts/config.js';
import { startAzurite, type Azurite } from '../hosts/local/azurite.js';
import { connectRedisForLocal } from '../hosts/local/redis.js';
import { scaleEstate, scaleEstateDoc, scaleFold, scaleSnapshot } from './scaleEstate.js';

export interface ScaleRig {
  readonly count: number;
  readonly incidents: number;
  readonly now: number;
  readonly prefix: string;
  readonly estate: Estate;
  readonly fold: FoldState;
  readonly estatePath: string;
  readonly redisUrl: string;
  readonly azurite: Azurite;
  /** Writes every protector's state as ingestion would (one entity each, 32 in flight); returns the time taken, ms. */
  seedStates(): Promise<number>;
  /** A local-mode service configuration over this rig's estate, Azurite and Redis prefix (no rotation worker), plus `extra`. */
  config(extra: Readonly<Record<string, string>>): Config;
  close(): Promise<void>;
}

export async function startScaleRig(o: { protectors?: number; incidents?: number; lostMinutesAgo: number; tag: string }): Promise<ScaleRig> {
  const count = o.protectors ?? 10_000;
  const incidents = Math.min(count, o.incidents ?? 500);
  const every = Math.max(1, Math.floor(count / Math.max(1, incidents)));
  const incidentOf = (i: number): { lostMinutesAgo: number } | undefined => (i % every === 0 && i / every < incidents ? { lostMinutesAgo: o.lostMinutesAgo } : undefined);
  const now = Date.now();
  const prefix = `keysteward-bench-${o.tag}-${randomUUID().slice(0, 8)}:`;
  const estate = scaleEstate(count);
  const fold = scaleFold(indexEstate(estate), now, incidentOf);
  const dir = await mkdtemp(join(tmpdir(), `keysteward-bench-${o.tag}-`));
  const estatePath = join(dir, 'estate.json');
  await writeFile(estatePath, JSON.stringify(scaleEstateDoc(count)));
  const localRedis = await connectRedisForLocal();
  const azurite = await startAzurite();
  return {
    count,
    incidents,
    now,
    prefix,
    estate,
    fold,
    estatePath,
    redisUrl: localRedis.url,
    azurite,
    config: (extra) =>
      loadConfig({
        ...process.env,
        KEYSTEWARD_MODE: 'local',
        KEYSTEWARD_ESTATE: estatePath,
        STORAGE_CONNECTION_STRING: azurite.connectionString,
        REDIS_URL: localRedis.url,
        REDIS_KEY_PREFIX: prefix,
        ROTATION_WORKER: 'false',
        ...extra,
      }),
    async seedStates() {
      const state = new TableStateStore({ connectionString: azurite.connectionString });
      const t0 = performance.now();
      await mapLimit(estate.protectors, 32, async (p) => {
        const saved = await state.save(p.id, scaleSnapshot(fold, p, now), null);
        if (!saved.ok) throw new Error(`seed conflict on ${p.id}`);
      });
      return performance.now() - t0;
    },
    async close() {
      const redis = createRedis(localRedis.url, { name: 'keysteward-bench' });
      await deletePrefix(redis, prefix).catch(() => undefined);
      redis.disconnect();
      await azurite.close();
      await localRedis.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) await redis.unlink(...batch);
  } while (cursor !== '0');
}
