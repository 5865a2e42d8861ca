// Timer use case: time moves stages without any event (access_lost → inaccessible → autoheal_expired) and
// brings escalations due before the autoheal deadline. The sweep derives every protector at `now`, claims what
// is new, and dispatches everything pending (including alerts left pending by a crash or the rate limit).
import type { EstateIndex } from '../domain/estate/index.js';
import { deriveProtector } from '../domain/health/report.js';
import { claimTransitions, dispatchPending, type AlertDeps, type DispatchResult } from './alerts.js';
import { loadState } from './persist.js';
import type { StateStore } from './ports.js';

export interface SweepDeps {
  readonly index: EstateIndex;
  readonly state: StateStore;
  readonly alerts: AlertDeps;
}

export async function sweep(deps: SweepDeps): Promise<{ protectors: number; claimed: number; dispatch: DispatchResult }> {
  const now = deps.alerts.clock.now();
  let claimed = 0;
  // Sequential per protector keeps the load on Table Storage flat for large estates.
  for (const protector of deps.index.estate.protectors) {
    // One protector's trouble (a corrupt entity, a store hiccup) must not stop alerts for everyone else.
    try {
      const state = await loadState(deps.state, protector);
      const { incidents } = deriveProtector(deps.index.estate, state, now);
      if (incidents.length > 0) claimed += (await claimTransitions(deps.alerts, incidents)).length;
    } catch (err) {
      deps.alerts.log.error({ protector: protector.id, error: err instanceof Error ? err.message : String(err) }, 'sweep skipped a protector');
    }
  }
  const dispatch = await dispatchPending(deps.alerts);
  return { protectors: deps.index.estate.protectors.length, claimed, dispatch };
}
