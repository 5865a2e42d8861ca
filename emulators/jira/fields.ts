// Field writes of create / edit (POST and PUT /rest/api/3/issue, the admin API): each field checked on its own so a
// request with several bad fields gets them all back in one `errors` object, as Jira does. Invariant: a write either
// applies completely or not at all — parseFieldWrites only reads, the caller applies the result when `errors` is empty.
import { isAdfDocument } from './adf.js';
import { FIELD_TEXT } from './errors.js';
import { PRIORITIES } from './statuses.js';
import type { JiraFieldDef } from './types.js';

/** A custom field value as stored: strings as given, options by id, datetimes as epoch ms. */
export type StoredValue = string | { readonly optionId: string; readonly value: string } | { readonly at: number };

export interface FieldWrites {
  summary?: string;
  description?: unknown;
  labels?: string[];
  priority?: { readonly id: string; readonly name: string };
  custom: Map<string, StoredValue | null>;
}

export interface FieldContext {
  readonly defs: ReadonlyMap<string, JiraFieldDef>;
  /** The option id of `value` in `field`, allocated on first use (Jira option ids are site-wide numbers). */
  optionId(field: string, value: string): string;
  /** The value of an existing option id of `field`, if any. */
  optionValue(field: string, id: string): string | undefined;
  /** Admin / TS writes may give an option as a bare string and a datetime as epoch ms; REST writes may not. */
  readonly lenient: boolean;
}

const MAX_SUMMARY = 255;
const MAX_LABEL = 255;

/** Epoch ms of an ISO-8601 / Jira timestamp (`+0000` offsets accepted) or a `yyyy-MM-dd` date; null if unparseable. */
export function parseJiraDate(text: string): number | null {
  const t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) return null;
  const ms = Date.parse(t.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(ms) ? ms : null;
}

function customValue(def: JiraFieldDef, value: unknown, ctx: FieldContext): { ok: StoredValue | null } | { error: string } {
  if (value === null) return { ok: null };
  switch (def.type) {
    case 'string':
      return typeof value === 'string' ? { ok: value } : { error: FIELD_TEXT.notString };
    case 'option': {
      if (typeof value === 'string' && ctx.lenient) return { ok: { optionId: ctx.optionId(def.id, value), value } };
      if (typeof value !== 'object' || Array.isArray(value)) return { error: FIELD_TEXT.badOption(def.name) };
      const o = value as { value?: unknown; id?: unknown };
      if (typeof o.value === 'string' && o.value !== '') return { ok: { optionId: ctx.optionId(def.id, o.value), value: o.value } };
      if (typeof o.id === 'string') {
        const known = ctx.optionValue(def.id, o.id);
        if (known !== undefined) return { ok: { optionId: o.id, value: known } };
      }
      return { error: FIELD_TEXT.badOption(def.name) };
    }
    case 'datetime': {
      if (typeof value === 'number' && ctx.lenient && Number.isFinite(value)) return { ok: { at: value } };
      const at = typeof value === 'string' ? parseJiraDate(value) : null;
      return at === null ? { error: FIELD_TEXT.badDate(def.name, typeof value === 'string' ? value : JSON.stringify(value)) } : { ok: { at } };
    }
  }
}

function labelsValue(value: unknown): { ok: string[] } | { error: string } {
  if (!Array.isArray(value)) return { error: FIELD_TEXT.labelsNotArray };
  const out: string[] = [];
  for (const l of value) {
    if (typeof l !== 'string') return { error: FIELD_TEXT.labelsNotArray };
    if (/\s/.test(l)) return { error: FIELD_TEXT.labelSpaces(l) };
    if (l.length > MAX_LABEL) return { error: FIELD_TEXT.labelTooLong };
    if (l !== '' && !out.includes(l)) out.push(l);
  }
  return { ok: out };
}

/**
 * Reads `fields` (minus `skip`, which the caller handles: project and issuetype on create) into writes and
 * per-field errors. Unknown fields — a customfield_* not defined, status, resolution, … — cannot be set [observed].
 */
export function parseFieldWrites(fields: Readonly<Record<string, unknown>>, ctx: FieldContext, skip: ReadonlySet<string> = new Set()): { writes: FieldWrites; errors: Record<string, string> } {
  const writes: FieldWrites = { custom: new Map() };
  const errors: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (skip.has(name)) continue;
    switch (name) {
      case 'summary': {
        const s = typeof value === 'string' ? value.trim() : '';
        if (s === '') errors['summary'] = FIELD_TEXT.summaryRequired;
        else if (s.length > MAX_SUMMARY) errors['summary'] = FIELD_TEXT.summaryTooLong;
        else writes.summary = s;
        break;
      }
      case 'description':
        if (value === null || isAdfDocument(value)) writes.description = value;
        else errors['description'] = FIELD_TEXT.notAdf;
        break;
      case 'labels': {
        const r = labelsValue(value);
        if ('error' in r) errors['labels'] = r.error;
        else writes.labels = r.ok;
        break;
      }
      case 'priority': {
        const ref = typeof value === 'object' && value !== null ? (value as { name?: unknown; id?: unknown }) : {};
        const p = PRIORITIES.find((x) => (typeof ref.id === 'string' && x.id === ref.id) || (typeof ref.name === 'string' && x.name.toLowerCase() === ref.name.toLowerCase()));
        if (p) writes.priority = p;
        else errors['priority'] = FIELD_TEXT.badPriority(typeof ref.name === 'string' ? ref.name : String(ref.id ?? ''));
        break;
      }
      default: {
        const def = ctx.defs.get(name);
        if (!def) {
          errors[name] = FIELD_TEXT.cannotBeSet(name);
          break;
        }
        const r = customValue(def, value, ctx);
        if ('error' in r) errors[name] = r.error;
        else writes.custom.set(name, r.ok);
      }
    }
  }
  return { writes, errors };
}

/** Applies `update.labels` operations (`[{"add":"x"},{"remove":"y"},{"set":[…]}]`) to `labels`; an error text if malformed. */
export function applyLabelOps(labels: readonly string[], ops: unknown): { ok: string[] } | { error: string } {
  if (!Array.isArray(ops)) return { error: FIELD_TEXT.labelsNotArray };
  let out = [...labels];
  for (const op of ops) {
    if (typeof op !== 'object' || op === null) return { error: FIELD_TEXT.labelsNotArray };
    const o = op as { add?: unknown; remove?: unknown; set?: unknown };
    if (o.set !== undefined) {
      const r = labelsValue(o.set);
      if ('error' in r) return r;
      out = r.ok;
    } else if (typeof o.add === 'string') {
      const r = labelsValue([o.add]);
      if ('error' in r) return r;
      for (const l of r.ok) if (!out.includes(l)) out.push(l);
    } else if (typeof o.remove === 'string') {
      out = out.filter((l) => l !== o.remove);
    } else return { error: FIELD_TEXT.labelsNotArray };
  }
  return { ok: out };
}
