// The KQL subset the Log Analytics emulator understands — enough for keysteward's reconcile queries and for
// people poking at it:
//
//   <Table>
//   | where TimeGenerated (>|>=|<|<=) ago(<n>(ms|s|m|h|d)) | datetime(<iso>)   (conjuncts joined by `and`)
//   | where TimeGenerated between (<time> .. <time>)                            (inclusive, as in Kusto)
//   | take <n>   | limit <n>
//   | order by TimeGenerated [asc|desc]   | sort by …                          (Kusto's default is desc)
//
// Operators run in the order written. Any other operator, and any `where` conjunct not on TimeGenerated, is
// ignored and reported (the server lists them in the `x-keysteward-ignored-operators` header): the emulator
// then returns a superset, never silently fewer rows. A malformed supported operator is a 400 SyntaxError.

export type TimeExpr = { readonly agoMs: number } | { readonly atMs: number };
type Cmp = '>' | '>=' | '<' | '<=';

export type QueryStep =
  | { readonly kind: 'compare'; readonly op: Cmp; readonly at: TimeExpr }
  | { readonly kind: 'between'; readonly from: TimeExpr; readonly to: TimeExpr }
  | { readonly kind: 'take'; readonly count: number }
  | { readonly kind: 'order'; readonly direction: 'asc' | 'desc' };

export interface ParsedQuery {
  readonly table: string;
  readonly steps: readonly QueryStep[];
  /** Operators (or where-conjuncts) that were not applied, as written. */
  readonly ignored: readonly string[];
}

export class KqlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KqlSyntaxError';
  }
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TIME = String.raw`(?:ago\(\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)\s*\)|datetime\(\s*[^()]+?\s*\))`;
const COMPARE = new RegExp(String.raw`^TimeGenerated\s*(>=|<=|>|<)\s*(${TIME})$`, 'i');
const BETWEEN = new RegExp(String.raw`^TimeGenerated\s+between\s*\(\s*(${TIME})\s*\.\.\s*(${TIME})\s*\)$`, 'i');
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseTime(text: string): TimeExpr {
  const ago = /^ago\(\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*\)$/i.exec(text);
  if (ago?.[1] && ago[2]) return { agoMs: Number(ago[1]) * (UNIT_MS[ago[2].toLowerCase()] ?? NaN) };
  const inner = /^datetime\(\s*(.+?)\s*\)$/i.exec(text)?.[1]?.replace(/^(['"])(.*)\1$/, '$2');
  // Kusto reads a datetime without an offset as UTC; JavaScript would read it as local time.
  const iso = inner && /(?:Z|[+-]\d{2}:?\d{2})$/i.test(inner) ? inner : `${inner ?? ''}Z`;
  const ms = Date.parse(iso);
  if (!inner || !Number.isFinite(ms)) throw new KqlSyntaxError(`cannot read the time ${text}`);
  return { atMs: ms };
}

/** Splits on `|` outside quotes and parentheses. */
function splitPipes(query: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const ch of query) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current.trim());
  return parts;
}

function parseWhere(rest: string, steps: QueryStep[], ignored: string[]): void {
  for (const conjunct of rest.split(/\s+and\s+/i).map((c) => c.trim())) {
    const cmp = COMPARE.exec(conjunct);
    if (cmp?.[1] && cmp[2]) {
      steps.push({ kind: 'compare', op: cmp[1] as Cmp, at: parseTime(cmp[2]) });
      continue;
    }
    const between = BETWEEN.exec(conjunct);
    if (between?.[1] && between[2]) {
      steps.push({ kind: 'between', from: parseTime(between[1]), to: parseTime(between[2]) });
      continue;
    }
    if (/^TimeGenerated\b/i.test(conjunct)) throw new KqlSyntaxError(`unsupported TimeGenerated condition: ${conjunct}`);
    ignored.push(`where ${conjunct}`);
  }
}

export function parseQuery(query: string): ParsedQuery {
  const [head, ...ops] = splitPipes(query.trim());
  const table = head ?? '';
  if (!IDENT.test(table)) throw new KqlSyntaxError('the query must start with a table name');
  const steps: QueryStep[] = [];
  const ignored: string[] = [];
  for (const op of ops) {
    const [word = '', ...restWords] = op.split(/\s+/);
    const rest = restWords.join(' ');
    switch (word.toLowerCase()) {
      case 'where':
        parseWhere(rest, steps, ignored);
        break;
      case 'take':
      case 'limit': {
        if (!/^\d+$/.test(rest)) throw new KqlSyntaxError(`${word} needs a row count`);
        steps.push({ kind: 'take', count: Number(rest) });
        break;
      }
      case 'order':
      case 'sort': {
        const m = /^by\s+TimeGenerated(?:\s+(asc|desc))?$/i.exec(rest);
        if (m) steps.push({ kind: 'order', direction: (m[1]?.toLowerCase() as 'asc' | 'desc' | undefined) ?? 'desc' });
        else ignored.push(op);
        break;
      }
      default:
        ignored.push(op);
    }
  }
  return { table, steps, ignored };
}

const instant = (e: TimeExpr, now: number): number => ('agoMs' in e ? now - e.agoMs : e.atMs);

/** Runs the parsed steps over rows whose time is read by `timeOf` (null: no TimeGenerated). */
export function applySteps<R>(rows: readonly R[], steps: readonly QueryStep[], timeOf: (row: R) => number | null, now: number): R[] {
  let out = [...rows];
  const keep = (pred: (t: number) => boolean) => (out = out.filter((r) => {
    const t = timeOf(r);
    return t !== null && pred(t);
  }));
  for (const step of steps) {
    switch (step.kind) {
      case 'compare': {
        const at = instant(step.at, now);
        if (step.op === '>') keep((t) => t > at);
        else if (step.op === '>=') keep((t) => t >= at);
        else if (step.op === '<') keep((t) => t < at);
        else keep((t) => t <= at);
        break;
      }
      case 'between': {
        const from = instant(step.from, now);
        const to = instant(step.to, now);
        keep((t) => t >= from && t <= to);
        break;
      }
      case 'take':
        out = out.slice(0, step.count);
        break;
      case 'order': {
        const sign = step.direction === 'asc' ? 1 : -1;
        // Stable sort; rows without a time go last either way, as Kusto puts nulls last.
        out = out
          .map((row, i) => ({ row, i, t: timeOf(row) }))
          .sort((a, b) => (a.t === null ? (b.t === null ? a.i - b.i : 1) : b.t === null ? -1 : sign * (a.t - b.t) || a.i - b.i))
          .map((x) => x.row);
        break;
      }
    }
  }
  return out;
}
