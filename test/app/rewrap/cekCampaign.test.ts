// The Cosmos Always Encrypted rewrap campaign against the memory CekCatalog (same contract as the @azure/cosmos
// adapter) and a local-RSA KeyWrapper: every CEK behind ends on the new version and opens to its own plaintext, CEKs
// of other keys are never touched, a value the vault cannot open back is never written, a conflict is judged again,
// a denied key stops the campaign, and no secret reaches a log line (I8).
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCekRewrapCampaign, type CekRewrapOptions, type CekRewrapSummary } from '../../../app/rewrap/cekCampaign.js';
import { MemoryCekCatalog } from '../../../app/rewrap/memoryCekCatalog.js';
import { KeyOperationError, type WrappingKey } from '../../../app/rewrap/ports.js';
import { BudgetUnavailableError } from '../../../app/rewrap/vaultBudget.js';
import { CekAccessError } from '../../../app/rewrap/cekPorts.js';
import type { Clock } from '../../../app/ports.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { capturingLogger, FakeKeyWrapper, kid, V1, V2 } from './support.js';

const V0 = '00000000000000000000000000000000';
const clock: Clock = { now: () => Date.now() };
const OTHER_KEY = kid(V1, 'other-kek');

let wrapper: FakeKeyWrapper;
beforeAll(() => {
  wrapper = new FakeKeyWrapper();
  for (const k of [kid(V0), kid(V1), kid(V2), OTHER_KEY]) wrapper.addVersion(k);
});

interface Seeded {
  readonly db: string;
  readonly id: string;
  readonly kekKid: string;
  readonly plaintext: Buffer;
}

function seed(catalog: MemoryCekCatalog, specs: ReadonlyArray<{ db: string; id: string; kekKid: string }>): Seeded[] {
  return specs.map((s) => {
    const plaintext = randomBytes(32);
    catalog.seed(s.db, s.id, s.kekKid, Buffer.from(wrapper.wrapFor(s.kekKid, 'RSA-OAEP', plaintext), 'base64url'));
    return { ...s, plaintext };
  });
}

const opened = (catalog: MemoryCekCatalog, c: Seeded, underKid: string): Buffer =>
  wrapper.open(underKid, 'RSA-OAEP', Buffer.from(catalog.wrappedOf(c.db, c.id) ?? new Uint8Array()).toString('base64url'));

function run(catalog: MemoryCekCatalog, over: Partial<CekRewrapOptions> = {}, logger = silentLogger): Promise<CekRewrapSummary> {
  wrapper.fault = () => null;
  return runCekRewrapCampaign({ catalog, wrapper, clock, logger }, { databases: ['orders', 'billing'], toKid: kid(V2), vaultBudgetPerSec: 100_000, concurrency: 4, backoff: { baseMs: 5, maxMs: 20 }, ...over });
}

const specs = (n: number, db: string, kekKid: string, prefix = 'cek'): Array<{ db: string; id: string; kekKid: string }> =>
  Array.from({ length: n }, (_, i) => ({ db, id: `${prefix}-${String(i).padStart(3, '0')}`, kekKid }));

