// Redis lost (reliability.md, B6; I6): on the suite's private redis-server (never the machine's), while a
// rotation, a rewrap campaign, a ServiceNow request and the alerts of a revoked geo-secondary are in flight, Redis is
// first killed with SIGKILL and started again from its AOF (everysec: up to a second of writes gone), and then emptied
// with FLUSHALL — every queue, job, lease and budget gone at once. Redis is not the system of record: whatever was
// acknowledged must still run to its end, from the durable ledgers.
import { createRedis } from '../../adapters/redis/client.js';
import { sleep } from '../api.js';
import { envelopes } from '../corpus.js';
import { hostOf, type Phase, type PhaseContext } from './phase.js';

/** Starts a rotation, a rewrap campaign and a ServiceNow request (and asks to retire what the campaign still needs), without waiting for them to end. */
async function startWork(ctx: PhaseContext, label: string): Promise<{ rotation: string | null; rewrap: string | null; itsm: string[]; retireWhileRewrapping: number }> {
  const a = hostOf(ctx, 'A');
  const b = ctx.rig.hosts.get('B') ?? a;
  const cards = ctx.rig.parts.estate.protectors.find((p) => p.id === 'cards-ae');
  const vault = cards?.members[0]?.vault ?? 'kv-demo-cosmos';
  const key = cards?.keyName ?? 'cards-cmk';
  const wrapping = ctx.rig.parts.kv.keyVersions(vault, key).filter((v) => v.enabled).at(-1)?.version ?? '';
  const toVersion = await ctx.actions.newVersion(vault, key);
  const [rotation, rewrap, itsm] = await Promise.all([
    ctx.actions.rotate(a, 'billing-sql', label),
    ctx.actions.rewrap(b, 'cards-ae', toVersion, label),
    ctx.actions.itsm([b], ctx.actions.change('billing-sql'), 'billing-sql', label),
  ]);
  // The version the campaign moves the client encryption keys away from, asked to be retired while it does (I3).
  const retire = await ctx.actions.retire(a, 'cards-ae', vault, wrapping, label);
  return { rotation, rewrap, itsm, retireWhileRewrapping: retire.status };
}

export const redisFaults: Phase = {
  name: 'redis',
  budgetMs: (short) => (short ? 90_000 : 180_000),
  async run(ctx) {
    const redis = ctx.rig.redis;
    const batches = envelopes(ctx.corpus.scenarios.revokeNeu, 2);
    const half = Math.ceil(batches.length / 2);

    // kill -9 while the work starts and the first alerts go out.
    await ctx.snapshotRedis('redis: before kill -9');
    const killed = startWork(ctx, 'redis-kill');
    const firstAlerts = ctx.actions.deliver('redis', () => ctx.rig.urls(), batches.slice(0, half), { parallel: 1 });
    await sleep(300);
    await redis.crash();
    ctx.log('redis: killed with SIGKILL');
    await sleep(2_000);
    await redis.start();
    ctx.log('redis: restarted from its AOF');
    const afterKill = await Promise.all([killed, firstAlerts]);

    // FLUSHALL the moment the second round of work is acknowledged (its jobs just queued), with alerts in flight.
    await sleep(1_000);
    await ctx.snapshotRedis('redis: before FLUSHALL');
    const flushedWork = await startWork(ctx, 'redis-flush');
    const moreAlerts = ctx.actions.deliver('redis', () => ctx.rig.urls(), batches.slice(half), { parallel: 1 });
    const client = createRedis(redis.url, { name: 'keysteward-chaos', onError: () => undefined });
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
    ctx.log('redis: FLUSHALL');
    const afterFlush = [flushedWork, await moreAlerts] as const;
    const waits = [afterKill[0].rotation, afterFlush[0].rotation].filter((id): id is string => id !== null).map((id) => ctx.actions.waitForRun(id, ctx.short ? 60_000 : 120_000));
    const runs = await Promise.all(waits);
    return {
      killed: { work: afterKill[0], alertDeliveries: afterKill[1] },
      flushed: { work: afterFlush[0], alertDeliveries: afterFlush[1] },
      rotations: runs.map((r) => r?.status),
    };
  },
};
