// Lookups from what an event names (an identity, a key, a vault, an ARM resource) to the protector members
// it concerns. Built once per estate; every lookup is a Map get, so matching stays O(1) per event.
import type { Estate, Member, Protector } from './model.js';

export interface MemberRef {
  readonly protector: Protector;
  readonly member: Member;
  readonly index: number;
  /** The protector's member vaults: where an access by this member to the protector key counts. */
  readonly protectorVaults: ReadonlySet<string>;
}

export interface EstateIndex {
  readonly estate: Estate;
  /** principalId (object id) → members using that identity. */
  readonly byPrincipal: ReadonlyMap<string, readonly MemberRef[]>;
  /** member resourceId (the `xms_mirid` of a system-assigned identity, or the ARM target of an activity record). */
  readonly byResource: ReadonlyMap<string, readonly MemberRef[]>;
  /** `vault/key` → protectors whose key lives in that vault (as some member's vault). */
  readonly protectorsByKey: ReadonlyMap<string, readonly Protector[]>;
  /** vault → protectors with a member in it. */
  readonly protectorsByVault: ReadonlyMap<string, readonly Protector[]>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

export function indexEstate(estate: Estate): EstateIndex {
  const byPrincipal = new Map<string, MemberRef[]>();
  const byResource = new Map<string, MemberRef[]>();
  const protectorsByKey = new Map<string, Protector[]>();
  const protectorsByVault = new Map<string, Protector[]>();
  for (const protector of estate.protectors) {
    const protectorVaults = new Set(protector.members.map((m) => m.vault));
    protector.members.forEach((member, index) => {
      const ref: MemberRef = { protector, member, index, protectorVaults };
      if (member.principalId) push(byPrincipal, member.principalId, ref);
      push(byResource, member.resourceId, ref);
      push(protectorsByKey, `${member.vault}/${protector.keyName}`, protector);
      push(protectorsByVault, member.vault, protector);
    });
  }
  return { estate, byPrincipal, byResource, protectorsByKey, protectorsByVault };
}

/** Distinct member vaults of a protector, in member order (primary first when listed first). */
export function protectorVaults(protector: Protector): string[] {
  return [...new Set(protector.members.map((m) => m.vault))];
}
