// Which inventory entry is the key's current version. Key Vault's "current" is the most recently created
// version; a snapshot without creation times falls back to the last enabled entry, as listed.
import type { InventoryVersion } from '../estate/model.js';

/**
 * The version with the latest `created` (a later entry wins a tie) — even when disabled, so a disabled
 * current version is reported rather than silently skipped. Without any `created`: the last enabled entry,
 * or undefined when none is enabled.
 */
export function currentVersion(versions: readonly InventoryVersion[]): InventoryVersion | undefined {
  let latest: InventoryVersion | undefined;
  let latestAt = -Infinity;
  for (const v of versions) {
    if (v.created !== null && v.created >= latestAt) {
      latest = v;
      latestAt = v.created;
    }
  }
  return latest ?? versions.findLast((v) => v.enabled);
}
