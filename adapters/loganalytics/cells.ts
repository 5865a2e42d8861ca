// Reading Log Analytics cells whichever way they arrive: through LogsQueryClient (datetime → Date, dynamic →
// parsed JSON) or straight off the wire (ISO text, JSON text). Kusto writes absent strings as "", which the
// raw record shapes express by leaving the field out.

export type ColumnRow = Readonly<Record<string, unknown>>;
type Obj = Record<string, unknown>;

export function textOf(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function isoOf(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : undefined;
  return textOf(v);
}

export function objectOf(v: unknown): Obj | undefined {
  let value = v;
  if (typeof value === 'string' && value.length > 0) {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) ? { ...(value as Obj) } : undefined;
}

export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(?:\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

export function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

/** Sets `key` only when the value is present, so absent cells do not become `undefined`-valued fields. */
export function put(target: Obj, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}
