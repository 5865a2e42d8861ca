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
import { CekAccessError, type CekCatalogs, type CekRecord } from '../rewrap/cekPorts.js';
import { parseKeyUri } from '../../domain/keyRef.js';
import { listAllCeks } from '../rewrap/cekCampaign.js';
import type { KeyAdmin, ProtectorUsage } from './ports.js';

export interface DisableDeps {
  readonly usage: ProtectorUsage;
  readonly deks: DekStore;
  readonly keyAdmin: KeyAdmin;
  readonly logger: Logger;
  /** Cosmos client encryption keys, counted for cosmos-always-encrypted protectors; absent, those protectors refuse. */
  readonly ceks?: CekCatalogs;
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

/**
 * Every CEK of the protector's Cosmos account, by a full listing; or why they cannot all be counted — no account
 * known, no access, or CEKs naming this key without a version (they follow whatever version is current, so no
 * version may be retired under them).
 */
async function listProtectorCeks(deps: DisableDeps, protector: Protector, version: RetiringVersion): Promise<{ records: CekRecord[] } | { unknown: string }> {
  if (!protector.alwaysEncrypted) return { unknown: `the estate names no alwaysEncrypted endpoint and databases for ${protector.id}` };
  if (!deps.ceks) return { unknown: 'this host cannot read Cosmos client encryption keys' };
  let records: CekRecord[];
  try {
    records = await listAllCeks(deps.ceks.open(protector.alwaysEncrypted), protector.alwaysEncrypted.databases);
  } catch (err) {
    if (err instanceof CekAccessError) return { unknown: err.message };
    throw err;
  }
  const versionless = records.filter((r) => {
    const ref = parseKeyUri(r.kekKid);
    return ref !== null && ref.version === null && ref.vault === version.vault && ref.key === version.key;
  }).length;
  if (versionless > 0) return { unknown: `${versionless} client encryption key(s) name ${version.vault}/${version.key} without a version` };
  return { records };
}

/** Adds CEKs to the DEK counts (by vault/key/version); CEKs whose kid names no version are counted as unparsed. */
function addCekCounts(counts: Map<string, number>, records: readonly CekRecord[]): number {
  let unparsed = 0;
  for (const r of records) {
    const parsed = parseVersionedKid(r.kekKid);
    if (!parsed) unparsed += 1;
    else counts.set(versionKeyOfKid(parsed), (counts.get(versionKeyOfKid(parsed)) ?? 0) + 1);
  }
  return unparsed;
}

export async function disableOldVersion(deps: DisableDeps, args: { readonly protector: Protector; readonly version: RetiringVersion; readonly now: Millis }): Promise<DisableResult> {
  const { protector, now } = args;
  const version: RetiringVersion = { vault: args.version.vault.toLowerCase(), key: args.version.key.toLowerCase(), version: args.version.version.toLowerCase() };
  if (version.key !== protector.keyName) throw new RangeError(`version ${versionKey(version)} is not a version of protector ${protector.id}'s key`);

  const [memberCurrentVersions, deks, stoppedBeingCurrentAt, ceks] = await Promise.all([
    deps.usage.memberCurrentVersions(protector),
    dekCountsByVersion(deps.deks),
    deps.usage.stoppedBeingCurrentAt(protector, version),
    protector.kind === 'cosmos-always-encrypted' ? listProtectorCeks(deps, protector, version) : Promise.resolve({ records: [] }),
  ]);
  const unparsed = deks.unparsed + ('records' in ceks ? addCekCounts(deks.counts, ceks.records) : 0);
  if (unparsed > 0) deps.logger.warn({ protector: protector.id, count: unparsed }, 'DEKs with a kid that names no key version were not counted');
  const blockers = retirementBlockers({
    version,
    now,
    memberCurrentVersions,
    dekCountsByVersion: deks.counts,
    dekCountsUnknown: 'unknown' in ceks ? ceks.unknown : null,
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
