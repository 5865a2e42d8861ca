// Atlassian Document Format: the v3 API's rich-text value (description, comment bodies). The check is structural —
// a `doc` of version 1 whose nodes all have a string `type`, text nodes a string `text`, children in arrays — not the
// full ADF schema; it is enough to tell an ADF document from a plain string, which is the mistake callers make.

type Node = { readonly type: string; readonly text?: string; readonly content?: readonly Node[] };

function isNode(v: unknown, depth: number): v is Node {
  if (depth > 64 || typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const n = v as Record<string, unknown>;
  if (typeof n['type'] !== 'string') return false;
  if (n['type'] === 'text' && typeof n['text'] !== 'string') return false;
  const content = n['content'];
  if (content === undefined) return true;
  return Array.isArray(content) && content.every((c) => isNode(c, depth + 1));
}

export function isAdfDocument(v: unknown): boolean {
  if (!isNode(v, 0)) return false;
  const d = v as Node & { readonly version?: unknown };
  return d.type === 'doc' && d.version === 1 && Array.isArray(d.content);
}

/** Blocks: their text is separated by "\n" from their siblings'. */
const BLOCKS = new Set([
  'paragraph', 'heading', 'blockquote', 'codeBlock', 'bulletList', 'orderedList', 'listItem', 'panel', 'rule',
  'table', 'tableRow', 'tableCell', 'tableHeader', 'mediaSingle', 'mediaGroup', 'expand', 'nestedExpand', 'decisionList',
  'decisionItem', 'taskList', 'taskItem',
]);

function textOf(node: Node): string {
  if (node.type === 'text') return node.text ?? '';
  if (node.type === 'hardBreak') return '\n';
  const children = node.content ?? [];
  const separator = children.some((c) => BLOCKS.has(c.type)) ? '\n' : '';
  return children.map(textOf).join(separator);
}

/** Plain text of an ADF document: text nodes concatenated, paragraphs (blocks) separated by "\n". */
export function adfText(doc: unknown): string {
  return isNode(doc, 0) ? textOf(doc) : '';
}

/** A one-paragraph ADF document (what the admin API and tests post for plain text). */
export function adfFromText(text: string): unknown {
  return { type: 'doc', version: 1, content: text.split('\n').map((line) => ({ type: 'paragraph', content: line ? [{ type: 'text', text: line }] : [] })) };
}
