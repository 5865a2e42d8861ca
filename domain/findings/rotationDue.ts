// rotation_due: the protector key's newest version (in the primary's vault) is older than `rotation.every`.
import type { Finding } from '../report.js';
import { newestVersion, type ProtectorView } from '../health/view.js';
import { toIso, type Millis } from '../time.js';

export function rotationDueFindings(view: ProtectorView, now: Millis): Finding[] {
  const rotation = view.protector.rotation;
  const primary = view.protector.members.find((m) => m.role === 'primary');
  if (!rotation || !primary) return [];
  const vault = view.vaults.get(primary.vault);
  const newest = vault ? newestVersion(vault) : null;
  if (!newest || newest.createdAt === null) return []; // unknown age: `plan rotate` shows it, a finding would guess
  const dueAt = newest.createdAt + rotation.every;
  if (now < dueAt) return [];
  return [
    {
      code: 'rotation_due',
      protector: view.protector.id,
      vault: primary.vault,
      detail: { version: newest.version, lastRotatedAt: toIso(newest.createdAt), dueAt: toIso(dueAt) },
    },
  ];
}
