// Ports of the retirement use case (DESIGN.md §4.5 "Retirement gate", I3).
import type { Protector } from '../../domain/estate/model.js';
import type { MemberCurrentVersion, RetiringVersion } from '../../domain/retirement/gate.js';
import type { Millis } from '../../domain/time.js';

/** Key Vault administration: the one write retirement makes. */
export interface KeyAdmin {
  updateKeyProperties(vault: string, key: string, version: string, patch: { readonly enabled: boolean }): Promise<void>;
}

/** What the protector's members use now, and since when a version has been out of service. */
export interface ProtectorUsage {
  /** Every member's current protector version (null where it cannot be read). */
  memberCurrentVersions(protector: Protector): Promise<MemberCurrentVersion[]>;
  /** When `version` stopped being the protector of every member; null while it is current or when unknown. */
  stoppedBeingCurrentAt(protector: Protector, version: RetiringVersion): Promise<Millis | null>;
}
