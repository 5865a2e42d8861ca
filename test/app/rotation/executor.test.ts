// Executing rotation steps against the memory ledger and in-memory Key Vault / ARM fakes, with a fixed clock that
// the tests move: the step claim keeps a worker that stalled past its claim from importing a second version
// after another worker took the step over; a second worker waits while a live claim is held; a failed attempt hands
// the step back at once.
import { fixedEstate } from '../../../app/estateSource.js';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { abandonStep, ClaimTimeUnknownError, executeStep, NonRetryableStepError, StepNotReadyError, type RotationDeps } from '../../../app/rotation/executor.js';
import { MemoryRotationLedger } from '../../../app/rotation/memoryLedger.js';
import type { ProtectorSwitchPort } from '../../../app/rotation/ports.js';
import type { VaultBudget } from '../../../app/rewrap/vaultBudget.js';
import type { Estate, InventoryVersion } from '../../../domain/estate/model.js';
import { buildRotationPlan } from '../../../domain/rotation/plan.js';
import { newRun, type RotationRun } from '../../../domain/rotation/run.js';
import { estateFrom } from '../../support/estates.js';
import { ORDERS_ESTATE, ORDERS_FAILED_OVER, SUB } from './estate.js';
import { randomBytes } from 'node:crypto';
import { MemoryCekCatalog } from '../../../app/rewrap/memoryCekCatalog.js';
import { FakeKeyWrapper } from '../rewrap/support.js';
import { FakeClaimClock } from '../../../app/fakes/fakeClaimClock.js';
import { FakeKeys, noArm } from '../../support/rotationFakes.js';

const estate = ORDERS_ESTATE;

/** A gate a fake call waits on until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** A hook whose first call stalls until `resume()`; `stalled` settles when it does (later calls pass straight through). */
function stallOnce(): { hook: () => Promise<void>; stalled: Promise<void>; resume: () => void } {
  const stall = gate();
  const stalled = gate();
  let first = true;
  const hook = async (): Promise<void> => {
    if (!first) return;
    first = false;
    stalled.open();
    await stall.wait;
  };
  return { hook, stalled: stalled.wait, resume: stall.open };
}


/**
 * A run of `protectorId` in a fresh memory ledger, with deps over `keys`, a clock the test moves and numbered claim
 * tokens (`worker-1`, `worker-2`, … one per executeStep call).
 */
async function runRig(e: Estate, protectorId: string, keys: FakeKeys, over: Partial<RotationDeps> = {}) {
  let now = Date.parse('2026-11-22T10:00:00Z');
  let tokens = 0;
  const ledger = new MemoryRotationLedger();
  // The shared claim time moves with this worker's clock here; the skew tests give workers clocks of their own.
  const shared = new FakeClaimClock(now);
  const deps: RotationDeps = {
    estates: fixedEstate(e),
    ledger,
    keys,
    protectors: noArm,
    clock: { now: () => now },
    claimClock: shared,
    log: silentLogger,
    vaultUrl: (v) => `https://${v}.vault.azure.net/`,
    claimMs: 30_000,
    newToken: () => `worker-${++tokens}`,
    ...over,
  };
  const planned = buildRotationPlan({ estate: e, protectorId, now });
  if (!planned.ok) throw new Error(planned.error);
  const run = newRun({ ...planned.plan, preflight: [] }, `rot-${protectorId}-test-1`, 'test', new Date(now).toISOString());
  await ledger.create(run);
  expect(await ledger.acquireLock(protectorId, run.id)).toBe(true);
  const advance = (ms: number): void => {
    now += ms;
    shared.advance(ms);
  };
  return { deps, ledger, run, shared, advance };
}

async function rig() {
  const keys = new FakeKeys(['kv-eus', 'kv-wus']);
  const { deps, ledger, run, shared, advance } = await runRig(estate, 'orders', keys);
  const stepOf = (kind: string, vault?: string) => run.steps.find((s) => s.kind === kind && (vault === undefined || s.vault === vault))?.n ?? -1;
  // Preflight and material first, so the tests start at the secondary's install.
  await executeStep(deps, run.id, stepOf('preflight'));
  await executeStep(deps, run.id, stepOf('create-material'));
  return { deps, keys, ledger, run, shared, stepOf, advance };
}

