// What the operator's console shows of one protector at `now`: its incidents and findings (the same derivation as
// the API and the sweep), and from the same view each member's current key version and thumbprint, whether the
// geo-replica vaults agree, and when the next scheduled rotation is due. Pure: `now` is an argument.
import { withLiveInventory, type Estate, type Protector } from '../estate/model.js';
import type { ProtectorState } from '../health/fold.js';
import { deriveIncidents } from '../health/incidents.js';
import { buildProtectorView, newestVersion, type ProtectorView } from '../health/view.js';
import { compareFindings } from '../health/report.js';
import { deriveFindings } from '../findings/index.js';
import type { Finding, Incident } from '../report.js';
import { toIso, type Millis } from '../time.js';

export type Health = 'healthy' | 'at_risk' | 'access_lost' | 'inaccessible' | 'autoheal_expired';

/** Worst first is last: a protector's health is its worst open incident's stage. */
export const HEALTH_ORDER: readonly Health[] = ['healthy', 'at_risk', 'access_lost', 'inaccessible', 'autoheal_expired'];

export function healthOf(incidents: readonly Incident[]): Health {
  let worst = 0;
  for (const i of incidents) if (i.stage !== 'resolved') worst = Math.max(worst, HEALTH_ORDER.indexOf(i.stage as Health));
  return HEALTH_ORDER[worst] ?? 'healthy';
}

export interface MemberSummary {
  readonly role: string;
  readonly resourceId: string;
  readonly vault: string;
  readonly region: string | null;
  /** The member's current protector version (ARM record, or the newest enabled one in its vault); null when unknown. */
  readonly version: string | null;
  readonly thumbprint: string | null;
}

/** Findings that say the geo-replica vaults do not hold the same key material. */
export const GEO_FINDINGS: ReadonlySet<Finding['code']> = new Set(['geo_rotation_incomplete', 'geo_key_material_missing']);

export interface ProtectorSummaryView {
  readonly id: string;
  readonly kind: Protector['kind'];
  readonly keyName: string;
  readonly health: Health;
  readonly members: readonly MemberSummary[];
  /** Open incidents (stage other than resolved), most urgent first. */
  readonly incidents: readonly Incident[];
  readonly findings: readonly Finding[];
  readonly geoConsistent: boolean;
  /** When the next scheduled rotation is due (newest version in the primary's vault + rotation.every); null when none is scheduled or the age is unknown. */
  readonly nextRotationAt: string | null;
}

/** The instant that matters first for an incident: Inaccessible if still ahead, else the autoheal deadline, else when it opened. */
export function urgencyOf(i: Incident, now: Millis): number {
  const inaccessible = i.inaccessibleAt ? Date.parse(i.inaccessibleAt) : NaN;
  if (Number.isFinite(inaccessible) && inaccessible > now) return inaccessible;
  const autoheal = i.autohealDeadline ? Date.parse(i.autohealDeadline) : NaN;
  if (Number.isFinite(autoheal)) return autoheal;
  return Date.parse(i.openedAt);
}

const STAGE_RANK: Readonly<Record<Incident['stage'], number>> = { autoheal_expired: 0, inaccessible: 1, access_lost: 2, at_risk: 3, resolved: 4 };

/** Most urgent first: worst stage, then the soonest deadline, then (protector, member, cause) for a stable order. */
export function compareUrgency(now: Millis): (a: Incident, b: Incident) => number {
  return (a, b) =>
    STAGE_RANK[a.stage] - STAGE_RANK[b.stage] ||
    urgencyOf(a, now) - urgencyOf(b, now) ||
    (a.protector < b.protector ? -1 : a.protector > b.protector ? 1 : 0) ||
    (a.member < b.member ? -1 : a.member > b.member ? 1 : 0) ||
    (a.cause < b.cause ? -1 : a.cause > b.cause ? 1 : 0);
}

function nextRotation(view: ProtectorView): string | null {
  const rotation = view.protector.rotation;
  const primary = view.protector.members.find((m) => m.role === 'primary');
  if (!rotation || !primary) return null;
  const vault = view.vaults.get(primary.vault);
  const newest = vault ? newestVersion(vault) : null;
  return newest?.createdAt != null ? toIso(newest.createdAt + rotation.every) : null;
}

export function summariseProtector(estate: Estate, ps: ProtectorState, now: Millis): ProtectorSummaryView {
  const effective = ps.liveInventory ? withLiveInventory(estate, ps.protector.keyName, ps.liveInventory) : estate;
  const view = buildProtectorView(effective, ps, now);
  const all = deriveIncidents(effective, ps, now, view);
  const findings = deriveFindings(effective, view, now).sort(compareFindings);
  const open = all.filter((i) => i.stage !== 'resolved').sort(compareUrgency(now));
  const p = ps.protector;
  return {
    id: p.id,
    kind: p.kind,
    keyName: p.keyName,
    health: healthOf(open),
    members: p.members.map((m, n) => {
      const version = view.currentVersion[n] ?? null;
      return {
        role: m.role,
        resourceId: m.resourceId,
        vault: m.vault,
        region: estate.vaults.get(m.vault)?.region ?? null,
        version,
        thumbprint: version ? (view.vaults.get(m.vault)?.versions.get(version)?.thumbprint ?? null) : null,
      };
    }),
    incidents: open,
    findings,
    geoConsistent: !findings.some((f) => GEO_FINDINGS.has(f.code)),
    nextRotationAt: nextRotation(view),
  };
}

/** Every version of the protector key each member vault holds, newest first, with the members that use it. */
export interface VaultVersions {
  readonly vault: string;
  readonly versions: ReadonlyArray<{ readonly version: string; readonly createdAt: string | null; readonly enabled: boolean | null; readonly thumbprint: string | null; readonly expiresAt: string | null; readonly usedBy: readonly string[] }>;
}

export function versionsPerVault(estate: Estate, ps: ProtectorState, now: Millis): VaultVersions[] {
  const effective = ps.liveInventory ? withLiveInventory(estate, ps.protector.keyName, ps.liveInventory) : estate;
  const view = buildProtectorView(effective, ps, now);
  return [...view.vaults.values()].map((vault) => ({
    vault: vault.name,
    versions: [...vault.versions.values()]
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || (a.version < b.version ? -1 : 1))
      .map((v) => ({
        version: v.version,
        createdAt: v.createdAt === null ? null : toIso(v.createdAt),
        enabled: v.enabled,
        thumbprint: v.thumbprint,
        expiresAt: v.exp === null ? null : toIso(v.exp),
        usedBy: ps.protector.members.filter((m, n) => m.vault === vault.name && view.currentVersion[n] === v.version).map((m) => m.resourceId),
      })),
  }));
}

/** The events that changed the protector's state, newest first (at most `limit`): what the timeline shows. */
export function timelineOf(estate: Estate, ps: ProtectorState, now: Millis, limit: number): ProtectorView['events'] {
  const view = buildProtectorView(estate, ps, now);
  return [...view.events].reverse().slice(0, limit);
}
