// geo_key_material_missing (DESIGN.md §1, §4.3): every geo vault of a protector must hold identical key
// material for the current protector AND every previous version still needed (backups, logs, replicas).
// Identical material has the same RFC 7638 thumbprint in every vault although the version ids differ, so the
// comparison is by thumbprint, never by version id.
//
// "Needed" is read from the inventory snapshot: a thumbprint enabled in any member vault is needed by the
// protector (a version is kept enabled exactly while something may need it, §1). A vault lacking it, or
// holding it only disabled, cannot serve a replica that fails over or restores a backup there.
import type { Estate, InventoryVersion, Protector } from '../estate/model.js';
import type { Finding } from '../report.js';

/** Distinct member vaults of a protector, in member order (several members may share one vault). */
function memberVaults(protector: Protector): string[] {
  return [...new Set(protector.members.map((m) => m.vault))];
}

function versionsIn(estate: Estate, vault: string, keyName: string): readonly InventoryVersion[] | undefined {
  return estate.inventory.get(vault)?.get(keyName);
}

/**
 * True when at least one member vault has an inventory entry for the protector's key. When false nothing is
 * known about the key material, and callers must say "unknown" rather than "consistent".
 * A member vault without an entry while another has one counts as holding no version of the key.
 */
export function inventoryKnown(estate: Estate, protector: Protector): boolean {
  return memberVaults(protector).some((vault) => versionsIn(estate, vault, protector.keyName) !== undefined);
}

/**
 * One finding per (protector, vault) whose vault lacks, or holds only disabled, a needed thumbprint.
 * Deterministic: findings sorted by vault, detail arrays sorted, `heldBy` keys inserted in sorted order.
 */
export function checkGeoKeyMaterial(estate: Estate, protector: Protector): Finding[] {
  const vaults = memberVaults(protector);
  if (vaults.length < 2 || !inventoryKnown(estate, protector)) return [];

  // thumbprint → vaults holding it enabled; thumbprint → vaults holding it at all.
  const enabledIn = new Map<string, Set<string>>();
  const presentIn = new Map<string, Set<string>>();
  for (const vault of vaults) {
    for (const v of versionsIn(estate, vault, protector.keyName) ?? []) {
      addTo(presentIn, v.thumbprint, vault);
      if (v.enabled) addTo(enabledIn, v.thumbprint, vault);
    }
  }
  const needed = [...enabledIn.keys()].sort();

  const findings: Finding[] = [];
  for (const vault of [...vaults].sort()) {
    const missing: string[] = [];
    const disabled: string[] = [];
    for (const thumbprint of needed) {
      if (enabledIn.get(thumbprint)?.has(vault)) continue;
      (presentIn.get(thumbprint)?.has(vault) ? disabled : missing).push(thumbprint);
    }
    if (missing.length === 0 && disabled.length === 0) continue;
    const heldBy: Record<string, string[]> = {};
    for (const thumbprint of [...missing, ...disabled].sort()) {
      heldBy[thumbprint] = [...(enabledIn.get(thumbprint) ?? [])].sort();
    }
    findings.push({ code: 'geo_key_material_missing', protector: protector.id, vault, detail: { missing, disabled, heldBy } });
  }
  return findings;
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (set) set.add(value);
  else index.set(key, new Set([value]));
}
