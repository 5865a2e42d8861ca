// The instance's records: every table's rows and the journal (work notes, comments) as sys_journal_field rows.
// The Table API and the admin / TS API change state only through insert / update here, so the invariants hold for
// every caller: sys_id is 32 lower-hex and unique; numbered tables get CHG0030001… / INC0010001… when no number
// is given; an incident's priority always follows its urgency × impact; a resolved or closed incident has a
// close_code and close_notes; sys_updated_on / sys_updated_by / sys_mod_count move only when something changed;
// journal fields are never stored on the record itself (they append sys_journal_field rows).
//
// Two write modes: 'api' is the Table API's leniency (unknown fields, sys_* fields and invalid choice or date values
// are ignored [inferred for the values]); 'admin' is the TS / admin API's strictness (all of those throw, so a typo
// in a test's seed data fails loudly instead of seeding something else).
import { randomBytes } from 'node:crypto';
import { resolutionMandatory } from './errors.js';
import {
  CUSTOM_FIELD,
  derivePriority,
  formatTime,
  INCIDENT_CLOSED,
  INCIDENT_RESOLVED,
  isDateTime,
  tableDef,
  type FieldDef,
  type JournalElement,
  type TableDef,
  type TableName,
} from './tables.js';
import type { ServiceNowUser } from './types.js';

export interface StoredRecord {
  readonly table: TableDef;
  /** Every non-journal field that has been written or defaulted; a missing key reads ''. */
  readonly values: Map<string, string>;
}

export type WriteMode = 'api' | 'admin';

const SYS_ID = /^[0-9a-f]{32}$/;
/** sys_* fields the admin API may seed, by phase. */
const ADMIN_SYS_ON_CREATE = new Set(['sys_id', 'sys_created_by', 'sys_updated_by', 'sys_created_on', 'sys_updated_on']);
const ADMIN_SYS_ON_UPDATE = new Set(['sys_updated_by']);

/** A Table API body value as ServiceNow stores it: scalars become strings, null empties the field; objects are not values. */
function coerce(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return '';
  return undefined;
}

const closedState = (v: string | undefined): boolean => v === INCIDENT_RESOLVED || v === INCIDENT_CLOSED;

function mustTable(name: TableName): TableDef {
  const def = tableDef(name);
  if (!def) throw new Error(`no table ${name}`);
  return def;
}

export class SnowStore {
  private readonly rows = new Map<TableName, StoredRecord[]>();
  /** u_* fields known per table, in the order first written (every record of the table has them, '' by default). */
  private readonly custom = new Map<TableName, string[]>();
  private readonly counters = new Map<TableName, number>();
  private readonly journalDef = mustTable('sys_journal_field');

  constructor(
    private readonly clock: () => number,
    users: readonly ServiceNowUser[],
  ) {
    const userTable = mustTable('sys_user');
    for (const u of users) this.insert(userTable, { user_name: u.name, name: u.name }, 'admin', 'admin');
  }

  list(def: TableDef): readonly StoredRecord[] {
    return this.rows.get(def.name) ?? [];
  }

  customFields(def: TableDef): readonly string[] {
    return this.custom.get(def.name) ?? [];
  }

  hasField(def: TableDef, name: string): boolean {
    return def.byName.has(name) || this.customFields(def).includes(name);
  }

  bySysId(def: TableDef, sysId: string): StoredRecord | undefined {
    const id = sysId.toLowerCase();
    return this.list(def).find((r) => r.values.get('sys_id') === id);
  }

  /** By sys_id, else number (case-insensitive), else cmdb_ci.name / sys_user.user_name. */
  find(def: TableDef, numberOrSysId: string): StoredRecord | undefined {
    const byId = this.bySysId(def, numberOrSysId);
    if (byId) return byId;
    const key = def.numbering ? 'number' : def.name === 'cmdb_ci' ? 'name' : def.name === 'sys_user' ? 'user_name' : null;
    if (!key) return undefined;
    const wanted = numberOrSysId.toLowerCase();
    return this.list(def).find((r) => (r.values.get(key) ?? '').toLowerCase() === wanted);
  }

  /** The journal rows of a record, oldest first. */
  journalOf(rec: StoredRecord): StoredRecord[] {
    const id = rec.values.get('sys_id');
    return this.list(this.journalDef).filter((j) => j.values.get('element_id') === id);
  }