describe('runCekRewrapCampaign', () => {
  it('moves every CEK of older versions, across databases and pages, each to its own plaintext; other keys untouched', async () => {
    const catalog = new MemoryCekCatalog(7);
    const behind = seed(catalog, [...specs(12, 'orders', kid(V1)), ...specs(9, 'billing', kid(V0), 'old')]);
    const done = seed(catalog, specs(2, 'orders', kid(V2), 'new'));
    const other = seed(catalog, specs(3, 'billing', OTHER_KEY, 'x'));
    const s = await run(catalog);
    expect(s).toMatchObject({ scanned: 26, behind: 21, rewrapped: 21, alreadyDone: 2, otherKeys: 3, unparsed: 0, conflicts: 0, failures: 0, remaining: 0, complete: true, stopReason: null, unwraps: 42 });
    for (const c of [...behind, ...done]) expect(opened(catalog, c, kid(V2)).equals(c.plaintext)).toBe(true);
    for (const c of other) expect(opened(catalog, c, OTHER_KEY).equals(c.plaintext)).toBe(true);
    // Two CEKs under one version stay two different keys (a cache keyed by the wrapping key would merge them).
    expect(new Set(behind.map((c) => opened(catalog, c, kid(V2)).toString('hex'))).size).toBe(behind.length);
  });

  it('with fromKid, moves only that version and leaves the others as they are', async () => {
    const catalog = new MemoryCekCatalog();
    seed(catalog, specs(4, 'orders', kid(V1)));
    const older = seed(catalog, specs(3, 'orders', kid(V0), 'old'));
    const s = await run(catalog, { fromKid: kid(V1) });
    expect(s).toMatchObject({ behind: 4, rewrapped: 4, otherKeys: 3, remaining: 0, complete: true });
    for (const c of older) expect(opened(catalog, c, kid(V0)).equals(c.plaintext)).toBe(true);
  });

  it('never writes a value the vault does not open back to the CEK', async () => {
    const catalog = new MemoryCekCatalog();
    const cs = seed(catalog, specs(5, 'orders', kid(V1)));
    // A public key that is not the new version's: the verification unwrap under v2 cannot give the CEK back.
    const wrong = await wrapper.wrappingKey(kid(V0));
    const lying = Object.create(wrapper) as FakeKeyWrapper;
    lying.wrapLocally = (_key: WrappingKey, alg, dek) => wrapper.wrapLocally(wrong, alg, dek);
    const s = await runCekRewrapCampaign({ catalog, wrapper: lying, clock, logger: silentLogger }, { databases: ['orders'], toKid: kid(V2), vaultBudgetPerSec: 100_000, concurrency: 2 });
    expect(s).toMatchObject({ rewrapped: 0, failures: 15, complete: false, remaining: 5 });
    for (const c of cs) expect(opened(catalog, c, kid(V1)).equals(c.plaintext)).toBe(true);
  });

  it('a CEK changed between read and replace is judged again from a fresh listing and moved once', async () => {
    const catalog = new MemoryCekCatalog();
    const cs = seed(catalog, specs(6, 'orders', kid(V1)));
    let touched = 0;
    catalog.beforeReplace = async (db, id) => {
      if (id === 'cek-003' && touched++ === 0) catalog.touch(db, id);
    };
    const s = await run(catalog);
    expect(s).toMatchObject({ rewrapped: 6, conflicts: 1, remaining: 0, complete: true });
    for (const c of cs) expect(opened(catalog, c, kid(V2)).equals(c.plaintext)).toBe(true);
  });

  it('stops on a denied key (every other CEK would fail too) and does not claim completion', async () => {
    const catalog = new MemoryCekCatalog();
    const cs = seed(catalog, specs(20, 'orders', kid(V1)));
    const s = await runCekRewrapCampaign(
      { catalog, wrapper: Object.assign(Object.create(wrapper) as FakeKeyWrapper, { unwrap: async () => Promise.reject(new KeyOperationError('denied', 'Key Vault unwrapKey failed: 403 Forbidden', 403)) }), clock, logger: silentLogger },
      { databases: ['orders'], toKid: kid(V2), vaultBudgetPerSec: 100_000, concurrency: 1 },
    );
    expect(s).toMatchObject({ stopReason: 'access_denied', complete: false, remaining: null, rewrapped: 0, failures: 1 });
    for (const c of cs) expect(opened(catalog, c, kid(V1)).equals(c.plaintext)).toBe(true);
  });

  it('scans every database of the account, not only the estate\'s: a database created later is rewrapped too', async () => {
    const catalog = new MemoryCekCatalog();
    const listed = seed(catalog, specs(2, 'orders', kid(V1)));
    const unlisted = seed(catalog, specs(3, 'refunds', kid(V1), 'late'));
    const s = await run(catalog, { databases: ['orders'] });
    expect(s).toMatchObject({ scanned: 5, rewrapped: 5, remaining: 0, complete: true });
    for (const c of [...listed, ...unlisted]) expect(opened(catalog, c, kid(V2)).equals(c.plaintext)).toBe(true);
  });

  it('a CEK naming the key without a version is never touched and keeps the campaign from completing', async () => {
    const catalog = new MemoryCekCatalog();
    seed(catalog, specs(3, 'orders', kid(V1)));
    catalog.seed('orders', 'floating', 'https://kv-a.vault.azure.net/keys/dek-kek/', new Uint8Array([1, 2, 3]));
    catalog.seed('orders', 'elsewhere', 'https://kv-a.vault.azure.net/keys/other-kek', new Uint8Array([1, 2, 3]));
    const s = await run(catalog);
    expect(s).toMatchObject({ rewrapped: 3, versionless: 1, otherKeys: 1, remaining: 1, complete: false, stopReason: null });
    expect(Buffer.from(catalog.wrappedOf('orders', 'floating') ?? new Uint8Array()).toString('hex')).toBe('010203');
  });

  it('stops when Cosmos refuses keysteward (401/403): every other CEK would be refused too', async () => {
    const catalog = new MemoryCekCatalog();
    seed(catalog, specs(10, 'orders', kid(V1)));
    const refusing = Object.assign(Object.create(catalog) as MemoryCekCatalog, { rewrap: async () => Promise.reject(new CekAccessError('Cosmos DB rewrap failed: 403 Forbidden')) });
    const s = await runCekRewrapCampaign({ catalog: refusing, wrapper, clock, logger: silentLogger }, { databases: ['orders'], toKid: kid(V2), vaultBudgetPerSec: 100_000, concurrency: 1 });
    expect(s).toMatchObject({ stopReason: 'cosmos_denied', complete: false, remaining: null, failures: 1 });
  });

  it('unwraps at keysteward\'s own URL for the vault, never at the host a CEK names', async () => {
    const catalog = new MemoryCekCatalog();
    const [c] = seed(catalog, specs(1, 'orders', kid(V1)));
    // The same vault name under a host nobody should be sent a token or a wrapped key.
    catalog.seed('orders', 'cek-000', `https://kv-a.attacker.example/keys/dek-kek/${V1}`, Buffer.from(wrapper.wrapFor(kid(V1), 'RSA-OAEP', c?.plaintext ?? Buffer.alloc(32)), 'base64url'));
    const calls = wrapper.calls.length;
    const s = await run(catalog);
    expect(s).toMatchObject({ rewrapped: 1, complete: true });
    expect(wrapper.calls.slice(calls).every((call) => call.kid.startsWith('https://kv-a.vault.azure.net/'))).toBe(true);
  });

  it('stops when the shared budget cannot be consulted, instead of failing CEK after CEK', async () => {
    const catalog = new MemoryCekCatalog();
    seed(catalog, specs(10, 'orders', kid(V1)));
    let acquired = 0;
    const down = {
      acquire: async () => {
        // The first acquire (the new version's public key) passes; then the budget's store goes away.
        if (acquired++ > 0) throw new BudgetUnavailableError('budget store unreachable');
      },
      pause: () => undefined,
    };
    const s = await runCekRewrapCampaign({ catalog, wrapper, clock, logger: silentLogger, budget: down }, { databases: ['orders'], toKid: kid(V2), vaultBudgetPerSec: 1, concurrency: 1 });
    expect(s).toMatchObject({ stopReason: 'budget_unavailable', complete: false, remaining: null, rewrapped: 0, failures: 1 });
  });

  it('zeroes every plaintext buffer it owns and logs no plaintext or wrapped value', async () => {
    const catalog = new MemoryCekCatalog();
    const cs = seed(catalog, specs(8, 'orders', kid(V1)));
    const wrappedBefore = cs.map((c) => Buffer.from(catalog.wrappedOf(c.db, c.id) ?? new Uint8Array()));
    const log = capturingLogger();
    const handed = wrapper.handedOut.length;
    await run(catalog, {}, log);
    const ours = wrapper.handedOut.slice(handed);
    expect(ours.length).toBe(16);
    for (const b of ours) expect(b.every((x) => x === 0)).toBe(true);
    const text = log.lines.join('\n');
    expect(log.lines.length).toBeGreaterThan(1);
    for (const c of cs) for (const spelled of [c.plaintext.toString('base64'), c.plaintext.toString('base64url'), c.plaintext.toString('hex')]) expect(text).not.toContain(spelled);
    for (const w of wrappedBefore) expect(text).not.toContain(w.toString('base64').slice(0, 40));
  });

  it('refuses a target that is not a versioned kid, a fromKid of another key, and an empty database list', async () => {
    const catalog = new MemoryCekCatalog();
    await expect(run(catalog, { toKid: 'https://kv-a.vault.azure.net/keys/dek-kek' })).rejects.toThrow(RangeError);
    await expect(run(catalog, { fromKid: OTHER_KEY })).rejects.toThrow(/same key/);
    await expect(run(catalog, { databases: [] })).rejects.toThrow(/no database/);
  });

  it('model: whatever the mix of versions, keys and interfering writers, behind CEKs end on v2 with their plaintext, the rest unchanged', async () => {
    const kinds = [kid(V0), kid(V1), kid(V2), OTHER_KEY] as const;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ k: fc.integer({ min: 0, max: 3 }), db: fc.constantFrom('orders', 'billing'), touch: fc.boolean() }), { maxLength: 14 }), fc.integer({ min: 1, max: 5 }), async (cells, concurrency) => {
        const catalog = new MemoryCekCatalog(3);
        const cs = seed(catalog, cells.map((c, i) => ({ db: c.db, id: `c-${i}`, kekKid: kinds[c.k] as string })));
        const touchOnce = new Set(cells.flatMap((c, i) => (c.touch ? [`c-${i}`] : [])));
        catalog.beforeReplace = async (db, id) => {
          if (touchOnce.delete(id)) catalog.touch(db, id);
        };
        const s = await run(catalog, { concurrency });
        expect(s.complete).toBe(true);
        for (const c of cs) {
          const expected = c.kekKid === OTHER_KEY ? OTHER_KEY : kid(V2);
          expect(opened(catalog, c, expected).equals(c.plaintext)).toBe(true);
        }
      }),
      { numRuns: 25 },
    );
  });
});
