// geo_rotation_incomplete: the newest version of the protector key appeared in some member vaults but not in all
// of them within an hour. Version ids differ between vaults (import creates a new id per vault), so "the same
// rotation" is recognised by time: a creation in every other vault within ±1 h of the newest one.
import type { Finding } from '../report.js';
import type { ProtectorView, VersionView } from '../health/view.js';
import { HOUR, toIso, type Millis } from '../time.js';

export const GEO_ROTATION_WINDOW: Millis = HOUR;

export function geoRotationFindings(view: ProtectorView, now: Millis): Finding[] {
  if (view.vaults.size < 2) return [];
  let newest: { vault: string; v: VersionView } | null = null;
  for (const vault of view.vaults.values()) {
    for (const v of vault.versions.values()) {
      if (v.createdAt === null) continue;
      if (!newest || (newest.v.createdAt as number) < v.createdAt || (newest.v.createdAt === v.createdAt && newest.vault > vault.name)) newest = { vault: vault.name, v };
    }
  }
  if (!newest) return [];
  const at = newest.v.createdAt as number;
  if (now < at + GEO_ROTATION_WINDOW) return []; // still inside the window: the other vaults may be next
  const out: Finding[] = [];
  for (const vault of view.vaults.values()) {
    if (vault.name === newest.vault) continue;
    const covered = [...vault.versions.values()].some((v) => v.createdAt !== null && Math.abs(v.createdAt - at) <= GEO_ROTATION_WINDOW);
    if (!covered) {
      out.push({
        code: 'geo_rotation_incomplete',
        protector: view.protector.id,
        vault: vault.name,
        detail: { newVersion: newest.v.version, seenIn: newest.vault, createdAt: toIso(at) },
      });
    }
  }
  return out;
}