  insert(def: TableDef, input: Readonly<Record<string, unknown>>, actor: string, mode: WriteMode): StoredRecord {
    return this.write(def, null, input, actor, mode);
  }

  update(rec: StoredRecord, input: Readonly<Record<string, unknown>>, actor: string, mode: WriteMode): StoredRecord {
    return this.write(rec.table, rec, input, actor, mode);
  }

  private write(def: TableDef, existing: StoredRecord | null, input: Readonly<Record<string, unknown>>, actor: string, mode: WriteMode): StoredRecord {
    if (def.readOnly) throw new Error(`${def.name} is read-only`);
    const strict = mode === 'admin';
    const refuse = (field: string, why: string): void => {
      if (strict) throw new Error(`${def.name}.${field} ${why}`);
    };
    const changes = new Map<string, string>();
    const sysSet = new Map<string, string>();
    const notes: { element: JournalElement; value: string }[] = [];

    for (const [name, raw] of Object.entries(input)) {
      const value = coerce(raw);
      if (value === undefined) {
        refuse(name, 'must be a string');
        continue;
      }
      const field = def.byName.get(name);
      if (field?.kind === 'journal') {
        // An empty note is no note: ServiceNow adds no journal entry for it.
        if (value.trim() !== '') notes.push({ element: name as JournalElement, value });
        continue;
      }
      // sys_class_name is an ordinary field despite its prefix; the sys_* bookkeeping fields are the instance's.
      if (field?.kind === 'system' || (!field && name.startsWith('sys_'))) {
        if (strict) this.checkSysField(def, existing, name, value, sysSet);
        continue; // the Table API never lets a client set sys_* fields
      }
      if (!field) {
        if (def.customFields && CUSTOM_FIELD.test(name)) changes.set(name, value);
        else refuse(name, 'is not a field of the emulated table');
        continue;
      }
      const why = this.invalid(field, value, strict);
      if (why !== null) refuse(name, why);
      else if (strict && name === 'number' && value !== '' && this.numberTaken(def, value, existing)) refuse(name, `${value} is already used`);
      else changes.set(name, value);
    }

    const before = existing ? existing.values : this.defaults(def);
    const after = new Map(before);
    for (const [k, v] of changes) after.set(k, v);
    const now = this.clock();
    if (def.name === 'incident') this.incidentRules(before, after, changes, existing === null, now);

    if (!existing) {
      const sysId = sysSet.get('sys_id') ?? this.newSysId(def);
      if ((after.get('number') ?? '') === '' && def.numbering) after.set('number', this.nextNumber(def));
      const createdBy = sysSet.get('sys_created_by') ?? actor;
      const createdOn = sysSet.get('sys_created_on') ?? formatTime(now);
      after.set('sys_id', sysId);
      after.set('sys_created_on', createdOn);
      after.set('sys_created_by', createdBy);
      after.set('sys_updated_on', sysSet.get('sys_updated_on') ?? createdOn);
      after.set('sys_updated_by', sysSet.get('sys_updated_by') ?? createdBy);
      after.set('sys_mod_count', '0');
      const rec: StoredRecord = { table: def, values: after };
      this.push(def, rec);
      this.registerCustom(def, changes);
      this.journal(rec, notes, createdBy, now);
      return rec;
    }

    const by = sysSet.get('sys_updated_by') ?? actor;
    const changed = notes.length > 0 || [...after].some(([k, v]) => (before.get(k) ?? '') !== v);
    if (changed) {
      after.set('sys_updated_on', formatTime(now));
      after.set('sys_updated_by', by);
      after.set('sys_mod_count', String(Number(before.get('sys_mod_count') ?? '0') + 1));
    }
    existing.values.clear();
    for (const [k, v] of after) existing.values.set(k, v);
    this.registerCustom(def, changes);
    this.journal(existing, notes, by, now);
    return existing;
  }

  /** Null when `value` may be stored in `field`; otherwise why not (the Table API then skips the field). */
  private invalid(field: FieldDef, value: string, strict: boolean): string | null {
    if (field.derived) return `is derived by the instance and cannot be set`;
    if (field.kind === 'choice' && !(field.choices ?? []).includes(value)) return `must be one of ${(field.choices ?? []).map((c) => `'${c}'`).join(', ')}`;
    if (field.kind === 'datetime' && value !== '' && !isDateTime(value)) return `must be 'YYYY-MM-DD HH:mm:ss' (UTC) or ''`;
    // The Table API stores any string in a reference field (a dangling reference is ServiceNow's own behaviour).
    if (strict && field.kind === 'reference' && value !== '' && field.reference && !this.bySysId(mustTable(field.reference), value)) {
      return `must be '' or the sys_id of a ${field.reference} record`;
    }
    return null;
  }

