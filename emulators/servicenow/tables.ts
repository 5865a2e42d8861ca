// The dictionary of the emulated tables: which fields each has, their kinds, choices, defaults and references.
// Field names and choice values are ServiceNow's out-of-box ones [doc]; the subset is what keysteward's ITSM
// integration reads and writes. Invariant: every stored value is a string; choice fields hold one of their
// choices, datetime fields `YYYY-MM-DD HH:mm:ss` (UTC) or ''.

export type TableName = 'change_request' | 'incident' | 'cmdb_ci' | 'sys_user' | 'sys_journal_field';

export type FieldKind = 'string' | 'choice' | 'datetime' | 'reference' | 'journal' | 'system';

export interface FieldDef {
  readonly name: string;
  readonly kind: FieldKind;
  readonly choices?: readonly string[];
  /** Integer-valued (sorted numerically by ORDERBY). */
  readonly numeric?: boolean;
  readonly reference?: TableName;
  readonly default?: string;
  /** Computed by the instance (priority); writes are ignored by the Table API. */
  readonly derived?: boolean;
}

export interface TableDef {
  readonly name: TableName;
  /** Renderable fields in response order (journal fields render ""). */
  readonly fields: readonly FieldDef[];
  readonly byName: ReadonlyMap<string, FieldDef>;
  /** CHG / INC with the first number, for tables with a number field. */
  readonly numbering?: { readonly prefix: string; readonly first: number };
  /** u_* custom fields accepted on create and update. */
  readonly customFields: boolean;
  /** Reading and writing need role itil or admin (task tables); otherwise writes need admin. */
  readonly itilAcl: boolean;
  readonly readOnly: boolean;
}

const s = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, kind: 'string', ...extra });
const sys = (name: string): FieldDef => ({ name, kind: 'system' });

const COMMON: readonly FieldDef[] = ['sys_id', 'sys_created_on', 'sys_created_by', 'sys_updated_on', 'sys_updated_by', 'sys_mod_count'].map(sys);

/** [doc] change_request.state (the Now Platform "change model" states). */
export const CHANGE_STATES = ['-5', '-4', '-3', '-2', '-1', '0', '3', '4'] as const;
/** [doc] incident.state */
export const INCIDENT_STATES = ['1', '2', '3', '6', '7', '8'] as const;
export const INCIDENT_RESOLVED = '6';
export const INCIDENT_CLOSED = '7';

export const CUSTOM_FIELD = /^u_[a-z0-9_]+$/;
export const JOURNAL_FIELDS = ['work_notes', 'comments'] as const;
export type JournalElement = (typeof JOURNAL_FIELDS)[number];

function table(name: TableName, fields: readonly FieldDef[], o: Partial<Omit<TableDef, 'name' | 'fields' | 'byName'>> = {}): TableDef {
  const all = [...fields, ...COMMON];
  return { name, fields: all, byName: new Map(all.map((f) => [f.name, f])), customFields: false, itilAcl: false, readOnly: false, ...o };
}

function journalView(): TableDef {
  const fields = ['sys_id', 'element_id', 'name', 'element', 'value', 'sys_created_on', 'sys_created_by'].map((n) => (n.startsWith('sys_') ? sys(n) : s(n)));
  return { name: 'sys_journal_field', fields, byName: new Map(fields.map((f) => [f.name, f])), customFields: false, itilAcl: false, readOnly: true };
}

const journal = JOURNAL_FIELDS.map((name): FieldDef => ({ name, kind: 'journal' }));
const oneToThree = { kind: 'choice', choices: ['1', '2', '3'], numeric: true, default: '3' } as const;

const TABLES: ReadonlyMap<string, TableDef> = new Map(
  [
    table(
      'change_request',
      [
        s('number'),
        s('short_description'),
        s('description'),
        { name: 'approval', kind: 'choice', choices: ['not requested', 'requested', 'approved', 'rejected'], default: 'not requested' },
        { name: 'state', kind: 'choice', choices: CHANGE_STATES, numeric: true, default: '-5' },
        { name: 'type', kind: 'choice', choices: ['normal', 'standard', 'emergency'], default: 'normal' },
        { name: 'start_date', kind: 'datetime' },
        { name: 'end_date', kind: 'datetime' },
        { name: 'cmdb_ci', kind: 'reference', reference: 'cmdb_ci' },
        { name: 'requested_by', kind: 'reference', reference: 'sys_user' },
        ...journal,
      ],
      { numbering: { prefix: 'CHG', first: 30001 }, customFields: true, itilAcl: true },
    ),
    table(
      'incident',
      [
        s('number'),
        s('short_description'),
        s('description'),
        { name: 'urgency', ...oneToThree },
        { name: 'impact', ...oneToThree },
        { name: 'priority', kind: 'choice', choices: ['1', '2', '3', '4', '5'], numeric: true, default: '5', derived: true },
        { name: 'state', kind: 'choice', choices: INCIDENT_STATES, numeric: true, default: '1' },
        s('correlation_id'),
        s('correlation_display'),
        s('category'),
        s('assignment_group'),
        { name: 'caller_id', kind: 'reference', reference: 'sys_user' },
        s('close_code'),
        s('close_notes'),
        { name: 'resolved_at', kind: 'datetime' },
        ...journal,
      ],
      { numbering: { prefix: 'INC', first: 10001 }, customFields: true, itilAcl: true },
    ),
    table('cmdb_ci', [s('name'), s('sys_class_name', { default: 'cmdb_ci' })]),
    table('sys_user', [s('user_name'), s('name'), s('email')]),
    // A read-only view of the journal: its rows have no sys_updated_* (ServiceNow journal rows are never updated).
    journalView(),
  ].map((t) => [t.name, t]),
);

export const tableDef = (name: string): TableDef | undefined => TABLES.get(name);

/** [doc] the out-of-box incident priority lookup (urgency × impact). */
const PRIORITY: Readonly<Record<string, string>> = { '11': '1', '12': '2', '21': '2', '22': '3', '13': '3', '31': '3', '23': '4', '32': '4', '33': '5' };
export const derivePriority = (urgency: string, impact: string): string => PRIORITY[`${urgency}${impact}`] ?? '5';

const DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** ServiceNow's internal date-time format, UTC. */
export const formatTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

export function isDateTime(v: string): boolean {
  const m = DATETIME.exec(v);
  if (!m) return false;
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isFinite(t) && formatTime(t) === v;
}
