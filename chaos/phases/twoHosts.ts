// Two hosts and two workers at once (reliability.md E-8, P-2): host B and a second worker join; the same rotation is
// asked of both hosts at the same instant (at most one may start), the same ServiceNow webhook reaches both (one
// request), and every Event Grid delivery of a revoked-then-restored primary is handed to both hosts together (one
// alert per transition, whichever host claims it). From here on both hosts and both workers stay up.
import { envelopes } from '../corpus.js';
import { liveWorkers } from '../rig.js';
import { hostOf, type Phase } from './phase.js';

export const twoHosts: Phase = {
  name: 'two-hosts',
  budgetMs: (short) => (short ? 60_000 : 120_000),
  async run(ctx) {
    const [b] = await Promise.all([ctx.rig.hosts.has('B') ? hostOf(ctx, 'B') : ctx.rig.startHost('B'), liveWorkers(ctx.rig).length < 2 ? ctx.rig.startWorker() : null]);
    const a = hostOf(ctx, 'A');
    const both = [a, b];
    // The same rotation asked of both at the same instant: one 202, one 409 — two 202s would be two runs of one protector.
    const starts = await Promise.all(both.map((h) => h.api.post('/api/protectors/billing-sql/rotations', { requestedBy: 'chaos-two-hosts' })));
    const started = starts.flatMap((r) => {
      const id = (r.body as { id?: unknown } | null)?.id;
      return r.status === 202 && typeof id === 'string' ? [id] : [];
    });
    for (const id of started) ctx.history.request({ kind: 'rotation', id, key: id, phase: 'two-hosts', protector: 'billing-sql' });
    const change = ctx.actions.change('billing-sql');
    const [itsmIds] = await Promise.all([
      ctx.actions.itsm(both, change, 'billing-sql', 'two-hosts'),
      // Each delivery to both hosts at once: a duplicate from the sender's side (E4), racing itself.
      Promise.all(envelopes(ctx.corpus.scenarios.revokeRestoreEus, 3).map((e) => Promise.all(both.map((h) => ctx.actions.deliver('two-hosts', () => [h.url], [e]))))),
    ]);
    const runs = await Promise.all(started.map((id) => ctx.actions.waitForRun(id, ctx.short ? 45_000 : 90_000)));
    // The version the primary used before (backups still need it): both hosts asked at once to retire it (I3).
    const billing = ctx.rig.parts.estate.protectors.find((p) => p.id === 'billing-sql');
    const vault = billing?.members.find((m) => m.role === 'primary')?.vault ?? '';
    const previous = ctx.rig.parts.kv.keyVersions(vault, billing?.keyName ?? '').filter((v) => v.enabled).at(-2)?.version;
    const retires = previous ? await Promise.all(both.map((h) => ctx.actions.retire(h, 'billing-sql', vault, previous, 'two-hosts'))) : [];
    return {
      retirePrevious: retires.map((r) => r.status),
      concurrentStarts: starts.map((r) => r.status),
      runsStarted: started.length,
      runs: runs.map((r) => r?.status),
      itsmRequestIds: [...new Set(itsmIds)],
    };
  },
};
