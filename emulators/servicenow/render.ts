// How records leave the emulator: the Table API JSON of a record (sysparm_display_value=false: raw values, every
// one a string) and the plain snapshots of the TS / admin API. Journal fields always read "" (ServiceNow returns
// journal text only as display values). Reference fields render as {"link","value"} unless
// sysparm_exclude_reference_link=true, and as "" when empty [observed].
import type { SnowStore, StoredRecord } from './store.js';
import type { TableDef } from './tables.js';
import type { JournalEntry, ServiceNowRecord } from './types.js';

export type RenderedValue = string | { readonly link: string; readonly value: string };

export interface RenderOptions {
  /** sysparm_fields; null: every field. Names the table does not have are left out. */
  readonly fields: readonly string[] | null;
  readonly referenceLinks: boolean;
}

/** The table's columns in response order: its own fields, the u_* fields written so far, then the sys_* fields. */
export function columns(store: SnowStore, def: TableDef): string[] {
  const own = def.fields.filter((f) => f.kind !== 'system').map((f) => f.name);
  const sys = def.fields.filter((f) => f.kind === 'system').map((f) => f.name);
  return [...own, ...store.customFields(def), ...sys];
}

/** sysparm_fields as a list of names; null when absent or empty. */
export function parseFields(param: string | null): string[] | null {
  if (param === null) return null;
  const names = param.split(',').map((n) => n.trim()).filter((n) => n !== '');
  return names.length === 0 ? null : names;
}

const readValue = (def: TableDef, rec: StoredRecord, name: string): string => (def.byName.get(name)?.kind === 'journal' ? '' : (rec.values.get(name) ?? ''));

export function renderRecord(base: string, store: SnowStore, rec: StoredRecord, o: RenderOptions): Record<string, RenderedValue> {
  const def = rec.table;
  const names = o.fields === null ? columns(store, def) : o.fields.filter((n) => store.hasField(def, n));
  const out: Record<string, RenderedValue> = {};
  for (const name of names) {
    const value = readValue(def, rec, name);
    const target = def.byName.get(name)?.reference;
    out[name] = target && o.referenceLinks && value !== '' ? { link: `${base}/api/now/table/${target}/${value}`, value } : value;
  }
  return out;
}

/** Every column as a plain string (what sysparm_exclude_reference_link=true returns). */
export function snapshot(store: SnowStore, rec: StoredRecord): ServiceNowRecord {
  const out: Record<string, string> = {};
  for (const name of columns(store, rec.table)) out[name] = readValue(rec.table, rec, name);
  return out;
}

export function journalEntry(row: StoredRecord): JournalEntry {
  const v = (k: string): string => row.values.get(k) ?? '';
  return { element: v('element') === 'comments' ? 'comments' : 'work_notes', value: v('value'), createdOn: v('sys_created_on'), createdBy: v('sys_created_by') };
}
