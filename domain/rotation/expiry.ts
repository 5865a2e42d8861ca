// The expiry of a version a rotation makes. Key Vault sets none on an imported version, and none on a rotated one
// unless the key has a rotation policy with an expiry time; a key whose versions expire (often required by Azure
// Policy: "Key Vault keys should have an expiration date") would otherwise get a current version that never does.
// The new version keeps the lifetime of the key's newest expiring version — the one it succeeds, or, when that one
// lost its expiry (an import before this rule, a rotation without a policy expiry), the newest that still has one.
import type { InventoryVersion } from '../estate/model.js';
import type { Millis } from '../time.js';

type Dated = Pick<InventoryVersion, 'version' | 'enabled' | 'exp' | 'nbf' | 'created'>;

/** exp − its start (the later of nbf and created, whichever are known); null without an expiry, a start, or a positive span. */
function lifetimeOf(v: Dated): Millis | null {
  const starts = [v.nbf, v.created].filter((t): t is Millis => t !== null);
  if (v.exp === null || starts.length === 0) return null;
  const lifetime = v.exp - Math.max(...starts);
  return lifetime > 0 ? lifetime : null;
}

/**
 * `startMs` (the new version's creation) + the lifetime of the newest enabled version with one, `except` the new version
 * itself; null when no version of the key has a lifetime (the key's versions do not expire).
 */
export function successorExpiry(versions: readonly Dated[], startMs: Millis, except?: string): Millis | null {
  const source = versions
    .filter((v) => v.enabled && v.version !== except && lifetimeOf(v) !== null)
    .reduce<Dated | undefined>((newest, v) => (newest === undefined || (v.created ?? -Infinity) >= (newest.created ?? -Infinity) ? v : newest), undefined);
  const lifetime = source ? lifetimeOf(source) : null;
  return lifetime === null ? null : startMs + lifetime;
}
