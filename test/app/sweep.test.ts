// The sweep at scale: a paged scan under a budget that resumes where it stopped. The same scenarios run over the
// memory fake and over the real Table adapters on Azurite (state store and alert ledger), with a few hundred
// protectors of the bench's estate. The budget's clock is stepped by hand (one tick per look), never real time.
import { TableClient } from '@azure/data-tables';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimTransitions, type AlertDeps } from '../../app/alerts.js';
import { mapLimit } from '../../app/concurrency.js';
import { MemoryAlertLedger } from '../../app/fakes/memoryAlertLedger.js';
import { MemoryStateStore } from '../../app/fakes/memoryStateStore.js';
import { MemorySweepCursor } from '../../app/fakes/memorySweepCursor.js';
import type { AlertLedger, Logger, StateEntry, StateStore, SweepCursor } from '../../app/ports.js';
import { sweep, type SweepDeps, type SweepResult } from '../../app/sweep.js';
import { TableAlertLedger } from '../../adapters/tables/alertLedger.js';
import { TableStateStore } from '../../adapters/tables/stateStore.js';
import { scaleEstate, scaleFold, scaleSnapshot } from '../../bench/scaleEstate.js';
import { indexEstate } from '../../domain/estate/index.js';
import { fixedEstate } from '../../app/estateSource.js';
import { deriveProtector } from '../../domain/health/report.js';
import { fromSnapshot, type ProtectorSnapshot } from '../../domain/health/snapshot.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';

const NOW = Date.parse('2026-03-03T03:00:00Z');
const COUNT = 300;
const estate = scaleEstate(COUNT);
const index = indexEstate(estate);
const estates = fixedEstate(estate);
const protectors = estate.protectors;
/** Every 20th protector's primary lost access 20 minutes ago: inaccessible, with its escalation due. */
const incidentOf = (i: number): { lostMinutesAgo: number } | undefined => (i % 20 === 7 ? { lostMinutesAgo: 20 } : undefined);
const fold = scaleFold(index, NOW, incidentOf);
/** Never written (no event yet) / written with successes but no events: nothing to judge either way. */
const unstored = (i: number): boolean => i % 10 === 3;
const eventless = (i: number): boolean => i % 25 === 11;
const ORPHAN = 'retired-00001-sql'; // a state left behind by a protector removed from the estate

function snapshotOf(i: number): ProtectorSnapshot {
  const p = protectors[i];
  if (!p) throw new Error(`no protector ${i}`);
  const snap = scaleSnapshot(fold, p, NOW);
  return eventless(i) ? { ...snap, events: [] } : snap;
}

interface World {
  readonly state: StateStore;
  readonly ledger: AlertLedger;
  /** Makes the stored state of protector `i` unreadable (a corrupt entity). */
  corrupt(i: number): Promise<void>;
}

async function seed(world: World): Promise<{ stored: number; judgeable: number }> {
  const ids = protectors.flatMap((_, i) => (unstored(i) ? [] : [i]));
  await mapLimit(ids, 16, async (i) => {
    const saved = await world.state.save(protectors[i]?.id ?? '', snapshotOf(i), null);
    if (!saved.ok) throw new Error('seed conflict');
  });
  const orphan = snapshotOf(0);
  await world.state.save(ORPHAN, { ...orphan, protectorId: ORPHAN }, null);
  return { stored: ids.length + 1, judgeable: ids.filter((i) => !eventless(i)).length };
}

function logger(): Logger & { lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

function alertDeps(ledger: AlertLedger, log: Logger = logger()): AlertDeps {
  return { ledger, notifiers: [], recipients: ['secops@contoso.example'], clock: { now: () => NOW }, log };
}

/** What the old sweep claimed: every protector loaded one by one, fully derived, claimed in a fresh ledger. */
async function referenceClaims(state: StateStore): Promise<Map<string, string[]>> {
  const deps = alertDeps(new MemoryAlertLedger());
  const byProtector = new Map<string, string[]>();
  for (const p of protectors) {
    const stored = await state.load(p.id).catch(() => null);
    const { incidents } = deriveProtector(estate, fromSnapshot(p, stored?.snapshot ?? null), NOW);
    const keys = await claimTransitions(deps, incidents);
    if (keys.length > 0) byProtector.set(p.id, keys);
  }
  return byProtector;
}

/** Every position in the store, in its order (the sweep's circle). */
async function positions(state: StateStore): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await state.list({ after, limit: 1000 });
    out.push(...page.entries.map((e) => e.position));
    const last = page.entries.at(-1);
    if (!page.more || !last) return out;
    after = last.position;
  }
}

