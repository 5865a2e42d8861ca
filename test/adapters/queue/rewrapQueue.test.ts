// Rewrap campaigns through real BullMQ on real Redis, with the memory CEK catalog / DEK store and a local-RSA
// wrapper behind them: a queued campaign completes with its summary; asking again while it runs returns it; asking
// after it ended runs it again (finding the work done); a stopped campaign fails without retries; the job holds ids
// and kids only.
import { fixedEstate } from '../../../app/estateSource.js';
import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRewrapQueue, startRewrapWorker } from '../../../adapters/queue/rewrapQueue.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { MemoryCekCatalog } from '../../../app/rewrap/memoryCekCatalog.js';
import { MemoryDekStore } from '../../../app/rewrap/memoryDekStore.js';
import { KeyOperationError } from '../../../app/rewrap/ports.js';
import { campaignStatus, reconcileCampaigns, type RewrapJobDeps, type RewrapStatus } from '../../../app/rewrap/rewrapJobs.js';
import { MemoryCampaignLedger } from '../../../app/rewrap/memoryCampaignLedger.js';
import { startRewrap } from '../../../app/rewrap/startRewrap.js';
import { buildRewrapRequest, type RewrapRequest } from '../../../domain/rewrap/request.js';
import { FakeKeyWrapper } from '../../app/rewrap/support.js';
import { estateFrom } from '../../support/estates.js';
import { useRedis } from '../../support/redis.js';

const redis = useRedis();
const V1 = '0123456789abcdef0123456789abcdef';
const V2 = 'fedcba9876543210fedcba9876543210';
const kid = (v: string): string => `https://kv-ae.vault.azure.net/keys/cards-cmk/${v}`;
const estate = estateFrom({
  vaults: [{ name: 'kv-ae' }],
  protectors: [
    {
      id: 'cards-ae',
      kind: 'cosmos-always-encrypted',
      keyName: 'cards-cmk',
      members: [{ role: 'primary', resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/a', vault: 'kv-ae' }],
      alwaysEncrypted: { endpoint: 'https://a.documents.azure.com:443/', databases: ['cards'] },
    },
  ],
});

let wrapper: FakeKeyWrapper;
const secrets: Buffer[] = [];
beforeAll(() => {
  wrapper = new FakeKeyWrapper();
  wrapper.addVersion(kid(V1));
  wrapper.addVersion(kid(V2));
});

const workers: Worker[] = [];
const queues: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.close();
  for (const q of queues.splice(0)) await q.close();
  wrapper.fault = () => null;
});

function rig(catalog: MemoryCekCatalog) {
  const r = redis();
  const prefix = `${r.prefix()}bull`;
  const ledger = new MemoryCampaignLedger();
  const deps: RewrapJobDeps = { estates: fixedEstate(estate), catalogs: { open: () => catalog, close: () => undefined }, deks: new MemoryDekStore(), wrapper, clock: { now: () => Date.now() }, logger: silentLogger, vaultBudgetPerSec: 100_000, concurrency: 4, ledger };
  const queue = createRewrapQueue({ connection: r.redis, prefix });
  queues.push(queue);
  const start = () => {
    const w = startRewrapWorker(deps, { connection: r.client(), prefix });
    workers.push(w);
    return w;
  };
  return { queue, start, r, prefix, ledger, deps };
}

function request(): RewrapRequest {
  const built = buildRewrapRequest(estate, 'cards-ae', { toVersion: V2 }, () => 'https://kv-ae.vault.azure.net/');
  if (!built.ok) throw new Error(built.error);
  return built.request;
}

function seeded(n: number): MemoryCekCatalog {
  const catalog = new MemoryCekCatalog();
  for (let i = 0; i < n; i++) {
    const plaintext = randomBytes(32);
    secrets.push(plaintext);
    catalog.seed('cards', `cek-${i}`, kid(V1), Buffer.from(wrapper.wrapFor(kid(V1), 'RSA-OAEP', plaintext), 'base64url'));
  }
  return catalog;
}

