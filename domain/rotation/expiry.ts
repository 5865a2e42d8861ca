// The expiry of a version a rotation makes. Key Vault sets none on an imported version, and none on a rotated one
// unless the key has a rotation policy with an expiry time; a key whose versions expire (often required by Azure
// Policy: "Key Vault keys should have an expiration date", which can deny the write) would otherwise get a current
// version that never does. The new version keeps the lifetime of the one it succeeds.
import type { InventoryVersion } from '../estate/model.js';
import type { Millis } from '../time.js';

/**
 * now + the previous version's lifetime (exp − nbf, or exp − created without nbf); null when the previous version has no
 * expiry or its lifetime cannot be told (no start, or not positive).
 */
export function successorExpiry(previous: Pick<InventoryVersion, 'exp' | 'nbf' | 'created'> | undefined, nowMs: Millis): Millis | null {
  if (!previous || previous.exp === null) return null;
  const start = previous.nbf ?? previous.created;
  if (start === null || previous.exp <= start) return null;
  return nowMs + (previous.exp - start);
}
