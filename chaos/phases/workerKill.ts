// SIGKILL of a worker inside every kind of rotation step (reliability.md R-1): the suite watches the run's ledger and,
// the moment a step of the next target kind is claimed (running), kills the worker running it and starts a new one,
// which must take the step over once the dead worker's claim lapses and finish the run. The workers' Table Storage
// traffic is slowed (latency proxy) so even a step that only writes the ledger stays running long enough to be hit.
// orders-sql (import, three vaults, three servers) has every step kind but rotate-key and rewrap-deks; cards-ae
// (rotate, Cosmos Always Encrypted) has those two.
import { sleep } from '../api.js';
import { liveWorkers } from '../rig.js';
import type { StepKind } from '../../domain/rotation/steps.js';
import { hostOf, type Phase, type PhaseContext } from './phase.js';

const ORDERS: readonly StepKind[] = ['preflight', 'create-material', 'install-version', 'verify-thumbprints', 'switch-protector', 'verify', 'retain-previous'];
const CARDS: readonly StepKind[] = ['rotate-key', 'rewrap-deks'];
const SHORT: ReadonlySet<StepKind> = new Set(['install-version', 'switch-protector', 'rewrap-deks']);

interface Kill {
  readonly protector: string;
  readonly kind: StepKind;
  readonly step: number;
  /** The step was still not done after the kill: the worker died inside it. */
  readonly landed: boolean;
  readonly worker: string;
}

/** Kills the worker inside each of `kinds` during one run of `protector`; the kinds it could not catch running. */
async function killThrough(ctx: PhaseContext, protector: string, kinds: readonly StepKind[], kills: Kill[]): Promise<{ runId: string | null; missed: StepKind[] }> {
  const missed: StepKind[] = [];
  const runId = await ctx.actions.rotate(hostOf(ctx, 'A'), protector, 'worker-kill');
  if (!runId) return { runId, missed: [...kinds] };
  for (const kind of kinds) {
    let killed = false;
    for (;;) {
      const run = await ctx.actions.run(runId);
      if (!run) {
        await sleep(20);
        continue;
      }
      const steps = run.steps.filter((s) => s.kind === kind);
      // Running under a live claim: a worker is inside it now (a released claim would be a step between attempts).
      const running = steps.find((s) => s.status === 'running' && s.claim !== undefined && Date.parse(s.claim.until) > Date.now());
      if (running) {
        const victim = liveWorkers(ctx.rig)[0];
        if (!victim) throw new Error('no live worker to kill');
        await victim.process.stop(0, 'SIGKILL');
        const after = (await ctx.actions.run(runId))?.steps.find((s) => s.n === running.n);
        kills.push({ protector, kind, step: running.n, landed: after?.status !== 'done', worker: victim.name });
        ctx.log(`worker-kill: ${victim.name} killed in step ${running.n} (${kind}) of ${runId}`);
        await ctx.rig.startWorker();
        killed = true;
        break;
      }
      if (run.status !== 'running' || (steps.length > 0 && steps.every((s) => s.status === 'done' || s.status === 'failed'))) break;
      await sleep(15);
    }
    if (!killed) missed.push(kind);
  }
  return { runId, missed };
}

export const workerKill: Phase = {
  name: 'worker-kill',
  budgetMs: (short) => (short ? 90_000 : 240_000),
  async run(ctx) {
    const kills: Kill[] = [];
    const pick = (kinds: readonly StepKind[]) => kinds.filter((k) => !ctx.short || SHORT.has(k));
    ctx.rig.tableProxy.setLatency(250);
    const runs: Array<{ runId: string | null; status: string | undefined }> = [];
    let missed: Array<{ protector: string; kinds: StepKind[] }> = [];
    try {
      for (const [protector, kinds] of [['orders-sql', pick(ORDERS)], ['cards-ae', pick(CARDS)]] as const) {
        let todo = kinds;
        // A kind whose step ran between two looks is tried again on a second run.
        for (let attempt = 0; attempt < 2 && todo.length > 0; attempt++) {
          const r = await killThrough(ctx, protector, todo, kills);
          const ended = r.runId ? await ctx.actions.waitForRun(r.runId, ctx.short ? 60_000 : 90_000) : null;
          runs.push({ runId: r.runId, status: ended?.status });
          todo = r.missed;
        }
        if (todo.length > 0) missed.push({ protector, kinds: todo });
      }
    } finally {
      ctx.rig.tableProxy.setLatency(0);
    }
    missed = missed.filter((m) => m.kinds.length > 0);
    if (missed.length > 0) throw new Error(`could not kill a worker inside ${JSON.stringify(missed)}`);
    return { kills: kills.map((k) => `${k.protector}#${k.step} ${k.kind}${k.landed ? '' : ' (step finished as it died)'}`), runs, workersStarted: ctx.rig.workers.length };
  },
};