/** Positions a sweep covered: after `from` round the circle to `to` (inclusive); the whole circle when `to` is null. */
function covered(circle: readonly string[], from: string | null, to: string | null): string[] {
  const start = from === null ? 0 : circle.indexOf(from) + 1;
  const rotated = [...circle.slice(start), ...circle.slice(0, start)];
  return to === null ? rotated : rotated.slice(0, rotated.indexOf(to) + 1);
}

/** One tick per look at the clock: the budget runs out after a number of looks, the same on every run. */
function ticking(): () => number {
  let t = 0;
  return () => t++;
}

const visited = (r: SweepResult): number => r.judged + r.skipped + r.failed;

function scenarios(name: string, makeWorld: () => Promise<World>): void {
  describe(`sweep over ${name}`, () => {
    it('with time to spare judges every stored state once and claims exactly what the one-by-one sweep claims', async () => {
      const world = await makeWorld();
      const { stored, judgeable } = await seed(world);
      const expected = await referenceClaims(world.state);
      expect(expected.size).toBe(protectors.filter((_, i) => incidentOf(i) && !unstored(i)).length);
      const cursor = new MemorySweepCursor();
      const deps: SweepDeps = { estates, state: world.state, alerts: alertDeps(world.ledger), cursor, settings: { pageSize: 40, concurrency: 8 }, elapsed: () => 0 };
      const first = await sweep(deps);
      expect(first).toMatchObject({ protectors: COUNT, judged: judgeable, skipped: stored - judgeable, failed: 0, complete: true, stoppedBy: null, resumeAfter: null });
      const keys = [...expected.values()].flat();
      expect(first.claimed).toBe(keys.length);
      for (const key of keys) expect(await world.ledger.get(key)).not.toBeNull();
      expect(await cursor.load()).toBeNull();
      const second = await sweep(deps);
      expect(second).toMatchObject({ judged: judgeable, claimed: 0, complete: true });
    });

    // Budget 0: every sweep judges its guaranteed minimum (one page) and no more, so the bound is reached exactly.
    it.each([0, 60])('out of budget (%i looks) stops, says where, and resumes there: every state is judged within ⌈S / pageSize⌉ sweeps', async (budgetMs) => {
      const world = await makeWorld();
      const { stored } = await seed(world);
      const expected = [...(await referenceClaims(world.state)).values()].flat();
      const circle = await positions(world.state);
      expect(circle).toHaveLength(stored);
      const pageSize = 25;
      const cursor = new MemorySweepCursor();
      const log = logger();
      // With 60 looks per sweep each sweep judges a few pages, far fewer than the stored states.
      const deps = (): SweepDeps => ({ estates, state: world.state, alerts: alertDeps(world.ledger, log), cursor, settings: { pageSize, concurrency: 4, budgetMs }, elapsed: ticking() });
      const bound = Math.ceil(stored / pageSize);
      const seen = new Map<string, number>();
      let from: string | null = null;
      let claimed = 0;
      for (let k = 0; k < bound; k++) {
        const r = await sweep(deps());
        expect(r).toMatchObject({ complete: false, stoppedBy: 'budget', failed: 0 });
        expect(r.resumeAfter).not.toBeNull();
        expect(await cursor.load()).toBe(r.resumeAfter);
        // What it says it visited is exactly the arc from where the last one stopped to where it stopped.
        const arc = covered(circle, from, r.resumeAfter);
        expect(visited(r)).toBe(arc.length);
        if (budgetMs === 0) expect(visited(r)).toBe(pageSize);
        else expect(visited(r)).toBeGreaterThan(pageSize);
        expect(visited(r)).toBeLessThan(stored);
        for (const p of arc) seen.set(p, (seen.get(p) ?? 0) + 1);
        claimed += r.claimed;
        from = r.resumeAfter;
      }
      expect([...seen.keys()].sort()).toStrictEqual([...circle].sort());
      if (budgetMs === 0) expect([...seen.values()].filter((n) => n > 1).length).toBe(bound * pageSize - stored);
      expect(claimed).toBe(expected.length);
      for (const key of expected) expect(await world.ledger.get(key)).not.toBeNull();
      expect(log.lines.filter((l) => l.message.startsWith('sweep stopped before going all the way round'))).toHaveLength(bound);
    });

    it('goes on past an unreadable state and a failing claim, and retries from where an unreadable page stopped it', async () => {
      const world = await makeWorld();
      const { stored } = await seed(world);
      const expected = await referenceClaims(world.state);
      const circle = await positions(world.state);
      const victims = protectors.flatMap((p, i) => (incidentOf(i) && !unstored(i) ? [p.id] : []));
      const [claimFails, unreadable] = victims;
      if (!claimFails || !unreadable) throw new Error('need two incident protectors');
      await world.corrupt(protectors.findIndex((p) => p.id === unreadable));
      let ledgerDown = true;
      const ledger: AlertLedger = {
        ...world.ledger,
        get: (key) => world.ledger.get(key),
        lease: (...a) => world.ledger.lease(...a),
        update: (...a) => world.ledger.update(...a),
        pending: (...a) => world.ledger.pending(...a),
        claim: async (record) => {
          if (ledgerDown && record.message.incidents.some((i) => i.protector === claimFails)) throw new Error('ledger write failed');
          return world.ledger.claim(record);
        },
      };
      let lists = 0;
      let failNextList = false;
      const state: StateStore = {
        load: (id) => world.state.load(id),
        save: (...a) => world.state.save(...a),
        list: async (range) => {
          lists += 1;
          if (lists === 3 || failNextList) {
            failNextList = false;
            throw new Error('connect ECONNRESET');
          }
          return world.state.list(range);
        },
      };
      const cursor = new MemorySweepCursor();
      const log = logger();
      const deps: SweepDeps = { estates, state, alerts: alertDeps(ledger, log), cursor, settings: { pageSize: 30, concurrency: 6 }, elapsed: () => 0 };

      const first = await sweep(deps);
      expect(first).toMatchObject({ complete: false, stoppedBy: 'store', resumeAfter: circle[59] ?? 'unreachable' });
      expect(visited(first)).toBe(60);
      const second = await sweep(deps);
      // From after the 60th state round to it again: the whole circle, once.
      expect(second).toMatchObject({ complete: true, stoppedBy: null, resumeAfter: null, failed: 2 });
      expect(visited(second)).toBe(stored);
      expect(log.lines.some((l) => l.level === 'error' && l.message === 'sweep skipped an unreadable protector state' && l.fields['protector'] === unreadable)).toBe(true);
      expect(log.lines.some((l) => l.level === 'error' && l.message === 'sweep skipped a protector' && l.fields['protector'] === claimFails)).toBe(true);
      // Everyone else was claimed; the failing protector is claimed as soon as its ledger writes work again.
      for (const [protector, keys] of expected) {
        for (const key of keys) expect(await world.ledger.get(key), `${protector} ${key}`).toStrictEqual(protector === claimFails || protector === unreadable ? null : expect.anything());
      }
      ledgerDown = false;
      const third = await sweep(deps);
      expect(third.failed).toBe(1);
      expect(third.claimed).toBe(expected.get(claimFails)?.length);
      // A store that cannot be read at all: nothing judged, and the next sweep still starts where this one would have.
      await cursor.save(circle[100] ?? null);
      failNextList = true;
      expect(await sweep(deps)).toMatchObject({ judged: 0, skipped: 0, failed: 0, complete: false, stoppedBy: 'store', resumeAfter: circle[100] });
      expect(await cursor.load()).toBe(circle[100]);
    });

    it('starts at the first state when the cursor cannot be read or written', async () => {
      const world = await makeWorld();
      const { stored } = await seed(world);
      const broken: SweepCursor = { load: () => Promise.reject(new Error('redis down')), save: () => Promise.reject(new Error('redis down')) };
      const log = logger();
      const r = await sweep({ estates, state: world.state, alerts: alertDeps(world.ledger, log), cursor: broken, elapsed: () => 0 });
      expect(r).toMatchObject({ complete: true, failed: 0 });
      expect(visited(r)).toBe(stored);
      expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toStrictEqual([
        'sweep cursor unavailable; starting at the first protector state',
        'could not record where the sweep stopped; the next sweep starts at the first protector state',
      ]);
    });
  });
}

