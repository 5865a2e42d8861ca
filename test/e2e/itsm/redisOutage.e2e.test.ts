// I6 with Redis down: a signed request that arrives while Redis is dead is still acknowledged (202), recorded in Table
// Storage, and — once Redis is back, empty — queued by the reconciler and rotated exactly once (one new version per
// vault, I1). Runs on a private redis-server this test kills with SIGKILL and restarts on the same port.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { LOCAL_ITSM } from '../../../hosts/local/itsmSecrets.js';
import { waitForPort } from '../../../hosts/local/ports.js';
import { startPrivateRedis, type PrivateRedis } from '../../../hosts/local/redis.js';
import { startLocalStack, type LocalStack } from '../../../hosts/local/stack.js';
import { ESTATE, getRequest, startWorker, versionCounts, waitForState } from './support.js';

let redis: PrivateRedis;
let stack: LocalStack;
let worker: ChildProcess;

beforeAll(async () => {
  redis = await startPrivateRedis();
  stack = await startLocalStack({ estatePath: ESTATE, port: 0, log: silentLogger, trafficEveryMs: 0, timers: false, feedIntervalMs: 60_000, redisUrl: redis.url, env: { ROTATION_WORKER: 'false' } });
  worker = startWorker(stack);
}, 60_000);

afterAll(async () => {
  worker?.kill('SIGTERM');
  await stack?.close();
  await redis?.close();
});

describe('a webhook while Redis is down', () => {
  it('is acknowledged, and rotates once Redis is back (one new version per vault)', async () => {
    const before = await versionCounts(stack);
    await redis.crash(); // kill -9: Redis gone, nothing saved
    expect(await waitForPort(redis.port, { timeoutMs: 300 })).toBe(false); // really down
    const sent = await stack.itsm.servicenow.sendRotationRequest({ url: `${stack.host.url}/api/itsm/standard`, secret: LOCAL_ITSM.standardSecret, change: 'CHG0030001', protector: 'orders-sql' });
    expect('status' in sent && sent.status).toBe(202);
    const id = (JSON.parse((sent as { body: string }).body) as { id: string }).id;
    expect((await getRequest(stack, id)).state).toBe('pending-approval'); // durable, from Table Storage, with Redis dead

    await redis.start(); // back, and empty
    const done = await waitForState(stack, id, 'completed', 120_000);
    expect(done.history.map((h) => h.state)).toEqual(['pending-approval', 'approved', 'running', 'completed']);
    const after = await versionCounts(stack);
    for (const v of Object.keys(before)) expect(after[v], v).toBe((before[v] ?? 0) + 1);
  }, 180_000);
});
