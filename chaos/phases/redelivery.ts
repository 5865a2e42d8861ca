// Event Hubs–style redelivery (reliability.md E-2, E-3, E-4; I4, I5): every record of every scenario, and whole
// messages that are not JSON, go through the Event Hubs trigger's handler (eventHubsHost.ts: a keysteward instance of
// the suite's own — there is no Event Hubs emulator) in order on one partition; then again as a replay after a lost
// checkpoint (same partition, same sequence numbers); then shuffled, split differently and duplicated inside the batch
// on another partition; and finally shuffled and split once more as Event Grid deliveries spread over both hosts.
// Nothing may change state or alert a second time.
import { envelopes } from '../corpus.js';
import type { EventHubsBatch } from '../eventHubs.js';
import type { Phase, PhaseContext } from './phase.js';

/** A seeded shuffle (mulberry32): the same run shuffles the same way, so a failure can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Messages in batches of `perBatch`, numbered from `first` on `partitionId`. */
function batches(partitionId: string, messages: readonly unknown[], perBatch: number, first: number): EventHubsBatch[] {
  const out: EventHubsBatch[] = [];
  for (let i = 0; i < messages.length; i += perBatch) out.push({ partitionId, messages: messages.slice(i, i + perBatch), firstSequence: first + i });
  return out;
}

async function feed(ctx: PhaseContext, list: readonly EventHubsBatch[]): Promise<number> {
  let acked = 0;
  for (const b of list) if ((await ctx.eventHubs.deliver('redelivery', b)).acknowledged) acked++;
  return acked;
}

export const redelivery: Phase = {
  name: 'redelivery',
  budgetMs: (short) => (short ? 60_000 : 120_000),
  async run(ctx) {
    const all = Object.values(ctx.corpus.scenarios).flat();
    const inOrder = [...envelopes(all, 4), ...ctx.corpus.invalidMessages];
    const first = batches('chaos-0', inOrder, 3, 1);
    const replay = batches('chaos-0', inOrder, 3, 1);
    const reshuffled = shuffled(envelopes(shuffled(all, 7), 7), 11).flatMap((e) => [e, e]);
    const third = batches('chaos-1', reshuffled, 4, 1_000);
    const acked = { inOrder: await feed(ctx, first), replay: await feed(ctx, replay), shuffledDuplicated: await feed(ctx, third) };
    const gridAcked = await ctx.actions.deliver('redelivery', () => ctx.rig.urls(), envelopes(shuffled(all, 13), 5), { parallel: 2 });
    return {
      records: all.length,
      eventHubsBatches: { inOrder: `${acked.inOrder}/${first.length}`, replay: `${acked.replay}/${replay.length}`, shuffledDuplicated: `${acked.shuffledDuplicated}/${third.length}` },
      eventGridDeliveries: gridAcked,
      via: 'the Event Hubs trigger handler (functions/list.ts kvAudit) in the suite\'s Event Hubs host process (chaos/eventHubsHost.ts); the Event Grid route of hosts A and B',
    };
  },
};
