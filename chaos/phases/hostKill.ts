// SIGKILL of the host mid-batch: Event Grid deliveries of audit records (a revoked and restored geo-secondary) go to
// host A two at a time; once some are acknowledged and others are in flight, a ServiceNow change's webhook and a
// rotation request are sent and host A is SIGKILLed as they arrive, then started again on the same port. Every
// sender re-sends what got no answer — Event Grid with backoff, the change owner with the same webhook-id — so
// everything is acknowledged in the end, and what was acknowledged before the kill must not have died with it.
import { sleep } from '../api.js';
import { envelopes } from '../corpus.js';
import { hostOf, type Phase } from './phase.js';

export const hostKill: Phase = {
  name: 'host-kill',
  budgetMs: (short) => (short ? 60_000 : 120_000),
  async run(ctx) {
    const host = hostOf(ctx, 'A');
    const batches = envelopes(ctx.corpus.scenarios.revokeRestoreWus, 2);
    let killedAt: number | null = null;
    let inFlightAtKill = 0;
    let ackedAtKill = 0;
    let inFlight = 0;
    let killing: Promise<void> | null = null;
    const change = ctx.actions.change('billing-sql');
    let requests: Promise<[string[], string | null]> = Promise.resolve([[], null]);
    const kill = async (): Promise<void> => {
      // The webhook and the rotation request race the kill: answered before it, or re-sent after it.
      requests = Promise.all([ctx.actions.itsm([host], change, 'billing-sql', 'host-kill'), ctx.actions.rotate(host, 'billing-sql', 'host-kill')]);
      await sleep(5);
      inFlightAtKill = inFlight;
      await host.current.process.stop(0, 'SIGKILL');
      killedAt = Date.now();
      ctx.log(`host-kill: host A killed with ${inFlightAtKill} deliveries in flight`);
      await sleep(1_000);
      await ctx.rig.startHost('A');
      ctx.log(`host-kill: host A back after ${Date.now() - killedAt} ms`);
    };
    const deliveries = ctx.actions.deliver('host-kill', () => [host.url], batches, {
      parallel: 2,
      inFlight: (n) => {
        inFlight = n;
      },
      onAck: (n) => {
        // Mid-batch: some acknowledged, and at least one delivery on its way in.
        if (killing === null && n >= Math.min(3, batches.length - 1) && inFlight > 0) {
          ackedAtKill = n;
          killing = kill();
        }
      },
    });
    const acked = await deliveries;
    await killing;
    const [requestIds, runId] = await requests;
    if (killedAt === null) throw new Error('the host was never killed mid-batch');
    return { deliveries: batches.length, acknowledged: acked, acknowledgedBeforeKill: ackedAtKill, inFlightAtKill, itsmRequests: requestIds, rotation: runId ?? ctx.actions.lastRefusal() };
  },
};
