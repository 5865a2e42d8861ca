// JSON from outside (HTTP bodies, Event Hubs messages) with its nesting bounded before anything recurses over it.
// V8's JSON.parse is iterative and takes a 1 MB `[[[[…` in its stride, but JSON.stringify, String(array), zod and
// any tree walk recurse, and overflow the stack a few thousand levels down. Real inputs nest a handful of levels
// (an AuditEvent record about 5, a Jira webhook under 20), so a generous bound costs nothing legitimate.

/** Deepest nesting of arrays and objects accepted from outside. */
export const MAX_JSON_DEPTH = 64;

export type JsonParse = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly tooDeep: boolean; readonly reason: string };

/**
 * True when valid JSON `text` nests arrays/objects deeper than `max`. One linear pass without recursion: brackets
 * inside strings are skipped (a string ends at the first `"` preceded by an even number of backslashes). For text
 * that is not JSON the answer does not matter: JSON.parse refuses it anyway.
 */
export function jsonTextTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (;;) {
        const end = text.indexOf('"', i + 1);
        if (end === -1) return false;
        let k = end - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        i = end;
        if ((end - 1 - k) % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

export function tooDeepReason(max = MAX_JSON_DEPTH): string {
  return `JSON nested deeper than ${max} levels`;
}

/** JSON.parse, refusing text nested deeper than `max` before parsing it. Never throws. */
export function parseJsonText(text: string, max = MAX_JSON_DEPTH): JsonParse {
  if (jsonTextTooDeep(text, max)) return { ok: false, tooDeep: true, reason: tooDeepReason(max) };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, tooDeep: false, reason: `invalid JSON: ${(err as Error).message.split('\n')[0] ?? ''}` };
  }
}

/**
 * A request body for an HTTP reply: the reason is `body is not JSON` (the parser's message would quote the body
 * back) or the depth bound it broke.
 */
export function parseJsonBody(raw: Buffer): JsonParse {
  const parsed = parseJsonText(raw.toString('utf8'));
  return parsed.ok || parsed.tooDeep ? parsed : { ok: false, tooDeep: false, reason: 'body is not JSON' };
}

/**
 * True when an already parsed value (a body a host handed over as an object) nests deeper than `max`. Iterative,
 * with an explicit stack; it stops at the first level past `max`, so it never walks more than the value holds.
 */
export function jsonValueTooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top.v !== 'object' || top.v === null) continue;
    const depth = top.d + 1;
    if (depth > max) return true;
    const children: unknown[] = Array.isArray(top.v) ? top.v : Object.values(top.v);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ v: child, d: depth });
  }
  return false;
}
