// Model-based test of a StateStore: random sequences of loads and saves (create-only, current etag, stale etag)
// checked step by step against a plain map. Catches what example tests miss, e.g. an etag that is reused.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { StateStore } from '../../app/ports.js';
import type { ProtectorSnapshot } from '../../domain/health/snapshot.js';
import { snapshot } from './fixtures.js';

type Op =
  | { readonly kind: 'load'; readonly id: number }
  | { readonly kind: 'save'; readonly id: number; readonly seed: number; readonly etag: 'none' | 'current' | 'stale' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('load' as const), id: fc.integer({ min: 0, max: 2 }) }),
  fc.record({
    kind: fc.constant('save' as const),
    id: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 1000 }),
    etag: fc.constantFrom('none' as const, 'current' as const, 'current' as const, 'stale' as const),
  }),
);

interface ModelRow {
  snapshot: ProtectorSnapshot;
  etag: string;
  /** Every etag this protector had before `etag`: all must now conflict. */
  stale: string[];
}

let runs = 0;

export function stateStoreModelTest(name: string, makeStore: () => StateStore | Promise<StateStore>, numRuns: number): void {
  it(`StateStore model: ${name} (${numRuns} runs)`, async () => {
    const store = await makeStore();
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 20 }), fc.nat(), async (ops, pick) => {
        // One store for all runs (a table per run would be slow): each run gets its own protector ids.
        runs += 1;
        const ids = [0, 1, 2].map((i) => `model-${runs}-${i}`);
        const model = new Map<string, ModelRow>();
        const seen = new Set<string>();
        for (const op of ops) {
          const id = ids[op.id] ?? 'unreachable';
          const row = model.get(id);
          if (op.kind === 'load') {
            const loaded = await store.load(id);
            expect(loaded).toStrictEqual(row === undefined ? null : { snapshot: row.snapshot, etag: row.etag });
            continue;
          }
          const snap = snapshot(id, { seed: op.seed, events: 1 + (op.seed % 4) });
          const etag = op.etag === 'none' || row === undefined ? null : op.etag === 'current' ? row.etag : (row.stale[pick % Math.max(1, row.stale.length)] ?? null);
          // Expected: create-only succeeds only when absent; a replace only with the current etag.
          const shouldWin = etag === null ? row === undefined : etag === row?.etag;
          const result = await store.save(id, snap, etag);
          expect(result.ok).toBe(shouldWin);
          if (result.ok) {
            expect(seen.has(result.etag)).toBe(false); // a new version never reuses an etag
            seen.add(result.etag);
            model.set(id, { snapshot: snap, etag: result.etag, stale: row === undefined ? [] : [...row.stale, row.etag] });
          }
        }
      }),
      { numRuns },
    );
  }, 120_000);
}
