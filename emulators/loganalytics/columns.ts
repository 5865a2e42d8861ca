// Typed cells of an emulated Log Analytics table. A row names its columns and their Kusto types, so the query
// emulator can answer in the exact wire shape of azure-formats.md §6.2: datetime as ISO text, dynamic as JSON
// text, numbers and bools as JSON values. Kusto strings are never null (absent = ""), other types may be.

export type ColumnType = 'bool' | 'datetime' | 'dynamic' | 'int' | 'long' | 'real' | 'string' | 'guid' | 'decimal' | 'timespan';

export type LogCell =
  | { readonly type: 'datetime'; readonly value: string | null }
  | { readonly type: 'dynamic'; readonly value: unknown }
  | { readonly type: 'int' | 'long' | 'real' | 'decimal'; readonly value: number | null }
  | { readonly type: 'bool'; readonly value: boolean | null }
  | { readonly type: 'string' | 'guid' | 'timespan'; readonly value: string };

/** One row: column name → typed cell. Rows of one table share their columns, in the table's order. */
export type LogRow = Readonly<Record<string, LogCell>>;

export interface LogColumn {
  readonly name: string;
  readonly type: ColumnType;
}

export const str = (value: unknown): LogCell => ({ type: 'string', value: typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value) });
export const bool = (value: unknown): LogCell => ({ type: 'bool', value: typeof value === 'boolean' ? value : null });
export const int = (value: unknown): LogCell => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  return { type: 'int', value: Number.isSafeInteger(n) ? n : null };
};
export const dyn = (value: unknown): LogCell => ({ type: 'dynamic', value: value === undefined ? null : value });
export const dt = (value: string | null): LogCell => ({ type: 'datetime', value });

// Kusto keeps 100 ns ticks (7 fractional digits) and prints them without trailing zeros — the shape of the
// shared query-response fixture (`…45.903441Z` for a record time of `…45.9034410Z`).
const INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/;

/** An instant as Log Analytics prints a datetime cell, or null when it is not an instant. */
export function kustoDatetime(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const m = INSTANT.exec(text);
  if (!m?.[1]) return null;
  if (m[3] !== 'Z') {
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z') : null;
  }
  const fraction = (m[2] ?? '').slice(0, 7).replace(/0+$/, '');
  return `${m[1]}${fraction ? `.${fraction}` : ''}Z`;
}

/** The cell as it travels in a query response row. */
export function wireValue(cell: LogCell | undefined): unknown {
  if (cell === undefined) return null;
  if (cell.type === 'dynamic') return cell.value === null || cell.value === undefined ? null : JSON.stringify(cell.value);
  return cell.value;
}

/** Column name → plain value (datetime as text, dynamic as the value itself): a row as a reader sees it. */
export function rowValues(row: LogRow): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([name, cell]) => [name, cell.value]));
}
