// `discover --merge`: a discovered estate combined with an estate file someone edits by hand. Pure.
// - Discovery owns the topology: for a protector of the file matched by its members' resource ids (same kind; most
//   members in common wins), its members (roles, vaults, principal ids), keyName and alwaysEncrypted endpoint and
//   databases become the discovered ones. Everything else of the file's protector stays, its id first (so a
//   hand-chosen id survives): rotation, autohealWindow, inaccessibleAfter, backupRetention, alwaysEncrypted.keySetting,
//   anything discovery does not read. A principal id discovery could not know (null) keeps the file's.
// - A discovered protector with no match is added (renamed `<id>-2`… if the file uses its id for another protector);
//   a protector of the file that discovery did not find is kept as it is, and reported.
// - Vaults discovery read replace the file's entry (its region, resource id, URI, properties); unread ones and the
//   file's other vaults stay. notifications and inventory are the file's.
// Invariant: merging a discovery into its own output changes nothing (property-tested).
import type { EstateInput } from '../estate/schema.js';
import { canonicalEstate, memberNoteKey, ordered, type EstateDraft, type MemberDoc, type ProtectorDoc, type VaultDoc } from './estateDoc.js';

export interface MergeReport {
  /** File protectors whose topology discovery replaced: the file's id, the id discovery gave it. */
  readonly matched: ReadonlyArray<{ readonly id: string; readonly discovered: string }>;
  /** Discovered protectors the file did not have (their ids in the result). */
  readonly added: readonly string[];
  /** File protectors discovery did not find, kept unchanged. */
  readonly kept: readonly string[];
  /** Discovered ids the file already used for another protector, and the id given instead. */
  readonly renamed: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  /** Members whose principal id discovery could not read, with the file's kept. */
  readonly principalsKept: ReadonlyArray<{ readonly protector: string; readonly member: string }>;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const lower = (s: string): string => s.toLowerCase();
const memberIds = (p: ProtectorDoc): Set<string> => new Set(p.members.map((m) => lower(m.resourceId)));

/** Pairs discovered protectors with file protectors: same kind, most shared members first; each used once. */
function matchProtectors(file: readonly ProtectorDoc[], found: readonly ProtectorDoc[]): Map<string, ProtectorDoc> {
  const candidates: Array<{ d: ProtectorDoc; e: ProtectorDoc; shared: number; sameKey: boolean; sameId: boolean }> = [];
  for (const d of found) {
    const ids = memberIds(d);
    for (const e of file) {
      if (e.kind !== d.kind) continue;
      const shared = e.members.filter((m) => ids.has(lower(m.resourceId))).length;
      if (shared > 0) candidates.push({ d, e, shared, sameKey: lower(e.keyName) === lower(d.keyName), sameId: e.id === d.id });
    }
  }
  candidates.sort(
    (a, b) => b.shared - a.shared || Number(b.sameKey) - Number(a.sameKey) || Number(b.sameId) - Number(a.sameId) || byString(a.d.id, b.d.id) || byString(a.e.id, b.e.id),
  );
  const byDiscovered = new Map<string, ProtectorDoc>();
  const usedFile = new Set<string>();
  for (const c of candidates) {
    if (byDiscovered.has(c.d.id) || usedFile.has(c.e.id)) continue;
    byDiscovered.set(c.d.id, c.e);
    usedFile.add(c.e.id);
  }
  return byDiscovered;
}

/** Fields of a file protector that are not topology: what survives a merge. */
const TOPOLOGY = new Set(['id', 'kind', 'keyName', 'members', 'alwaysEncrypted']);

function mergedProtector(e: ProtectorDoc, d: ProtectorDoc, principalsKept: Array<{ protector: string; member: string }>): ProtectorDoc {
  const fileMembers = new Map(e.members.map((m) => [lower(m.resourceId), m]));
  const members: MemberDoc[] = d.members.map((m) => {
    const known = fileMembers.get(lower(m.resourceId))?.principalId;
    if (m.principalId !== undefined || known === undefined) return m;
    principalsKept.push({ protector: e.id, member: lower(m.resourceId) });
    return { ...m, principalId: known };
  });
  const alwaysEncrypted = d.alwaysEncrypted ? ordered({ ...e.alwaysEncrypted, endpoint: d.alwaysEncrypted.endpoint, databases: d.alwaysEncrypted.databases }, ['endpoint', 'databases', 'keySetting']) : e.alwaysEncrypted;
  return { ...e, kind: d.kind, keyName: d.keyName, members, alwaysEncrypted };
}

/** A discovered (read) vault over the file's entry: discovered fields replace, the URI included (absent = default). */
function mergedVault(file: VaultDoc | undefined, found: VaultDoc): VaultDoc {
  if (!file) return found;
  if (found.resourceId === undefined) return file; // not read: the file knows more
  const out: Record<string, unknown> = { ...file };
  for (const [k, v] of Object.entries(found)) if (v !== undefined) out[k] = v;
  if (found.uri === undefined) delete out['uri'];
  return out as VaultDoc;
}

function uniqueId(id: string, taken: ReadonlySet<string>): string {
  if (!taken.has(id)) return id;
  for (let n = 2; ; n++) {
    const candidate = `${id.slice(0, 62 - String(n).length)}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function mergeEstate(file: EstateInput, discovered: EstateDraft, fileName: string): { readonly draft: EstateDraft; readonly report: MergeReport } {
  const found = discovered.doc.protectors;
  const matches = matchProtectors(file.protectors, found);
  const matchedFileIds = new Set([...matches.values()].map((e) => e.id));
  const taken = new Set(file.protectors.map((p) => p.id));
  const principalsKept: Array<{ protector: string; member: string }> = [];
  const renamed: Array<{ from: string; to: string }> = [];
  const added: string[] = [];
  const matched: Array<{ id: string; discovered: string }> = [];
  const idOf = new Map<string, string>(); // discovered id → id in the result

  const protectors: ProtectorDoc[] = [];
  for (const d of found) {
    const e = matches.get(d.id);
    if (e) {
      protectors.push(mergedProtector(e, d, principalsKept));
      matched.push({ id: e.id, discovered: d.id });
      idOf.set(d.id, e.id);
      continue;
    }
    const id = uniqueId(d.id, taken);
    taken.add(id);
    if (id !== d.id) renamed.push({ from: d.id, to: id });
    protectors.push({ ...d, id });
    added.push(id);
    idOf.set(d.id, id);
  }
  const kept = file.protectors.filter((p) => !matchedFileIds.has(p.id));
  protectors.push(...kept);

  const fileVaults = new Map(file.vaults.map((v) => [lower(v.name), v]));
  const foundVaults = new Map(discovered.doc.vaults.map((v) => [lower(v.name), v]));
  const vaults = [...new Set([...fileVaults.keys(), ...foundVaults.keys()])].map((name) => {
    const f = foundVaults.get(name);
    return f ? mergedVault(fileVaults.get(name), f) : (fileVaults.get(name) as VaultDoc);
  });

  const doc = canonicalEstate({ ...file, vaults, protectors });
  const report: MergeReport = {
    matched: matched.sort((a, b) => byString(a.id, b.id)),
    added: added.sort(byString),
    kept: kept.map((p) => p.id).sort(byString),
    renamed,
    principalsKept: principalsKept.sort((a, b) => byString(a.protector, b.protector) || byString(a.member, b.member)),
  };
  return { draft: { doc, notes: mergedNotes(discovered, file, idOf, report, fileName), skipped: discovered.skipped }, report };
}

function mergedNotes(discovered: EstateDraft, file: EstateInput, idOf: ReadonlyMap<string, string>, report: MergeReport, fileName: string): EstateDraft['notes'] {
  const n = discovered.notes;
  const fileById = new Map(file.protectors.map((p) => [p.id, p]));
  const protectors = new Map<string, readonly string[]>();
  const members = new Map<string, readonly string[]>();
  for (const [discoveredId, id] of idOf) {
    const lines = [...(n.protectors.get(discoveredId) ?? [])];
    const e = fileById.get(id);
    const survived = e ? Object.keys(e).filter((k) => !TOPOLOGY.has(k)) : [];
    if (report.matched.some((m) => m.id === id)) lines.push(`id${survived.length > 0 ? `, ${survived.sort(byString).join(', ')}` : ''}${e?.alwaysEncrypted?.keySetting ? ', alwaysEncrypted.keySetting' : ''} kept from ${fileName}`);
    protectors.set(id, lines);
    const p = discovered.doc.protectors.find((x) => x.id === discoveredId);
    for (const m of p?.members ?? []) {
      const kept = report.principalsKept.some((k) => k.protector === id && k.member === lower(m.resourceId));
      const base = n.members.get(memberNoteKey(discoveredId, m.resourceId)) ?? [];
      members.set(memberNoteKey(id, m.resourceId), kept ? [...base, `principalId kept from ${fileName}`] : base);
    }
  }
  for (const id of report.kept) protectors.set(id, [`kept from ${fileName}: discovery did not find it in the subscriptions it read`]);
  const vaults = new Map(n.vaults);
  for (const v of file.vaults) if (!vaults.has(lower(v.name))) vaults.set(v.name, [`kept from ${fileName}`]);
  const summary = `Merged with ${fileName}: ${report.matched.length} protector${report.matched.length === 1 ? '' : 's'} updated from discovery (ids and hand-edited fields kept), ${report.added.length} added, ${report.kept.length} kept that discovery did not find.`;
  return { header: [...n.header, summary], vaults, protectors, members, footer: n.footer };
}