async function until(get: () => Promise<RewrapStatus | null>, done: (s: RewrapStatus) => boolean): Promise<RewrapStatus> {
  for (let i = 0; i < 200; i++) {
    const s = await get();
    if (s && done(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('campaign did not reach the expected state');
}

describe('rewrap queue', () => {
  it('runs a queued campaign to completion, with its counters and summary; the job holds ids and kids only', async () => {
    const { queue, start, r, prefix } = rig(seeded(12));
    const req = request();
    const queued = await queue.enqueue(req);
    expect(queued).toMatchObject({ request: req, state: 'queued', progress: null, summary: null });
    start();
    const done = await until(() => queue.get(req.id), (s) => s.state === 'completed');
    expect(done.summary).toMatchObject({ rewrapped: 12, remaining: 0, complete: true });
    expect(done.progress).toMatchObject({ rewrapped: 12, scanned: 12 });
    // What Redis holds for the job: the request, counters and summary — no DEK in any spelling.
    const raw = JSON.stringify(await r.redis.hgetall(`${prefix}:keysteward-rewrap:${req.id}`));
    expect(raw).toContain(req.toKid);
    for (const s of secrets) for (const spelled of [s.toString('base64'), s.toString('hex'), s.toString('base64url')]) expect(raw).not.toContain(spelled);
  });

  it('asking while it is queued returns the same campaign; asking after it ended runs it again and finds the work done', async () => {
    const { queue, start } = rig(seeded(5));
    const req = request();
    await queue.enqueue(req);
    expect((await queue.enqueue(req)).state).toBe('queued');
    start();
    await until(() => queue.get(req.id), (s) => s.state === 'completed');
    const again = await queue.enqueue(req);
    expect(['queued', 'running']).toContain(again.state);
    const second = await until(() => queue.get(req.id), (s) => s.state === 'completed');
    expect(second.summary).toMatchObject({ rewrapped: 0, alreadyDone: 5, complete: true });
  });

  it('a campaign stopped by a denied key fails at once, without retries, and says why', async () => {
    const { queue, start } = rig(seeded(3));
    wrapper.fault = ({ op, kid: k }) => (op === 'unwrap' && k === kid(V1) ? new KeyOperationError('denied', 'Key Vault unwrapKey failed: 403 Forbidden', 403) : null);
    const req = request();
    await queue.enqueue(req);
    start();
    const failed = await until(() => queue.get(req.id), (s) => s.state === 'failed');
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatch(/access_denied/);
  });

  it('an unknown campaign id is null', async () => {
    const { queue } = rig(new MemoryCekCatalog());
    expect(await queue.get('rewrap-none')).toBeNull();
  });

  it('I6: a campaign acknowledged before Redis lost its job is still known, is queued again by the reconciler, and completes', async () => {
    const catalog = seeded(6);
    const { queue, start, r, prefix, ledger, deps } = rig(catalog);
    const clock = { now: () => Date.now() };
    const started = await startRewrap({ estates: fixedEstate(estate), queue, ledger, clock, vaultUrl: () => 'https://kv-ae.vault.azure.net/' }, 'cards-ae', { toVersion: V2 });
    if (started.kind !== 'queued') throw new Error(started.kind);
    const id = started.status.request.id;
    // What a FLUSHALL (or a failover that lost writes) leaves: no job at all.
    const keys = await r.redis.keys(`${prefix}:*`);
    if (keys.length > 0) await r.redis.del(...keys);
    expect(await queue.get(id)).toBeNull();
    expect(await campaignStatus({ queue, ledger }, id)).toMatchObject({ state: 'queued', request: { id } });
    expect(await reconcileCampaigns({ queue, ledger, clock })).toEqual([id]);
    start();
    await until(() => campaignStatus({ queue, ledger }, id), (s) => s.state === 'completed');
    expect((await catalog.list('cards')).items.every((c) => c.kekKid === kid(V2))).toBe(true);
    expect(await ledger.get(id)).toMatchObject({ state: 'completed', summary: { rewrapped: 6, complete: true } });
    // Once it ended and Redis forgot it again, the ledger still answers, and the reconciler leaves it alone.
    await r.redis.del(...(await r.redis.keys(`${prefix}:*`)));
    expect(await campaignStatus({ queue, ledger }, id)).toMatchObject({ state: 'completed', summary: { rewrapped: 6 } });
    expect(await reconcileCampaigns({ queue, ledger, clock })).toEqual([]);
    expect(deps.ledger).toBe(ledger);
  });

  it('a stopped campaign is recorded failed in the ledger, so the reconciler does not queue it again', async () => {
    const { queue, start, ledger } = rig(seeded(2));
    wrapper.fault = ({ op, kid: k }) => (op === 'unwrap' && k === kid(V1) ? new KeyOperationError('denied', 'Key Vault unwrapKey failed: 403 Forbidden', 403) : null);
    const req = request();
    await ledger.open(req, new Date().toISOString());
    await queue.enqueue(req);
    start();
    await until(() => queue.get(req.id), (s) => s.state === 'failed');
    expect(await ledger.get(req.id)).toMatchObject({ state: 'failed', error: 'campaign stopped: access_denied' });
    expect(await ledger.listOpen()).toEqual([]);
  });
});
