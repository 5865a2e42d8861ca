// Replica ordering for rotations (DESIGN.md §1, §8 I2): setup and rotation run on the secondaries first, in
// the order the estate lists them, then on the primary. Key material lives per vault, not per member, so
// members sharing a vault are served by one install, attributed to the first of them in this order.
import type { Member, Protector } from '../estate/model.js';

/** Secondaries in estate order, then the primary (or primaries, should a malformed estate have several). */
export function membersInRoleOrder(protector: Protector): Member[] {
  return [...protector.members.filter((m) => m.role === 'secondary'), ...protector.members.filter((m) => m.role === 'primary')];
}

/** One member per distinct vault, the first in role order; the result is in role order too. */
export function vaultOwners(protector: Protector): Member[] {
  const seen = new Set<string>();
  const owners: Member[] = [];
  for (const m of membersInRoleOrder(protector)) {
    if (seen.has(m.vault)) continue;
    seen.add(m.vault);
    owners.push(m);
  }
  return owners;
}

/** Distinct member vaults in role order. */
export function distinctVaults(protector: Protector): string[] {
  return vaultOwners(protector).map((m) => m.vault);
}

export function primaryOf(protector: Protector): Member | undefined {
  return protector.members.find((m) => m.role === 'primary');
}
