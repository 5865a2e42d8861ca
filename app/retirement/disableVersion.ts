// Disabling an old protector key version, behind the retirement gate (DESIGN.md §4.5, I3, reliability.md K-1, S7).
// The gate's inputs are read fresh here, never taken from a caller: every member's current version, a full count
// of keysteward's DEKs by version (counted by vault/key/version, so a DEK recorded under another host name for
// the same vault still counts), and when the version went out of service. A refusal is a value listing the
// blockers; only infrastructure failures throw.
import type { Protector } from '../../domain/estate/model.js';
import { retirementBlockers, versionKey, type Blocker, type RetiringVersion } from '../../domain/retirement/gate.js';
import { parseVersionedKid, versionKeyOfKid } from '../../domain/rewrap/kid.js';
import type { Millis } from '../../domain/time.js';
import type { Logger } from '../ports.js';
import type { DekStore } from '../rewrap/ports.js';
import type { KeyAdmin, ProtectorUsage } from './ports.js';

export interface DisableDeps {
  readonly usage: ProtectorUsage;
  readonly deks: DekStore;
  readonly keyAdmin: KeyAdmin;
  readonly logger: Logger;
}

export type DisableResult =
  | { readonly disabled: true; readonly version: RetiringVersion }
  | { readonly disabled: false; readonly version: RetiringVersion; readonly blockers: readonly Blocker[] };

/** DEKs per `vault/key/version` from a full store count; kids that are not versioned Key Vault kids are skipped. */
export async function dekCountsByVersion(store: DekStore): Promise<{ counts: Map<string, number>; unparsed: number }> {
  const counts = new Map<string, number>();
  let unparsed = 0;
  for (const [kid, n] of await store.countByKid()) {
    const parsed = parseVersionedKid(kid);
    if (!parsed) {
      unparsed += n;
      continue;
    }
    const k = versionKeyOfKid(parsed);
    counts.set(k, (counts.get(k) ?? 0) + n);
  }
  return { counts, unparsed };
}

export async function disableOldVersion(deps: DisableDeps, args: { readonly protector: Protector; readonly version: RetiringVersion; readonly now: Millis }): Promise<DisableResult> {
  const { protector, now } = args;
  const version: RetiringVersion = { vault: args.version.vault.toLowerCase(), key: args.version.key.toLowerCase(), version: args.version.version.toLowerCase() };
  if (version.key !== protector.keyName) throw new RangeError(`version ${versionKey(version)} is not a version of protector ${protector.id}'s key`);

  const [memberCurrentVersions, deks, stoppedBeingCurrentAt] = await Promise.all([
    deps.usage.memberCurrentVersions(protector),
    dekCountsByVersion(deps.deks),
    deps.usage.stoppedBeingCurrentAt(protector, version),
  ]);
  if (deks.unparsed > 0) deps.logger.warn({ protector: protector.id, count: deks.unparsed }, 'DEKs with a kid that names no key version were not counted');
  const blockers = retirementBlockers({
    version,
    now,
    memberCurrentVersions,
    dekCountsByVersion: deks.counts,
    stoppedBeingCurrentAt,
    backupRetention: protector.backupRetention,
  });
  const fields = { protector: protector.id, vault: version.vault, key: version.key, version: version.version };
  if (blockers.length > 0) {
    deps.logger.warn({ ...fields, blockers }, 'refused to disable a key version: something still needs it');
    return { disabled: false, version, blockers };
  }
  await deps.keyAdmin.updateKeyProperties(version.vault, version.key, version.version, { enabled: false });
  deps.logger.info(fields, 'key version disabled');
  return { disabled: true, version };
}
