// Key Vault in trouble (reliability.md, K12): while an orders-sql rotation and a Cosmos client encryption key
// rewrap campaign run, every vault answers 429 (Retry-After 1 s), then 503, then 500, then slowly — each storm a few
// seconds, as a regional failover storm is. Meanwhile the previous version of the Always Encrypted key is asked to be
// retired while client encryption keys are still wrapped under it. The runs must finish once the vaults recover, one
// new version per vault, and the retirement must be refused.
import { sleep } from '../api.js';
import { hostOf, type Phase } from './phase.js';

export const keyVaultStorm: Phase = {
  name: 'keyvault-storm',
  budgetMs: (short) => (short ? 90_000 : 180_000),
  async run(ctx) {
    const host = hostOf(ctx, 'A');
    const kv = ctx.rig.parts.kv;
    const storm = ctx.short ? 2_500 : 5_000;
    const cards = ctx.rig.parts.estate.protectors.find((p) => p.id === 'cards-ae');
    const vault = cards?.members[0]?.vault ?? 'kv-demo-cosmos';
    const before = kv.keyVersions(vault, cards?.keyName ?? 'cards-cmk').filter((v) => v.enabled).at(-1)?.version ?? '';
    const toVersion = await ctx.actions.newVersion(vault, cards?.keyName ?? 'cards-cmk');
    const [runId, rewrapId] = await Promise.all([ctx.actions.rotate(host, 'orders-sql', 'keyvault-storm'), ctx.actions.rewrap(host, 'cards-ae', toVersion, 'keyvault-storm')]);
    const storms: string[] = [];
    const during = async (label: string, fault: Parameters<typeof kv.inject>[0], ms: number): Promise<void> => {
      kv.inject({ ...fault, durationMs: ms });
      storms.push(`${label} ${ms} ms`);
      await sleep(ms);
    };
    await during('429 Retry-After 1 s', { status: 429, retryAfterSeconds: 1 }, storm);
    const retire = await ctx.actions.retire(host, 'cards-ae', vault, before, 'keyvault-storm');
    await during('503', { status: 503, retryAfterSeconds: 1 }, storm);
    await during('500', { status: 500 }, Math.round(storm / 2));
    await during('latency 400 ms', { latencyMs: 400 }, storm);
    kv.clearFaults();
    const ended = runId ? await ctx.actions.waitForRun(runId, ctx.short ? 60_000 : 120_000) : null;
    return { storms, rotation: { id: runId, status: ended?.status }, rewrap: rewrapId, retireWhileWrapped: retire.status };
  },
};
