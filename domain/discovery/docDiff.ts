// What `discover --dry-run` prints: the changes between two estate documents, by meaning rather than by line —
// vaults by name, protectors by id, members by resource id — so a reordered file shows no change and a failover shows
// as two role changes. Pure; lines sorted, so the output is stable.
import type { EstateInput } from '../estate/schema.js';

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Leaf paths of a value: objects by key, arrays of members by resource id, other arrays as one value. */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)['resourceId'] === 'string')) {
      for (const v of value as Array<Record<string, unknown>>) flatten(v, `${prefix}[${String(v['resourceId']).toLowerCase()}]`, out);
      return;
    }
    out.set(prefix, JSON.stringify(value));
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) if (v !== undefined) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, JSON.stringify(value));
}

function keyed<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  return new Map(items.map((i) => [key(i), i]));
}

function diffEntity(label: string, before: unknown, after: unknown): string[] {
  if (before === undefined && after !== undefined) return [`+ ${label}`];
  if (before !== undefined && after === undefined) return [`- ${label}`];
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, '', a);
  flatten(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort(byString);
  return paths.filter((p) => a.get(p) !== b.get(p)).map((p) => `~ ${label} ${p}: ${a.get(p) ?? '(none)'} → ${b.get(p) ?? '(none)'}`);
}

/** One line per change; `before` null is an empty estate (nothing written yet). Empty when nothing changes. */
export function diffEstates(before: EstateInput | null, after: EstateInput): string[] {
  const lines: string[] = [];
  const vb = keyed(before?.vaults ?? [], (v) => v.name.toLowerCase());
  const va = keyed(after.vaults, (v) => v.name.toLowerCase());
  for (const name of [...new Set([...vb.keys(), ...va.keys()])].sort(byString)) lines.push(...diffEntity(`vault ${name}`, vb.get(name), va.get(name)));
  const pb = keyed(before?.protectors ?? [], (p) => p.id);
  const pa = keyed(after.protectors, (p) => p.id);
  for (const id of [...new Set([...pb.keys(), ...pa.keys()])].sort(byString)) {
    const b = pb.get(id);
    const a = pa.get(id);
    if (b === undefined && a !== undefined) lines.push(`+ protector ${id} (${a.kind}, ${a.members.length} member${a.members.length === 1 ? '' : 's'})`);
    else lines.push(...diffEntity(`protector ${id}`, b, a));
  }
  for (const section of ['notifications', 'inventory'] as const) {
    if (JSON.stringify(before?.[section] ?? null) !== JSON.stringify(after[section] ?? null)) lines.push(`~ ${section} changed`);
  }
  return lines;
}
