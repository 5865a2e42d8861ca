// key_near_expiry: a version still needed (enabled or some member's current protector, in a live vault) expires within 30 days of `now`, or Key
// Vault said so (Event Grid KeyNearExpiry, whose lead time a rotation policy may set longer than 30 days).
// Already-expired needed versions are reported too: they are the most urgent case of the same finding.
import type { Finding } from '../report.js';
import type { ProtectorView } from '../health/view.js';
import { DAY, toIso, type Millis } from '../time.js';

export const NEAR_EXPIRY: Millis = 30 * DAY;

export function expiryFindings(view: ProtectorView, now: Millis): Finding[] {
  const out: Finding[] = [];
  // A member's current protector is needed even when disabled (that is an incident of its own, not a retirement).
  const current = new Set(view.currentVersion.filter((v): v is string => v !== null));
  for (const vault of view.vaults.values()) {
    if (vault.deleted || vault.keyDeleted) continue;
    const expiring = [...vault.versions.values()]
      .filter((v) => (v.enabled !== false || current.has(v.version)) && v.exp !== null && (v.exp <= now + NEAR_EXPIRY || v.nearExpiryNotified))
      .sort((a, b) => (a.exp as number) - (b.exp as number) || (a.version < b.version ? -1 : 1));
    if (expiring.length === 0) continue;
    out.push({
      code: 'key_near_expiry',
      protector: view.protector.id,
      vault: vault.name,
      detail: {
        versions: expiring.map((v) => ({ version: v.version, exp: toIso(v.exp as number), expired: (v.exp as number) <= now, notifiedByKeyVault: v.nearExpiryNotified })),
      },
    });
  }
  return out;
}