const stored = async (ledger: MemoryRotationLedger, id: string): Promise<RotationRun> => (await ledger.get(id))?.run as RotationRun;

describe('executeStep: step claims (R-2)', () => {
  it('a worker stalled past its claim does not import after another worker took the step over: one new version', async () => {
    const { deps, keys, ledger, run, stepOf, advance } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    const stall = stallOnce();
    keys.beforeUnwrap = stall.hook;
    const a = executeStep(deps, run.id, n).then(() => 'done', (e: unknown) => e);
    await stall.stalled; // worker A holds the claim, unsealing the material... and stalls
    advance(31_000); // past A's claim, as when the queue hands the job to worker B
    expect(await executeStep(deps, run.id, n)).toBe('done');
    stall.resume();
    const outcome = await a;
    expect(outcome).toBeInstanceOf(StepNotReadyError);
    expect(keys.imports).toEqual([{ vault: 'kv-wus', tag: run.id }]);
    const step = (await stored(ledger, run.id)).steps.find((s) => s.n === n);
    expect(step).toMatchObject({ status: 'done', attempts: 2 });
    expect(step?.claim).toBeUndefined();
  });

  it('while a live claim is held, another worker waits (StepNotReady) and imports nothing', async () => {
    const { deps, keys, run, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    const importing = stallOnce();
    keys.beforeImport = importing.hook;
    const a = executeStep(deps, run.id, n);
    await importing.stalled;
    const waiting = await executeStep(deps, run.id, n).then(() => null, (e: unknown) => e);
    expect(waiting).toBeInstanceOf(StepNotReadyError);
    expect((waiting as StepNotReadyError).message).toMatch(/being run by another worker/);
    // The queue delays the job until the claim can lapse, instead of spending an attempt.
    expect((waiting as StepNotReadyError).retryAt).toBe(Date.parse('2026-11-22T10:00:30Z') + 1);
    importing.resume();
    expect(await a).toBe('done');
    expect(keys.imports).toHaveLength(1);
    // Once done, a late duplicate delivery is a no-op.
    expect(await executeStep(deps, run.id, n)).toBe('already-done');
  });

  it('a failed attempt gives its claim back: the retry runs at once, and the run stays consistent', async () => {
    const { deps, keys, ledger, run, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    let failures = 1;
    keys.beforeImport = async () => {
      if (failures-- > 0) throw new Error('503 from the vault');
    };
    await expect(executeStep(deps, run.id, n)).rejects.toThrow('503');
    expect((await stored(ledger, run.id)).steps.find((s) => s.n === n)?.claim).toBeUndefined();
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect(keys.imports).toHaveLength(1);
  });
});

describe('executeStep: the vault creation budget (K6)', () => {
  it('books the vault first and fences after: a worker that waited its turn past its claim does not import', async () => {
    const { deps, keys, run, stepOf, advance } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    const booked: Array<[string, number]> = [];
    const queued = gate();
    const turn = gate();
    let first = true;
    const creates: VaultBudget = {
      acquire: async (vault, weight) => {
        booked.push([vault, weight]);
        if (!first) return;
        first = false;
        queued.open();
        await turn.wait;
      },
      pause: () => undefined,
    };
    const a = executeStep({ ...deps, creates }, run.id, n).then(() => 'done', (e: unknown) => e);
    await queued.wait; // worker A waits for the vault's creation budget...
    advance(31_000); // ...past its claim, and worker B takes the step over
    expect(await executeStep({ ...deps, creates }, run.id, n)).toBe('done');
    turn.open();
    expect(await a).toBeInstanceOf(StepNotReadyError);
    expect(keys.imports).toEqual([{ vault: 'kv-wus', tag: run.id }]);
    expect(booked).toEqual([
      ['kv-wus', 1],
      ['kv-wus', 1],
    ]); // a software creation weighs 1
  });
});

describe('executeStep: Cosmos Always Encrypted (rewrap-deks)', () => {
  const AE_SUB = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts';
  const aeEstate = (keySetting: string | null) =>
    estateFrom({
      vaults: [{ name: 'kv-ae', properties: { enableSoftDelete: true, enablePurgeProtection: true } }],
      protectors: [
        {
          id: 'cards',
          kind: 'cosmos-always-encrypted',
          keyName: 'cards-cmk',
          members: [{ role: 'primary', resourceId: `${AE_SUB}/cards`, vault: 'kv-ae' }],
          rotation: { every: 'P365D', strategy: 'rotate' },
          alwaysEncrypted: { endpoint: 'https://cards.documents.azure.com:443/', databases: ['cards'], ...(keySetting ? { keySetting } : {}) },
        },
      ],
    });

  async function aeRig(keySetting: string | null) {
    const keys = new FakeKeys(['kv-ae']);
    const wrapper = new FakeKeyWrapper();
    const catalog = new MemoryCekCatalog();
    const { deps, ledger, run, advance } = await runRig(aeEstate(keySetting), 'cards', keys, {
      claimMs: 3000,
      alwaysEncrypted: { catalogs: { open: () => catalog, close: () => undefined }, wrapper, vaultBudgetPerSec: 100_000, concurrency: 1 },
    });
    // CEKs under the seeded version, wrapped with real RSA-OAEP by the fake vault.
    const seededVersion = (await keys.listVersions('kv-ae'))[0]?.version ?? '';
    const oldKid = `https://kv-ae.vault.azure.net/keys/cards-cmk/${seededVersion}`;
    wrapper.addVersion(oldKid);
    const plaintexts = new Map<string, Buffer>();
    for (let i = 0; i < 4; i++) {
      const pt = randomBytes(32);
      plaintexts.set(`cek-${i}`, pt);
      catalog.seed('cards', `cek-${i}`, oldKid, Buffer.from(wrapper.wrapFor(oldKid, 'RSA-OAEP', pt), 'base64url'), 'cards-cmk');
    }
    const stepOf = (kind: string) => run.steps.find((s) => s.kind === kind)?.n ?? -1;
    const upTo = async (kind: string) => {
      for (const s of run.steps) {
        if (s.kind === kind) return;
        await executeStep(deps, run.id, s.n);
        // The new version the rotate step made: give the fake vault its key pair.
        const made = (await stored(ledger, run.id)).steps.find((x) => x.kind === 'rotate-key')?.outcome?.version;
        if (made) wrapper.addVersion(`https://kv-ae.vault.azure.net/keys/cards-cmk/${made}`);
      }
    };
    return { deps, keys, ledger, run, catalog, wrapper, plaintexts, stepOf, upTo, advance };
  }

  it('preflight refuses, before any new version exists, when the estate names no account key setting', async () => {
    const { deps, keys, ledger, run, stepOf } = await aeRig(null);
    await expect(executeStep(deps, run.id, stepOf('preflight'))).rejects.toThrow(/Entra ID/);
    const ended = await stored(ledger, run.id);
    expect(ended.status).toBe('failed-needs-operator');
    expect(ended.steps.find((s) => s.status === 'failed')?.error?.code).toBe('always_encrypted_needs_account_key');
    expect(keys.imports).toEqual([]);
  });

  it('moves every CEK onto the version the run made, each to its own key', async () => {
    const { deps, ledger, run, catalog, wrapper, plaintexts, stepOf, upTo } = await aeRig('COSMOS_CARDS_KEY');
    await upTo('rewrap-deks');
    expect(await executeStep(deps, run.id, stepOf('rewrap-deks'))).toBe('done');
    const step = (await stored(ledger, run.id)).steps.find((s) => s.kind === 'rewrap-deks');
    expect(step?.outcome?.note).toMatch(/^4 client encryption key\(s\) rewrapped/);
    for (const [id, pt] of plaintexts) expect(wrapper.open(step?.outcome?.kid ?? '', 'RSA-OAEP', Buffer.from(catalog.wrappedOf('cards', id) ?? new Uint8Array()).toString('base64url')).equals(pt)).toBe(true);
  });

  it('a worker whose claim passes to another mid-campaign stops, leaves completion to the holder, and no CEK is written twice', async () => {
    const { deps, ledger, run, catalog, stepOf, upTo, advance } = await aeRig('COSMOS_CARDS_KEY');
    await upTo('rewrap-deks');
    const n = stepOf('rewrap-deks');
    const writes = new Map<string, number>();
    const rewrap = catalog.rewrap.bind(catalog);
    const stall = gate();
    const stalled = gate();
    let first = true;
    catalog.rewrap = async (db, id, expected, to, ops) => {
      if (first) {
        first = false;
        stalled.open();
        await stall.wait;
      }
      const r = await rewrap(db, id, expected, to, ops);
      if (r === 'ok') writes.set(id, (writes.get(id) ?? 0) + 1);
      return r;
    };
    const a = executeStep(deps, run.id, n).then(() => 'done', (e: unknown) => e);
    await stalled.wait;
    advance(5000); // A's claim (3 s) lapses while it is stalled
    expect(await executeStep(deps, run.id, n)).toBe('done'); // B takes over and finishes
    await new Promise((r) => setTimeout(r, 1200)); // A's heartbeat runs, finds the claim gone
    stall.open();
    expect(await a).toBeInstanceOf(StepNotReadyError);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    expect(writes.size).toBe(4);
    expect((await stored(ledger, run.id)).steps.find((s) => s.n === n)?.status).toBe('done');
  });
});

describe('executeStep: one claim time for workers whose clocks disagree', () => {
  /** Another worker: the same deps, its own clock reading `iso` (the shared claim clock stays the rig's). */
  const clockAt = (deps: RotationDeps, iso: string): RotationDeps => ({ ...deps, clock: { now: () => Date.parse(iso) } });
  const claimOf = async (ledger: MemoryRotationLedger, id: string, n: number) => (await stored(ledger, id)).steps.find((s) => s.n === n)?.claim;

  it('a worker whose clock runs 5 minutes ahead does not take a live claim, and comes back when it lapses, on its own clock', async () => {
    const { deps, keys, ledger, run, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    const importing = stallOnce();
    keys.beforeImport = importing.hook;
    const a = executeStep(deps, run.id, n); // worker A, its clock right
    await importing.stalled;
    const held = await claimOf(ledger, run.id, n);
    expect(held?.until).toBe('2026-11-22T10:00:30.000Z');
    const refused = await executeStep(clockAt(deps, '2026-11-22T10:05:00Z'), run.id, n).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(StepNotReadyError);
    expect((refused as StepNotReadyError).message).toMatch(/being run by another worker/);
    // The 30 s left on the shared clock, counted from B's own now.
    expect((refused as StepNotReadyError).retryAt).toBe(Date.parse('2026-11-22T10:05:30Z') + 1);
    expect(await claimOf(ledger, run.id, n)).toEqual(held);
    importing.resume();
    expect(await a).toBe('done');
    expect(keys.imports).toEqual([{ vault: 'kv-wus', tag: run.id }]);
  });

  it('a claim that really lapsed (on the shared clock) is taken over, even by a worker whose clock runs 5 minutes behind', async () => {
    const { deps, keys, ledger, run, shared, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    const stall = stallOnce();
    keys.beforeUnwrap = stall.hook;
    const a = executeStep(deps, run.id, n).then(() => 'done', (e: unknown) => e);
    await stall.stalled;
    shared.advance(31_000); // only the shared time moves: A's claim has lapsed, whatever any local clock says
    expect(await executeStep(clockAt(deps, '2026-11-22T09:55:00Z'), run.id, n)).toBe('done');
    stall.resume();
    expect(await a).toBeInstanceOf(StepNotReadyError); // A's fence finds the claim gone: no second import
    expect(keys.imports).toEqual([{ vault: 'kv-wus', tag: run.id }]);
    expect((await stored(ledger, run.id)).steps.find((s) => s.n === n)).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('a worker whose claim passed on does not fail the run under the new holder, even on a non-retryable error', async () => {
    const keys = new FakeKeys(['kv-eus', 'kv-wus']);
    const { deps, ledger, run, shared } = await runRig(estate, 'orders', keys);
    const stall = gate();
    const stalled = gate();
    const list = keys.listVersions.bind(keys);
    let calls = 0;
    keys.listVersions = async (vault: string) => {
      calls++;
      if (calls === 1) {
        stalled.open();
        await stall.wait;
        return [{ ...(await list(vault))[0], kty: 'EC', size: 256 } as InventoryVersion]; // A reads a key preflight refuses
      }
      if (calls === 2) await hang.wait; // B holds its claim and hangs on
      return list(vault);
    };
    const hang = gate();
    const a = executeStep(deps, run.id, 1).then(() => 'done', (e: unknown) => e);
    await stalled.wait;
    shared.advance(31_000);
    const b = executeStep(clockAt(deps, '2026-11-22T11:00:00Z'), run.id, 1); // B claims step 1
    await new Promise((r) => setImmediate(r));
    const bClaim = await claimOf(ledger, run.id, 1);
    expect(bClaim?.token).toBe('worker-2');
    stall.open();
    const outcome = await a;
    expect(outcome).toBeInstanceOf(StepNotReadyError);
    expect((outcome as Error).message).toMatch(/another worker holds it now/);
    const after = await stored(ledger, run.id);
    expect(after.status).toBe('running');
    expect(after.steps[0]).toMatchObject({ status: 'running', claim: bClaim });
    hang.open();
    expect(await b).toBe('done'); // B, the holder, records the step's end
  });
});

describe('executeStep: rotate-key after a crash between the rotation and its tag (I1), whatever the clocks', () => {
  const single = estateFrom({
    vaults: [{ name: 'kv-one', properties: { enableSoftDelete: true, enablePurgeProtection: true } }],
    protectors: [{ id: 'solo', kind: 'sql-tde', keyName: 'solo-tde', members: [{ role: 'primary', resourceId: `${SUB}/solo`, vault: 'kv-one' }], rotation: { every: 'P90D', strategy: 'rotate' } }],
  });
  const T = Date.parse('2026-11-22T10:00:00Z'); // the run's createdAt: the starting host's clock

  async function upToRotate(keys: FakeKeys) {
    const { deps, ledger, run } = await runRig(single, 'solo', keys);
    const n = run.steps.find((s) => s.kind === 'rotate-key')?.n ?? -1;
    for (const s of run.steps.filter((x) => x.n < n)) await executeStep(deps, run.id, s.n);
    return { deps, ledger, run, n };
  }

  it('adopts the untagged version its crashed attempt made, though Key Vault stamped it 5 minutes before the run began', async () => {
    const keys = new FakeKeys(['kv-one']);
    keys.kvNow = () => T - 5 * 60_000 + 1000; // the host that started the run runs 5 minutes ahead of Key Vault
    const { deps, ledger, run, n } = await upToRotate(keys);
    let crash = true;
    keys.beforeTag = async () => {
      if (crash) throw new Error('worker killed between rotate and tag');
    };
    await expect(executeStep(deps, run.id, n)).rejects.toThrow('killed');
    crash = false;
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect(keys.imports).toHaveLength(1); // one rotation in all
    const made = (await keys.listVersions('kv-one')).filter((v) => v.tags['keysteward-rotation'] === run.id);
    expect(made).toHaveLength(1);
    expect((await stored(ledger, run.id)).steps.find((s) => s.n === n)?.outcome?.version).toBe(made[0]?.version);
  });

  it('never adopts an untagged version someone made before the run, though Key Vault stamped it after the run began', async () => {
    const keys = new FakeKeys(['kv-one']);
    keys.kvNow = () => T + 2 * 60_000; // the starting host runs behind Key Vault
    const manual = await keys.rotate('kv-one', 'solo-tde'); // an operator's own rotation, untagged
    keys.imports.length = 0;
    const { deps, ledger, run, n } = await upToRotate(keys);
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect(keys.imports).toHaveLength(1); // the run made its own version
    const outcome = (await stored(ledger, run.id)).steps.find((s) => s.n === n)?.outcome;
    expect(outcome?.version).not.toBe(manual.version);
    expect((await keys.listVersions('kv-one')).find((v) => v.version === manual.version)?.tags['keysteward-rotation']).toBeUndefined();
  });
});

describe('executeStep: the versions a run makes keep the lifetime of the ones they succeed', () => {
  const DAY = 86_400_000;
  const RUN_AT = Date.parse('2026-11-22T10:00:00Z');
  /** The seed version of every vault expires a year after it was made. */
  const expiring = (keys: FakeKeys): FakeKeys => {
    for (const [vault, list] of keys.versions) keys.versions.set(vault, list.map((v) => ({ ...v, created: RUN_AT - 200 * DAY, exp: RUN_AT + 165 * DAY })));
    return keys;
  };

  it('import: each vault\'s new version expires a year from the import', async () => {
    const { deps, keys, run, stepOf } = await rig();
    expiring(keys);
    for (const vault of ['kv-wus', 'kv-eus']) expect(await executeStep(deps, run.id, stepOf('install-version', vault))).toBe('done');
    for (const vault of ['kv-wus', 'kv-eus']) {
      const made = (await keys.listVersions(vault)).find((v) => v.tags['keysteward-rotation'] === run.id);
      expect(made?.exp).toBe(RUN_AT + 365 * DAY);
    }
  });

  it('import: no expiry when the previous version had none', async () => {
    const { deps, keys, run, stepOf } = await rig();
    expect(await executeStep(deps, run.id, stepOf('install-version', 'kv-wus'))).toBe('done');
    expect((await keys.listVersions('kv-wus')).find((v) => v.tags['keysteward-rotation'] === run.id)?.exp).toBeNull();
  });

  const single = estateFrom({
    vaults: [{ name: 'kv-one', properties: { enableSoftDelete: true, enablePurgeProtection: true } }],
    protectors: [{ id: 'solo', kind: 'sql-tde', keyName: 'solo-tde', members: [{ role: 'primary', resourceId: `${SUB}/solo`, vault: 'kv-one' }], rotation: { every: 'P90D', strategy: 'rotate' } }],
  });
  /** Key Vault's clock runs a minute ahead of the host's: the version's own creation time must be what counts. */
  const KV_AT = RUN_AT + 60_000;
  const rotateRig = async () => {
    const keys = expiring(new FakeKeys(['kv-one']));
    keys.kvNow = () => KV_AT;
    const r = await runRig(single, 'solo', keys);
    for (const s of r.run.steps.filter((x) => x.kind === 'preflight')) expect(await executeStep(r.deps, r.run.id, s.n)).toBe('done');
    const n = r.run.steps.find((x) => x.kind === 'rotate-key')?.n ?? -1;
    const made = async () => (await keys.listVersions('kv-one')).find((v) => v.tags['keysteward-rotation'] === r.run.id);
    return { ...r, keys, n, made };
  };

  it('rotate: a version Key Vault made without expiry (no rotation policy) gets the lifetime from its own creation, with its tag', async () => {
    const { deps, run, n, made } = await rotateRig();
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect((await made())?.exp).toBe(KV_AT + 365 * DAY);
  });

  it('rotate: an expiry Key Vault set from the rotation policy is left as it is', async () => {
    const { deps, keys, run, n, made } = await rotateRig();
    keys.rotationExpiresIn = 90 * DAY;
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect((await made())?.exp).toBe(KV_AT + 90 * DAY);
  });

  it('rotate: the orphan a crashed attempt made gets the lifetime from its creation, however late it is adopted', async () => {
    const { deps, keys, run, n, made, advance } = await rotateRig();
    let crash = true;
    keys.beforeTag = async () => {
      if (crash) throw new Error('worker killed between rotate and tag');
    };
    await expect(executeStep(deps, run.id, n)).rejects.toThrow('killed');
    crash = false;
    advance(45 * 60_000); // adopted 45 minutes later, after the claim lapsed
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect(keys.imports).toHaveLength(1);
    expect((await made())?.exp).toBe(KV_AT + 365 * DAY);
  });
});

describe('executeStep: the shared claim time unreachable', () => {
  it('a worker that cannot read the shared time claims nothing and does nothing; the step runs once it can', async () => {
    const { deps, keys, ledger, run, shared, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    const before = await ledger.get(run.id);
    shared.reachable = false;
    const err = await executeStep(deps, run.id, n).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ClaimTimeUnknownError);
    expect(err).toBeInstanceOf(StepNotReadyError); // the queue retries it later
    expect((err as StepNotReadyError).retryAt).toBeNull();
    expect((await ledger.get(run.id))?.etag).toBe(before?.etag); // not a single write
    expect(keys.imports).toEqual([]);
    shared.reachable = true;
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect(keys.imports).toHaveLength(1);
  });

  it('a holder that cannot re-check its claim before the import does not import, and gives the claim back', async () => {
    const { deps, keys, ledger, run, shared, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    let first = true;
    keys.beforeUnwrap = async () => {
      if (!first) return;
      first = false;
      shared.reachable = false; // Redis goes away between the claim and the fence
    };
    await expect(executeStep(deps, run.id, n)).rejects.toBeInstanceOf(ClaimTimeUnknownError);
    expect(keys.imports).toEqual([]);
    expect((await stored(ledger, run.id)).steps.find((s) => s.n === n)).toMatchObject({ status: 'running', attempts: 1 });
    expect((await stored(ledger, run.id)).steps.find((s) => s.n === n)?.claim).toBeUndefined();
    shared.reachable = true;
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect(keys.imports).toEqual([{ vault: 'kv-wus', tag: run.id }]);
  });
});

describe('executeStep: a run that does not hold its protector lock', () => {
  it('stops at preflight (lock_not_held) and touches no vault: its starter was taken over before it could withdraw it', async () => {
    const keys = new FakeKeys(['kv-eus', 'kv-wus']);
    const { deps, ledger, run } = await runRig(estate, 'orders', keys);
    const holder = await ledger.lockHolder('orders');
    expect(await ledger.replaceLock('orders', holder!, 'rot-orders-taker-1', null)).toBe(true);
    const preflight = run.steps.find((s) => s.kind === 'preflight')?.n ?? -1;
    const err = await executeStep(deps, run.id, preflight).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableStepError);
    expect((err as NonRetryableStepError).code).toBe('lock_not_held');
    expect(keys.imports).toEqual([]);
    // The taker's lock is left as it is.
    expect((await ledger.lockHolder('orders'))?.runId).toBe('rot-orders-taker-1');
  });

  it('confirms an unconfirmed lock by compare-and-set: a takeover decided on the version read before then loses', async () => {
    const keys = new FakeKeys(['kv-eus', 'kv-wus']);
    const { deps, ledger, run } = await runRig(estate, 'orders', keys);
    const seenByTaker = await ledger.lockHolder('orders');
    expect(seenByTaker).toMatchObject({ runId: run.id, recorded: false });
    const preflight = run.steps.find((s) => s.kind === 'preflight')?.n ?? -1;
    expect(await executeStep(deps, run.id, preflight)).toBe('done');
    expect(await ledger.lockHolder('orders')).toMatchObject({ runId: run.id, recorded: true });
    expect(await ledger.replaceLock('orders', seenByTaker!, 'rot-orders-taker-1', null)).toBe(false);
  });
});

describe('abandonStep: the queue gives up on a step', () => {
  it('does not fail the run while another worker holds a live claim; fails it once the claim lapsed', async () => {
    const { deps, keys, ledger, run, shared, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    await ledger.acquireLock('orders', run.id);
    const importing = gate();
    const hang = gate();
    keys.beforeImport = async () => {
      importing.open();
      await hang.wait; // B hangs inside its import, its claim live
    };
    const b = executeStep(deps, run.id, n);
    await importing.wait;
    expect(await abandonStep(deps, run.id, n, 'job out of attempts')).toEqual({ kind: 'deferred', reason: `a worker holds step ${n} until 2026-11-22T10:00:30.000Z` });
    const kept = await stored(ledger, run.id);
    expect(kept.status).toBe('running');
    expect(await ledger.getStaged(run.id)).not.toBeNull(); // the holder's material stays
    expect(await ledger.acquireLock('orders', 'rot-other')).toBe(false); // and so does the protector's lock
    shared.advance(30_000); // the claim ends at its `until`
    expect(await abandonStep(deps, run.id, n, 'job out of attempts')).toEqual({ kind: 'failed' });
    const failed = await stored(ledger, run.id);
    expect(failed.status).toBe('failed-needs-operator');
    expect(failed.steps.find((s) => s.n === n)).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted', message: 'job out of attempts' } });
    expect(failed.steps.find((s) => s.n === n)?.claim).toBeUndefined();
    expect(await ledger.getStaged(run.id)).toBeNull();
    expect(await ledger.acquireLock('orders', 'rot-other')).toBe(true);
    expect(await abandonStep(deps, run.id, n, 'again')).toEqual({ kind: 'ended' });
    hang.open();
    expect(await b).toBe('run-ended'); // B's late end changes nothing on a failed run
    expect((await stored(ledger, run.id)).status).toBe('failed-needs-operator');
  });

  it('defers, changing nothing, when the shared claim time is unreachable', async () => {
    const { deps, ledger, run, shared, stepOf } = await rig();
    const before = await ledger.get(run.id);
    shared.reachable = false;
    const outcome = await abandonStep(deps, run.id, stepOf('install-version', 'kv-wus'), 'out of attempts');
    expect(outcome.kind).toBe('deferred');
    expect((await ledger.get(run.id))?.etag).toBe(before?.etag);
  });

  it('a step done meanwhile by its holder: the queue chain after it is gone, so the next step is the one failed', async () => {
    const { deps, ledger, run, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect(await abandonStep(deps, run.id, n, 'parent failed')).toEqual({ kind: 'failed' });
    const failed = await stored(ledger, run.id);
    expect(failed.steps.find((s) => s.n === n)?.status).toBe('done');
    expect(failed.steps.find((s) => s.n === n + 1)).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted' } });
  });
});

describe('executeStep: a failover during the rotation (I2)', () => {
  it('a switch planned for the secondary stops the run (topology_changed) once that server became primary; nothing is switched', async () => {
    const flipped = ORDERS_FAILED_OVER;
    let inUse = fixedEstate(estate);
    const switched: string[] = [];
    const keys = new FakeKeys(['kv-eus', 'kv-wus']);
    const arm: ProtectorSwitchPort = { ...noArm, setProtector: async (server) => void switched.push(server) };
    const { deps, run } = await runRig(estate, 'orders', keys, { protectors: arm, estates: { current: () => inUse.current(), fresh: () => inUse.fresh() } });
    const stepOf = (kind: string, member?: string) => run.steps.find((s) => s.kind === kind && (member === undefined || s.member?.endsWith(member)))?.n ?? -1;
    for (const s of run.steps.filter((x) => x.kind !== 'switch-protector' && x.n < stepOf('switch-protector', '/wus'))) await executeStep(deps, run.id, s.n);
    inUse = fixedEstate(flipped); // the group failed over; discovery flipped the roles in use
    await expect(executeStep(deps, run.id, stepOf('switch-protector', '/wus'))).rejects.toMatchObject({ code: 'topology_changed' });
    expect(switched).toEqual([]);
  });
});