/** The memory fake cannot hold a corrupt entity: a wrapper answers for it as the Table adapter would. */
scenarios('the memory fakes', async () => {
  const inner = new MemoryStateStore();
  const bad = new Set<string>();
  const state: StateStore = {
    load: (id) => inner.load(id),
    save: (...a) => inner.save(...a),
    list: async (range) => {
      const page = await inner.list(range);
      const entries = page.entries.map((e): StateEntry => (bad.has(e.position) ? { ok: false, position: e.position, protectorId: e.protectorId, error: 'corrupt entity' } : e));
      return { entries, more: page.more };
    },
  };
  return { state, ledger: new MemoryAlertLedger(), corrupt: async (i) => void bad.add(protectors[i]?.id ?? '') };
});

const azurite = useAzurite();
scenarios('Table Storage on Azurite', async () => {
  const connection = azurite().connection;
  const stateTable = uniqueTableName('sweepstate');
  return {
    state: new TableStateStore(connection, { tableName: stateTable }),
    ledger: new TableAlertLedger(connection, { tableName: uniqueTableName('sweepalerts') }),
    corrupt: async (i) => {
      const id = protectors[i]?.id ?? '';
      const raw = TableClient.fromConnectionString(azurite().azurite.connectionString, stateTable, { allowInsecureConnection: true });
      await raw.upsertEntity({ partitionKey: id, rowKey: 'state', protectorId: id, v: 1, chunks: 1, s0: '{"v":1,"protectorId":' }, 'Replace');
    },
  };
});

