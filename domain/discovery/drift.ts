// Drift: the estate in use against what discovery found in Azure (issue 8). A discovered protector is matched to the
// estate's by its members' resource ids (an operator's own protector id and settings stay), and each difference is a
// finding: `unmanaged_cmk_resource` (a CMK server or account the estate does not list), `estate_topology_drift` (roles
// swapped by a failover, a secondary added or removed, a member's principal id changed, a protector no longer found),
// `protector_key_drift` (the key ARM says a member uses is not the one the estate names).
// The overlay is what of the discovered topology the service applies on top of the file without a restart: each
// member's role and principal id. Membership and keys are not overlaid — those are reported, and `keysteward discover
// --merge` writes them into the file — so an unexpected change in Azure can never silently widen what keysteward acts on.
import type { Estate, MemberRole, Protector } from '../estate/model.js';
import type { DiscoveredEstate, DiscoveredProtector } from './topology.js';

export type DriftCode = 'unmanaged_cmk_resource' | 'estate_topology_drift' | 'protector_key_drift';

export interface DriftFinding {
  readonly code: DriftCode;
  /** The estate's protector id; for an unmanaged resource, the id discovery would give it. */
  readonly protector: string;
  readonly vault: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface OverlayMember {
  readonly resourceId: string;
  readonly role: MemberRole;
  readonly principalId: string | null;
}

/** Per estate protector id: its members' discovered roles and principal ids. */
export interface EstateOverlay {
  readonly discoveredAt: string;
  readonly protectors: Readonly<Record<string, readonly OverlayMember[]>>;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The discovered protector sharing the most members with the estate's (ties: the smaller id), or null. */
export function matchOf(protector: Protector, discovered: readonly DiscoveredProtector[]): DiscoveredProtector | null {
  const ids = new Set(protector.members.map((m) => m.resourceId));
  let best: { d: DiscoveredProtector; shared: number } | null = null;
  for (const d of discovered) {
    if (d.kind !== protector.kind) continue;
    const shared = d.members.filter((m) => ids.has(m.resourceId)).length;
    if (shared > 0 && (best === null || shared > best.shared || (shared === best.shared && d.id < best.d.id))) best = { d, shared };
  }
  return best?.d ?? null;
}

export interface DriftInput {
  readonly estate: Estate;
  readonly discovered: Pick<DiscoveredEstate, 'protectors'>;
  /** Subscriptions discovery read in full: a protector whose members all live there and were not found is gone. */
  readonly readSubscriptions: ReadonlySet<string>;
}

const subscriptionOf = (resourceId: string): string => resourceId.split('/')[2] ?? '';

export function driftFindings(input: DriftInput): DriftFinding[] {
  const out: DriftFinding[] = [];
  const claimed = new Set<string>();
  for (const p of input.estate.protectors) {
    const d = matchOf(p, input.discovered.protectors);
    const vault = p.members[0]?.vault ?? '';
    if (!d) {
      if (p.members.every((m) => input.readSubscriptions.has(subscriptionOf(m.resourceId)))) {
        out.push({ code: 'estate_topology_drift', protector: p.id, vault, detail: { change: 'not_found', members: p.members.map((m) => m.resourceId) } });
      }
      continue;
    }
    claimed.add(d.id);
    const found = new Map(d.members.map((m) => [m.resourceId, m]));
    const listed = new Map(p.members.map((m) => [m.resourceId, m]));
    const estatePrimary = p.members.find((m) => m.role === 'primary')?.resourceId ?? null;
    const discoveredPrimary = d.members.find((m) => m.role === 'primary')?.resourceId ?? null;
    // Roles and membership a partial or ambiguous read guessed are not reported as drift (discovery's own findings
    // say what could not be read); keys and principal ids it did read still are.
    if (d.rolesCertain && estatePrimary !== discoveredPrimary && discoveredPrimary !== null && listed.has(discoveredPrimary)) {
      out.push({ code: 'estate_topology_drift', protector: p.id, vault: listed.get(discoveredPrimary)?.vault ?? vault, detail: { change: 'roles_swapped', estatePrimary, discoveredPrimary } });
    }
    for (const m of d.members) {
      if (d.rolesCertain && !listed.has(m.resourceId)) out.push({ code: 'estate_topology_drift', protector: p.id, vault: m.vault, detail: { change: 'member_added', member: m.resourceId, role: m.role } });
    }
    for (const m of p.members) {
      const seen = found.get(m.resourceId);
      if (!seen) {
        if (d.rolesCertain) out.push({ code: 'estate_topology_drift', protector: p.id, vault: m.vault, detail: { change: 'member_removed', member: m.resourceId } });
        continue;
      }
      if (seen.principalId !== null && m.principalId !== null && seen.principalId !== m.principalId) {
        out.push({ code: 'estate_topology_drift', protector: p.id, vault: m.vault, detail: { change: 'principal_changed', member: m.resourceId, estate: m.principalId, discovered: seen.principalId } });
      }
      if (seen.vault !== m.vault || d.keyName !== p.keyName) {
        out.push({ code: 'protector_key_drift', protector: p.id, vault: m.vault, detail: { member: m.resourceId, estate: `${m.vault}/${p.keyName}`, discovered: `${seen.vault}/${d.keyName}` } });
      }
    }
  }
  for (const d of input.discovered.protectors) {
    if (claimed.has(d.id)) continue;
    out.push({ code: 'unmanaged_cmk_resource', protector: d.id, vault: d.members[0]?.vault ?? '', detail: { kind: d.kind, key: d.keyName, members: d.members.map((m) => ({ resourceId: m.resourceId, role: m.role })), source: d.source } });
  }
  return out.sort((a, b) => byString(a.protector, b.protector) || byString(a.code, b.code) || byString(a.vault, b.vault) || byString(JSON.stringify(a.detail), JSON.stringify(b.detail)));
}

/**
 * The overlay for the estate: for each estate protector matched by discovery with certain roles (every part of its
 * group read, one primary agreed) and exactly one primary among the estate's own members, every estate member's
 * discovered role and principal id. A protector discovery could not judge this time — not found, or its roles a guess
 * from a partial read — keeps its entry of the `previous` overlay: a failed read never moves the primary, neither to a
 * guess nor back to the file's roles of before a failover.
 */
export function overlayFrom(estate: Estate, discovered: Pick<DiscoveredEstate, 'protectors'>, discoveredAt: string, previous: EstateOverlay | null = null): EstateOverlay {
  const protectors: Record<string, OverlayMember[]> = {};
  for (const p of estate.protectors) {
    const d = matchOf(p, discovered.protectors);
    const kept = previous?.protectors[p.id];
    if (!d || !d.rolesCertain) {
      if (kept) protectors[p.id] = [...kept];
      continue;
    }
    const found = new Map(d.members.map((m) => [m.resourceId, m]));
    const members = p.members.filter((m) => found.has(m.resourceId)).map((m) => found.get(m.resourceId) as DiscoveredProtector['members'][number]);
    if (members.filter((m) => m.role === 'primary').length !== 1) {
      if (kept) protectors[p.id] = [...kept];
      continue;
    }
    protectors[p.id] = members.map((m) => ({ resourceId: m.resourceId, role: m.role, principalId: m.principalId }));
  }
  return { discoveredAt, protectors };
}

/**
 * The estate in use: the file's, with each overlaid protector's member roles and principal ids as discovered. A
 * protector's overlay applies only when it still names exactly one primary among the protector's members; members the
 * overlay does not name keep the file's values (role secondary when the overlay's primary is another member).
 */
export function applyOverlay(estate: Estate, overlay: EstateOverlay | null): Estate {
  if (!overlay) return estate;
  let changed = false;
  const protectors = estate.protectors.map((p) => {
    const members = overlay.protectors[p.id];
    if (!members) return p;
    const byId = new Map(members.map((m) => [m.resourceId, m]));
    const primaries = p.members.filter((m) => byId.get(m.resourceId)?.role === 'primary');
    if (primaries.length !== 1) return p;
    const next = p.members.map((m) => {
      const o = byId.get(m.resourceId);
      const role: MemberRole = o ? o.role : m === primaries[0] ? 'primary' : 'secondary';
      const principalId = o?.principalId ?? m.principalId;
      return role === m.role && principalId === m.principalId ? m : { ...m, role, principalId };
    });
    if (next.every((m, i) => m === p.members[i])) return p;
    changed = true;
    return { ...p, members: next };
  });
  return changed ? { ...estate, protectors } : estate;
}
