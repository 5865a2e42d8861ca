// Renders an estate document as the text of an estate file: YAML with the notes as comments (each value's source), or
// JSON (no comments). The other half of estateFile.ts, which parses the same text: the file format lives here, at the
// edge, so domain/ stays free of formatting libraries; the document and its notes are built in domain/discovery.
// Pure: text in, text out. Long ids are never folded (lineWidth 0), so a line is a value and diffs stay one line.
import { Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { memberNoteKey, type EstateDraft } from '../../domain/discovery/estateDoc.js';

export type EstateFormat = 'yaml' | 'json';

const comment = (lines: readonly string[] | undefined): string | undefined =>
  lines && lines.length > 0 ? lines.flatMap((l) => l.split('\n')).map((l) => ` ${l}`).join('\n') : undefined;

function seqOf(node: unknown): YAMLSeq | null {
  return isSeq(node) ? node : null;
}

export function renderEstate(draft: EstateDraft, format: EstateFormat): string {
  if (format === 'json') return `${JSON.stringify(draft.doc, null, 2)}\n`;
  const doc = new Document(draft.doc);
  const { notes } = draft;
  const header = comment(notes.header);
  if (header) doc.commentBefore = header;
  for (const item of seqOf(doc.get('vaults', true))?.items ?? []) {
    if (!isMap(item)) continue;
    const c = comment(notes.vaults.get(String(item.get('name'))));
    if (c) item.commentBefore = c;
  }
  for (const item of seqOf(doc.get('protectors', true))?.items ?? []) {
    if (!isMap(item)) continue;
    const id = String(item.get('id'));
    const c = comment(notes.protectors.get(id));
    if (c) item.commentBefore = c;
    for (const m of seqOf((item as YAMLMap).get('members', true))?.items ?? []) {
      if (!isMap(m)) continue;
      const mc = comment(notes.members.get(memberNoteKey(id, String(m.get('resourceId')))));
      if (mc) m.commentBefore = mc;
    }
  }
  const footer = comment(notes.footer);
  if (footer) doc.comment = footer;
  return doc.toString({ lineWidth: 0 });
}