describe('what the sweep may skip', () => {
  it('a state with no events has no incidents, whatever its successes and live inventory (so the sweep skips it)', () => {
    const version = fc.record({
      version: fc.stringMatching(/^[0-9a-f]{32}$/),
      thumbprint: fc.string({ minLength: 43, maxLength: 43 }),
      enabled: fc.boolean(),
      exp: fc.option(fc.integer({ min: 0, max: 2 * NOW })),
      nbf: fc.option(fc.integer({ min: 0, max: 2 * NOW })),
      created: fc.option(fc.integer({ min: 0, max: 2 * NOW })),
      kty: fc.option(fc.constantFrom('RSA', 'RSA-HSM', 'EC')),
      size: fc.option(fc.constantFrom(2048, 3072)),
      tags: fc.constant({}),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: COUNT - 1 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 2 * NOW }), { maxLength: 20 }), { minLength: 2, maxLength: 2 }),
        fc.option(fc.array(version, { maxLength: 3 })),
        fc.integer({ min: 0, max: 2 * NOW }),
        (i, successes, inventory, now) => {
          const p = protectors[i];
          if (!p) return;
          const snapshot: ProtectorSnapshot = {
            v: 1,
            protectorId: p.id,
            events: [],
            successes: Object.fromEntries(p.members.map((m, k) => [m.resourceId, [...new Set(successes[k] ?? [])].sort((a, b) => a - b)])),
            ...(inventory ? { inventory: Object.fromEntries(p.members.map((m) => [m.vault, inventory])) } : {}),
          };
          expect(deriveProtector(estate, fromSnapshot(p, snapshot), now).incidents).toStrictEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
