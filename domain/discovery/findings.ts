// Facts discovery reads that make rules (DESIGN.md §1): each a finding naming the protector, the resource and the read
// it rests on. Failover storms (more databases behind one vault than it should carry), a vault without purge
// protection, a key without expiry, a versioned protector with auto-rotation on (auto-rotation follows new versions of
// a versionless key only).
import type { DiscoveryFacts } from './facts.js';
import { buildDiscoveredEstate, type DiscoveredEstate, type DiscoveryFinding } from './topology.js';

/** Databases per vault above which a vault outage or throttling fails many databases over at once (DESIGN.md §1). */
export const VAULT_DATABASE_LIMITS: Readonly<Record<string, number>> = { GeneralPurpose: 500, BusinessCritical: 200 };

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function preflightFindings(facts: DiscoveryFacts, estate: Pick<DiscoveredEstate, 'protectors' | 'vaults'>): DiscoveryFinding[] {
  const out: DiscoveryFinding[] = [];
  const servers = new Map(facts.sqlServers.map((s) => [s.id, s]));

  // Databases behind each vault, by tier: every SQL member whose protector lives there.
  const perVault = new Map<string, { tiers: Record<string, number>; protectors: Set<string> }>();
  for (const p of estate.protectors) {
    if (p.kind !== 'sql-tde') continue;
    for (const m of p.members) {
      const s = servers.get(m.resourceId);
      if (!s || m.vault === '') continue;
      const entry = perVault.get(m.vault) ?? { tiers: {}, protectors: new Set<string>() };
      entry.protectors.add(p.id);
      for (const [tier, n] of Object.entries(s.databases.byTier)) entry.tiers[tier] = (entry.tiers[tier] ?? 0) + n;
      perVault.set(m.vault, entry);
    }
  }
  for (const vault of [...perVault.keys()].sort(byString)) {
    const entry = perVault.get(vault) as { tiers: Record<string, number>; protectors: Set<string> };
    const over = Object.entries(VAULT_DATABASE_LIMITS).filter(([tier, limit]) => (entry.tiers[tier] ?? 0) > limit);
    if (over.length === 0) continue;
    const protectors = [...entry.protectors].sort(byString);
    out.push({
      code: 'vault_failover_storm_risk',
      protector: protectors[0] ?? null,
      resource: vault,
      vault,
      source: 'Microsoft.Sql/servers/databases (sku.tier)',
      detail: { databases: entry.tiers, limits: Object.fromEntries(over), protectors },
    });
  }

  for (const v of estate.vaults) {
    if (v.purgeProtection === true) continue;
    const users = estate.protectors.filter((p) => p.members.some((m) => m.vault === v.name)).map((p) => p.id);
    out.push({ code: 'vault_purge_protection_disabled', protector: users[0] ?? null, resource: v.id, vault: v.name, source: 'Microsoft.KeyVault/vaults (properties.enablePurgeProtection)', detail: { purgeProtection: v.purgeProtection, protectors: users } });
  }

  const keys = new Map(facts.keys.map((k) => [`${k.vault}/${k.name}`, k]));
  for (const p of estate.protectors) {
    for (const vault of [...new Set(p.members.map((m) => m.vault))].sort(byString)) {
      const k = keys.get(`${vault}/${p.keyName}`);
      if (k?.expires === false) {
        out.push({ code: 'key_without_expiry', protector: p.id, resource: `${vault}/${p.keyName}`, vault, source: 'Key Vault key attributes and rotation policy', detail: { key: p.keyName } });
      }
    }
    if (p.autoRotation === true && p.keyVersioned) {
      const primary = p.members[0];
      out.push({
        code: 'versioned_key_with_autorotation',
        protector: p.id,
        resource: primary?.resourceId ?? p.id,
        vault: primary?.vault ?? null,
        source: 'Microsoft.Sql/servers/encryptionProtector (autoRotationEnabled, serverKeyName)',
        detail: { reason: 'auto-rotation follows new versions of a versionless key; this protector names one version' },
      });
    }
  }
  return out;
}

const compareFindings = (a: DiscoveryFinding, b: DiscoveryFinding): number =>
  byString(a.protector ?? '', b.protector ?? '') || byString(a.code, b.code) || byString(a.resource, b.resource);

/** Everything discovery decides from the facts: protectors, vaults and every finding, sorted. */
export function decideDiscovery(facts: DiscoveryFacts): DiscoveredEstate {
  const built = buildDiscoveredEstate(facts);
  return { ...built, findings: [...built.findings, ...preflightFindings(facts, built)].sort(compareFindings) };
}
