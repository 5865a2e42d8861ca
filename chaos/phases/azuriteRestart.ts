// Table Storage away for a moment (reliability.md E-4): while a rotation, a ServiceNow request and the deliveries of
// a Cosmos account's vault firewall closed to it are in flight on both hosts, Azurite is stopped (its data kept, as
// Azure keeps it) and started again two seconds later. Requests answered while it is down must be
// refused (the sender re-sends them), never acknowledged and lost.
import { sleep } from '../api.js';
import { envelopes } from '../corpus.js';
import { hostOf, type Phase } from './phase.js';

export const azuriteRestart: Phase = {
  name: 'azurite',
  budgetMs: (short) => (short ? 60_000 : 120_000),
  async run(ctx) {
    const a = hostOf(ctx, 'A');
    const b = ctx.rig.hosts.get('B') ?? a;
    const batches = envelopes(ctx.corpus.scenarios.firewallCosmos, 2);
    let restarted = false;
    const restart = (async () => {
      await sleep(400);
      const t0 = Date.now();
      await ctx.rig.azurite.restart(2_000);
      restarted = true;
      ctx.log(`azurite: restarted (${Date.now() - t0} ms)`);
    })();
    const [, rotation, itsm, acked] = await Promise.all([
      restart,
      ctx.actions.rotate(a, 'billing-sql', 'azurite'),
      ctx.actions.itsm([b], ctx.actions.change('billing-sql'), 'billing-sql', 'azurite'),
      ctx.actions.deliver('azurite', () => ctx.rig.urls(), batches, { parallel: 1, paceMs: 500 }),
    ]);
    const run = rotation ? await ctx.actions.waitForRun(rotation, ctx.short ? 60_000 : 120_000) : null;
    return { restarted, rotation: { id: rotation, status: run?.status }, itsm, deliveries: `${acked}/${batches.length}` };
  },
};
