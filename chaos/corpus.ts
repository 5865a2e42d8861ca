// The records the suite feeds keysteward, made the way production sees them: the Key Vault emulator's own AuditEvent
// records of the members' key reads while their access is revoked and restored (a firewall closed, a grant removed),
// a Key Vault Event Grid event, and records every schema rejects. Made once, before any fault, then moved three hours
// into the past (late delivery, as Event Hubs allows): every incident is then past its autoheal deadline, so its stage
// cannot change while the suite runs and the chaotic and the clean runs judge the same thing.
import type { LocalParts } from '../hosts/local/stack.js';
import { simulateMemberTraffic } from '../hosts/local/traffic.js';
import type { AuditRecord } from '../emulators/keyvault/index.js';

/** One scenario per phase that ingests: each opens (and some resolve) incidents of their own. */
export type ScenarioName = 'revokeRestoreWus' | 'revokeNeu' | 'firewallCosmos' | 'revokeRestoreEus';

export interface Corpus {
  /** Records per scenario, in the order they happened, each scenario with its malformed records mixed in. */
  readonly scenarios: Readonly<Record<ScenarioName, readonly unknown[]>>;
  /** Whole Event Hubs messages that are not JSON at all (the poison path for a message). */
  readonly invalidMessages: readonly string[];
}

export const SHIFT_MS = 3 * 3_600_000;
const READ = ['get', 'wrapKey', 'unwrapKey'] as const;

function shifted(iso: string): string {
  return new Date(Date.parse(iso) - SHIFT_MS).toISOString();
}

function malformed(scenario: string): unknown[] {
  return [
    { category: 'AuditEvent', operationName: 'KeyGet', correlationId: `chaos-${scenario}-no-time`, properties: { httpStatusCode: 200 } },
    { chaos: 'unrecognised record', scenario },
    { id: `chaos-${scenario}-no-key`, eventType: 'Microsoft.KeyVault.KeyNearExpiry', eventTime: shifted(new Date().toISOString()), data: { ObjectType: 'Key' } },
  ];
}

/** Interleaves `extra` into `records` at even spacing (a delivery mixes good and bad records). */
function mixIn(records: readonly unknown[], extra: readonly unknown[]): unknown[] {
  const out = [...records];
  extra.forEach((e, i) => out.splice(Math.floor(((i + 1) * out.length) / (extra.length + 1)) + i, 0, e));
  return out;
}

export async function buildCorpus(parts: LocalParts): Promise<Corpus> {
  const { kv, estate } = parts;
  const traffic = simulateMemberTraffic(kv, estate, 0);
  const member = (server: string) => {
    for (const p of estate.protectors) for (const m of p.members) if (m.resourceId.toLowerCase().endsWith(`/${server}`)) return { ...m, keyName: p.keyName };
    throw new Error(`no member ${server} in the estate`);
  };
  const wus = member('sql-orders-wus');
  const neu = member('sql-orders-neu');
  const eus = member('sql-orders-eus');
  const catalog = member('cosmos-catalog');
  const cards = member('cosmos-cards');
  /** The members' own audit records written while `steps` ran (the 401 challenges carry no identity and are left out). */
  const during = async (oids: ReadonlyArray<string | null | undefined>, steps: () => Promise<void>): Promise<unknown[]> => {
    const from = kv.auditLog().length;
    await steps();
    const wanted = new Set(oids.filter((o): o is string => typeof o === 'string').map((o) => o.toLowerCase()));
    return kv
      .auditLog()
      .slice(from)
      .filter((r) => wanted.has(String(r.identity?.claim['oid'] ?? '').toLowerCase()))
      .map((r: AuditRecord) => ({ ...r, time: shifted(r.time) }));
  };
  const everyone = estate.protectors.flatMap((p) => p.members.map((m) => m.principalId));

  const baseline = await during(everyone, () => traffic.tick());
  /** A member's grant removed, its next reads denied, and (when `restore`) the grant back and a read that succeeds. */
  const revoked = (m: typeof wus, restore: boolean): Promise<unknown[]> =>
    during([m.principalId], async () => {
      kv.revoke(m.vault, m.principalId as string);
      await traffic.tick();
      await traffic.tick();
      kv.grant(m.vault, m.principalId as string, [...READ]);
      if (restore) await traffic.tick();
    });
  const wusRecords = await revoked(wus, true);
  const neuRecords = await revoked(neu, false);
  const cosmosRecords = await during([catalog.principalId], async () => {
    kv.setNetworkAcls(catalog.vault, { defaultAction: 'Deny', bypass: 'None' });
    await traffic.tick();
    await traffic.tick();
    kv.setNetworkAcls(catalog.vault, null);
  });
  const eusRecords = await revoked(eus, true);
  traffic.stop();

  // Key Vault tells Event Grid that the Always Encrypted key's current version expires in 20 days.
  const current = kv.keyVersions(cards.vault, cards.keyName).at(-1);
  const nearExpiry = {
    id: 'chaos-near-expiry-1',
    topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-keysteward-local/providers/Microsoft.KeyVault/vaults/${cards.vault}`,
    subject: cards.keyName,
    eventType: 'Microsoft.KeyVault.KeyNearExpiry',
    eventTime: shifted(new Date().toISOString()),
    data: { Id: current?.kid, VaultName: cards.vault, ObjectType: 'Key', ObjectName: cards.keyName, Version: current?.version, NBF: null, EXP: Math.floor(Date.now() / 1000) + 20 * 86_400 },
    dataVersion: '1',
    metadataVersion: '1',
  };

  return {
    scenarios: {
      revokeRestoreWus: mixIn([...baseline, ...wusRecords, nearExpiry], malformed('wus')),
      revokeNeu: mixIn(neuRecords, malformed('neu')),
      firewallCosmos: mixIn(cosmosRecords, malformed('cosmos')),
      revokeRestoreEus: mixIn(eusRecords, malformed('eus')),
    },
    invalidMessages: ['{"records": [ {"category": "AuditEvent", truncated by the sender', 'not json at all'],
  };
}

/** `records` in envelopes of at most `size` records (`{"records":[...]}`, what both Event Hubs and the host's Event Grid route read). */
export function envelopes(records: readonly unknown[], size: number): Array<{ records: unknown[] }> {
  const out: Array<{ records: unknown[] }> = [];
  for (let i = 0; i < records.length; i += size) out.push({ records: records.slice(i, i + size) });
  return out;
}
