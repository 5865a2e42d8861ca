// The retirement gate (DESIGN.md §4.5, invariant I3; reliability.md S7, K-1): a key version may be disabled only
// when no protector member uses it, no DEK is wrapped under it, and the backup-retention period since it stopped
// being the protector has passed. Blockers are data; an empty list is the only "yes".
// Fail closed: whatever the gate cannot prove (a member whose current version is unknown, a version with no known
// end of service) is a blocker, never a pass.
import type { Millis } from '../time.js';
import { toIso } from '../time.js';

export interface RetiringVersion {
  readonly vault: string;
  readonly key: string;
  readonly version: string;
}

export interface MemberCurrentVersion {
  /** The member's identity (its lower-case resource id in the estate). */
  readonly member: string;
  /** The vault holding the member's current protector. */
  readonly vault: string;
  /** Its current protector version; null when it could not be read. */
  readonly version: string | null;
}

export type Blocker =
  | { readonly code: 'in_use_by_member'; readonly member: string }
  | { readonly code: 'deks_wrapped'; readonly count: number }
  | { readonly code: 'backup_retention'; readonly until: string }
  /** A member's current version is unknown, so it may be this one. */
  | { readonly code: 'current_version_unknown'; readonly member: string }
  /** Nobody uses the version, but when it stopped being the protector is unknown: retention cannot be shown to have passed. */
  | { readonly code: 'retention_start_unknown' }
  /** The DEKs wrapped by this key could not be counted (e.g. Cosmos client encryption keys with no endpoint known). */
  | { readonly code: 'deks_unknown'; readonly reason: string };

export interface GateInput {
  readonly version: RetiringVersion;
  readonly now: Millis;
  readonly memberCurrentVersions: readonly MemberCurrentVersion[];
  /** DEKs still wrapped under each version, keyed `vault/key/version` (see versionKey). A missing key means zero. */
  readonly dekCountsByVersion: ReadonlyMap<string, number>;
  /** Why some DEKs of this key could not be counted; null or absent when every store was counted. */
  readonly dekCountsUnknown?: string | null;
  /** When the version stopped being any member's protector; null while current or when unknown. */
  readonly stoppedBeingCurrentAt: Millis | null;
  readonly backupRetention: Millis;
}

/** The key of a version in `dekCountsByVersion`: `vault/key/version`, lower-case (names are case-insensitive). */
export function versionKey(v: RetiringVersion): string {
  return `${v.vault}/${v.key}/${v.version}`.toLowerCase();
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Everything that stops `input.version` from being disabled at `input.now`, in a stable order. Empty = may disable. */
export function retirementBlockers(input: GateInput): Blocker[] {
  const { version } = input;
  const blockers: Blocker[] = [];
  let inUse = false;
  for (const m of input.memberCurrentVersions) {
    if (m.version === null) blockers.push({ code: 'current_version_unknown', member: m.member });
    else if (same(m.vault, version.vault) && same(m.version, version.version)) {
      inUse = true;
      blockers.push({ code: 'in_use_by_member', member: m.member });
    }
  }
  const count = input.dekCountsByVersion.get(versionKey(version)) ?? 0;
  // Anything but a clean zero (NaN, negative: a broken count) blocks too.
  if (!(count === 0)) blockers.push({ code: 'deks_wrapped', count });
  if (input.dekCountsUnknown) blockers.push({ code: 'deks_unknown', reason: input.dekCountsUnknown });
  // Retention runs from the moment the version stopped being the protector: while a member uses it, it has not started.
  if (!inUse) {
    if (input.stoppedBeingCurrentAt === null) blockers.push({ code: 'retention_start_unknown' });
    else {
      const until = input.stoppedBeingCurrentAt + input.backupRetention;
      if (input.now < until) blockers.push({ code: 'backup_retention', until: toIso(until) });
    }
  }
  return blockers;
}
