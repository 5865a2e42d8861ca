// The fold: events in, per-protector state out. The state is a *set* of relevant events (keyed by event id)
// plus, per member, the sorted set of instants its identity successfully used the key. Both are insensitive to
// order and duplication by construction (invariant I5); every decision is taken later, by `derive*`, from the
// whole set at a given `now`.
import type { KeyEvent } from '../events/keyEvent.js';
import type { EstateIndex, MemberRef } from '../estate/index.js';
import type { InventoryVersion, Protector } from '../estate/model.js';
import type { Millis } from '../time.js';

export interface ProtectorState {
  readonly protector: Protector;
  /** Relevant events other than successful accesses, by id. */
  readonly events: Map<string, KeyEvent>;
  /** Per member index: sorted, unique instants of successful key use by the member's identity. */
  readonly successes: Millis[][];
  /** Versions of the protector key read live from each member vault (reconcile); replaces the estate's snapshot. */
  liveInventory?: ReadonlyMap<string, readonly InventoryVersion[]>;
}

export interface FoldState {
  readonly index: EstateIndex;
  /**
   * States of the protectors some event concerned, made on first use (protectorState): a batch of a few records
   * costs nothing for the thousands of protectors it does not touch.
   */
  readonly protectors: Map<string, ProtectorState>;
  /** Latest instant of any valid event seen (matched or not): the replay's default `now`. */
  latestEventTime: Millis | null;
}

export function createFoldState(index: EstateIndex): FoldState {
  return { index, protectors: new Map(), latestEventTime: null };
}

export function emptyProtectorState(protector: Protector): ProtectorState {
  return { protector, events: new Map(), successes: protector.members.map(() => []) };
}

/** The protector's state in this fold, made empty on first use. */
export function protectorState(state: FoldState, protector: Protector): ProtectorState {
  let ps = state.protectors.get(protector.id);
  if (!ps) {
    ps = emptyProtectorState(protector);
    state.protectors.set(protector.id, ps);
  }
  return ps;
}

/** Inserts into a sorted unique array; O(1) for the common in-order case. */
export function insertSorted(list: Millis[], t: Millis): void {
  const n = list.length;
  if (n === 0 || (list[n - 1] as number) < t) {
    list.push(t);
    return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] !== t) list.splice(lo, 0, t);
}

const NO_MEMBERS: readonly MemberRef[] = [];

/** Members an identity belongs to, by `oid` and/or `xms_mirid`. Allocates only when both match different members. */
function identityMembers(index: EstateIndex, oid: string | null, mirid: string | null): readonly MemberRef[] {
  const byOid = oid ? index.byPrincipal.get(oid) : undefined;
  const byMirid = mirid ? index.byResource.get(mirid) : undefined;
  if (!byOid) return byMirid ?? NO_MEMBERS;
  if (!byMirid || byMirid.every((r) => byOid.includes(r))) return byOid;
  return [...byOid, ...byMirid.filter((r) => !byOid.includes(r))];
}

function store(state: FoldState, protector: Protector, event: KeyEvent): void {
  protectorState(state, protector).events.set(event.id, event);
}

/**
 * Applies one normalised event. Returns true when the event concerns some protector of the estate.
 * Matching rules (DESIGN.md §4.1): an access belongs to a member when its `oid` equals the member's
 * principalId or its `xms_mirid` equals the member's resourceId, and it touched the protector's key in one
 * of the protector's vaults. Changes to a key, a vault or an ARM resource belong to the protectors that use it.
 */
export function applyEvent(state: FoldState, event: KeyEvent): boolean {
  if (state.latestEventTime === null || event.time > state.latestEventTime) state.latestEventTime = event.time;
  const index = state.index;
  switch (event.kind) {
    case 'key-access': {
      let matched = false;
      for (const ref of identityMembers(index, event.identity.oid, event.identity.mirid)) {
        const p = ref.protector;
        if (p.keyName !== event.key.key || !ref.protectorVaults.has(event.key.vault)) continue;
        matched = true;
        if (event.outcome === 'success') {
          const list = protectorState(state, p).successes[ref.index];
          if (list) insertSorted(list, event.time);
        } else store(state, p, event);
      }
      return matched;
    }
    case 'key-version-created':
    case 'key-attributes-changed':
    case 'key-deleted':
    case 'key-purged':
    case 'key-recovered':
    case 'key-near-expiry':
    case 'key-expired': {
      const protectors = index.protectorsByKey.get(`${event.key.vault}/${event.key.key}`) ?? [];
      for (const p of protectors) store(state, p, event);
      return protectors.length > 0;
    }
    case 'vault-config':
    case 'vault-deleted':
    case 'vault-recovered':
    case 'vault-purged':
    case 'access-policy-changed': {
      const protectors = index.protectorsByVault.get(event.vault) ?? [];
      for (const p of protectors) store(state, p, event);
      return protectors.length > 0;
    }
    case 'role-assignment': {
      // A Start record may carry the principal while its Success record does not (and vice versa): keep both
      // halves when either names a member, or when the scope reaches a protector vault.
      const refs = event.principalId ? index.byPrincipal.get(event.principalId) ?? [] : [];
      const protectors = new Set<Protector>(refs.map((r) => r.protector));
      if (event.scope) {
        for (const [vault, ps] of index.protectorsByVault) {
          if (scopeCoversVault(event.scope, vault, index.estate.vaults.get(vault)?.resourceId ?? null)) ps.forEach((p) => protectors.add(p));
        }
      }
      for (const p of protectors) store(state, p, event);
      return protectors.size > 0;
    }
    case 'sql-protector-set':
    case 'sql-server-key':
    case 'sql-server-write':
    case 'sql-database-state': {
      const refs = index.byResource.get(event.server) ?? [];
      for (const ref of refs) store(state, ref.protector, event);
      return refs.length > 0;
    }
    case 'sql-geo-change':
      // Not stored: discovery reads the topology it leads to (ingestion hands these to it). Matched when it concerns a member.
      return event.server !== null && index.byResource.has(event.server);
    case 'identity-removed': {
      const refs = index.byResource.get(event.resourceId) ?? [];
      for (const ref of refs) store(state, ref.protector, event);
      return refs.length > 0;
    }
    case 'cosmos-account-write': {
      const refs = index.byResource.get(event.account) ?? [];
      for (const ref of refs) store(state, ref.protector, event);
      return refs.length > 0;
    }
  }
}

/**
 * An RBAC scope covers a vault when it is the vault itself or an ancestor of it (resource group, subscription,
 * management group). When the estate does not give the vault's resource id, a scope naming the vault by its
 * (globally unique) name still counts, and a scope with no provider segment (subscription or resource group) is
 * assumed to cover it: a removal there is treated as a risk rather than missed.
 */
export function scopeCoversVault(scope: string, vault: string, vaultResourceId: string | null): boolean {
  const s = scope.toLowerCase().replace(/\/+$/, '');
  // Management-group scopes sit above every subscription; the estate does not say which group holds which.
  if (s.includes('/providers/microsoft.management/managementgroups/') || s === '/') return true;
  if (vaultResourceId) return vaultResourceId === s || vaultResourceId.startsWith(`${s}/`);
  if (s.endsWith(`/microsoft.keyvault/vaults/${vault}`)) return true;
  return !s.includes('/providers/');
}