  private checkSysField(def: TableDef, existing: StoredRecord | null, name: string, value: string, sysSet: Map<string, string>): void {
    const allowed = existing ? ADMIN_SYS_ON_UPDATE : ADMIN_SYS_ON_CREATE;
    if (!allowed.has(name)) throw new Error(`${def.name}.${name} cannot be set${existing ? ' on update' : ''}`);
    if (name === 'sys_id' && (!SYS_ID.test(value) || this.bySysId(def, value))) throw new Error(`${def.name}.sys_id must be 32 lower-case hex digits not yet used`);
    if (name.endsWith('_on') && !isDateTime(value)) throw new Error(`${def.name}.${name} must be 'YYYY-MM-DD HH:mm:ss' (UTC)`);
    if (name.endsWith('_by') && value.trim() === '') throw new Error(`${def.name}.${name} must not be empty`);
    sysSet.set(name, value);
  }

  /** [doc] out-of-box incident behaviour: priority lookup, the resolution data policy, resolved_at on resolve. */
  private incidentRules(before: ReadonlyMap<string, string>, after: Map<string, string>, changes: ReadonlyMap<string, string>, creating: boolean, now: number): void {
    after.set('priority', derivePriority(after.get('urgency') ?? '3', after.get('impact') ?? '3'));
    if (!closedState(after.get('state'))) return;
    // [inferred] applied to Closed (7) as well as Resolved (6): the out-of-box policy covers "resolved or closed".
    if ((after.get('close_code') ?? '').trim() === '' || (after.get('close_notes') ?? '').trim() === '') throw resolutionMandatory();
    const entering = creating || !closedState(before.get('state'));
    if (entering && !changes.has('resolved_at') && (after.get('resolved_at') ?? '') === '') after.set('resolved_at', formatTime(now));
  }

  private defaults(def: TableDef): Map<string, string> {
    const m = new Map<string, string>();
    for (const f of def.fields) if (f.kind !== 'journal' && f.kind !== 'system') m.set(f.name, f.default ?? '');
    for (const c of this.customFields(def)) m.set(c, '');
    return m;
  }

  private numberTaken(def: TableDef, number: string, except: StoredRecord | null): boolean {
    const n = number.toLowerCase();
    return this.list(def).some((r) => r !== except && (r.values.get('number') ?? '').toLowerCase() === n);
  }

  private nextNumber(def: TableDef): string {
    const numbering = def.numbering;
    if (!numbering) return '';
    let n = this.counters.get(def.name) ?? numbering.first;
    let candidate: string;
    do candidate = `${numbering.prefix}${String(n++).padStart(7, '0')}`;
    while (this.numberTaken(def, candidate, null));
    this.counters.set(def.name, n);
    return candidate;
  }

  private newSysId(def: TableDef): string {
    let id: string;
    do id = randomBytes(16).toString('hex');
    while (this.bySysId(def, id));
    return id;
  }

  private push(def: TableDef, rec: StoredRecord): void {
    const list = this.rows.get(def.name);
    if (list) list.push(rec);
    else this.rows.set(def.name, [rec]);
  }

  private registerCustom(def: TableDef, changes: ReadonlyMap<string, string>): void {
    for (const name of changes.keys()) {
      if (def.byName.has(name)) continue;
      const known = this.custom.get(def.name) ?? [];
      if (!known.includes(name)) {
        known.push(name);
        this.custom.set(def.name, known);
        // Every other record of the table now has the column too, empty.
        for (const r of this.list(def)) if (!r.values.has(name)) r.values.set(name, '');
      }
    }
  }

  private journal(rec: StoredRecord, notes: readonly { element: JournalElement; value: string }[], by: string, now: number): void {
    for (const n of notes) {
      const values = new Map<string, string>([
        ['sys_id', this.newSysId(this.journalDef)],
        ['element_id', rec.values.get('sys_id') ?? ''],
        ['name', rec.table.name],
        ['element', n.element],
        ['value', n.value],
        ['sys_created_on', formatTime(now)],
        ['sys_created_by', by],
      ]);
      this.push(this.journalDef, { table: this.journalDef, values });
    }
  }
}
