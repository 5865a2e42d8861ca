// What the retirement gate needs to know, read live: each member's current protector version (ARM for SQL
// servers; the newest enabled version for versionless Cosmos CMKs) and when a version stopped being current —
// the end of the first completed rotation after it was created, as recorded in the rotation ledger. Unknown stays
// unknown (null): the gate then refuses rather than guess (I3).
import type { Protector } from '../../domain/estate/model.js';
import type { MemberCurrentVersion, RetiringVersion } from '../../domain/retirement/gate.js';
import type { RotationRun } from '../../domain/rotation/run.js';
import { parseKeyUri } from '../../domain/keyRef.js';
import type { Millis } from '../../domain/time.js';
import type { ProtectorSwitchPort, RotationKeys } from '../rotation/ports.js';
import type { ProtectorUsage } from './ports.js';

export interface UsageDeps {
  readonly keys: Pick<RotationKeys, 'listVersions'>;
  readonly protectors: Pick<ProtectorSwitchPort, 'getProtector'>;
  readonly runs: { listByProtector(protector: string): Promise<RotationRun[]> };
}

export function createProtectorUsage(deps: UsageDeps): ProtectorUsage {
  return {
    async memberCurrentVersions(protector: Protector): Promise<MemberCurrentVersion[]> {
      return Promise.all(
        protector.members.map(async (m) => {
          try {
            if (protector.kind === 'sql-tde') {
              const current = await deps.protectors.getProtector(m.resourceId);
              const ref = current.kid ? parseKeyUri(current.kid) : null;
              return { member: m.resourceId, vault: ref?.vault ?? m.vault, version: ref?.version ?? null };
            }
            const newest = (await deps.keys.listVersions(m.vault, protector.keyName)).filter((v) => v.enabled).sort((a, b) => (a.created ?? 0) - (b.created ?? 0)).pop();
            return { member: m.resourceId, vault: m.vault, version: newest?.version ?? null };
          } catch {
            return { member: m.resourceId, vault: m.vault, version: null };
          }
        }),
      );
    },
    async stoppedBeingCurrentAt(protector: Protector, version: RetiringVersion): Promise<Millis | null> {
      const created = (await deps.keys.listVersions(version.vault, protector.keyName)).find((v) => v.version === version.version)?.created ?? null;
      if (created === null) return null;
      return endOfService(await deps.runs.listByProtector(protector.id), version.vault, created);
    },
  };
}

/**
 * When a version of `vault` created at `created` stopped being current: the end of the first completed rotation
 * after it was created (its switch in that vault, else its verify step); null when no such rotation is recorded.
 */
export function endOfService(runs: readonly RotationRun[], vault: string, created: Millis): Millis | null {
  const ends = runs
    .filter((r) => r.status === 'completed' && Date.parse(r.createdAt) > created)
    .map((r) => {
      const moved = r.steps.filter((s) => s.kind === 'switch-protector' && s.vault === vault).map((s) => Date.parse(s.finishedAt ?? ''));
      const verify = r.steps.find((s) => s.kind === 'verify')?.finishedAt;
      return moved.length > 0 ? Math.max(...moved) : verify ? Date.parse(verify) : NaN;
    })
    .filter((t) => Number.isFinite(t));
  return ends.length > 0 ? Math.min(...ends) : null;
}
