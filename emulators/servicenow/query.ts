// The subset of ServiceNow encoded queries (sysparm_query) the emulator evaluates: conditions joined by `^`, each
// `<field><OPERATOR><value>` with = != IN NOTIN STARTSWITH ENDSWITH LIKE NOTLIKE ISEMPTY ISNOTEMPTY [doc], plus
// ORDERBY<field> / ORDERBYDESC<field> [doc]. String comparisons ignore case, as on ServiceNow's default database
// collation [inferred]. A condition the emulator cannot evaluate (another operator, an OR / NQ clause, an unknown
// field) matches nothing [inferred]: the "invalid query returns no rows" setting, never a silent match-all.
import type { SnowStore, StoredRecord } from './store.js';
import type { TableDef } from './tables.js';

export interface CompiledQuery {
  readonly matches: (rec: StoredRecord) => boolean;
  readonly compare: (a: StoredRecord, b: StoredRecord) => number;
}

type Test = (value: string) => boolean;

const OPERATORS = ['!=', '=', 'ISNOTEMPTY', 'ISEMPTY', 'NOTIN', 'IN', 'STARTSWITH', 'ENDSWITH', 'NOT LIKE', 'NOTLIKE', 'LIKE'] as const;
type Operator = (typeof OPERATORS)[number];

const lc = (s: string): string => s.toLowerCase();

function testFor(op: Operator, operand: string): Test {
  const v = lc(operand);
  const list = operand.split(',').map((x) => lc(x.trim())).filter((x) => x !== '');
  switch (op) {
    case '=':
      return (x) => lc(x) === v;
    case '!=':
      return (x) => lc(x) !== v;
    case 'IN':
      return (x) => list.includes(lc(x));
    case 'NOTIN':
      return (x) => !list.includes(lc(x));
    case 'STARTSWITH':
      return (x) => lc(x).startsWith(v);
    case 'ENDSWITH':
      return (x) => lc(x).endsWith(v);
    case 'LIKE':
      return (x) => lc(x).includes(v);
    case 'NOT LIKE':
    case 'NOTLIKE':
      return (x) => !lc(x).includes(v);
    case 'ISEMPTY':
      return (x) => x === '';
    case 'ISNOTEMPTY':
      return (x) => x !== '';
  }
}

/** Journal fields read '' (their text lives in sys_journal_field), so they can be named but never hold a value. */
const valueOf = (rec: StoredRecord, field: string): string => rec.values.get(field) ?? '';

export function compileQuery(store: SnowStore, def: TableDef, query: string): CompiledQuery {
  const conditions: { field: string; test: Test }[] = [];
  const order: { field: string; desc: boolean; numeric: boolean }[] = [];
  let impossible = false;

  for (const segment of query.split('^')) {
    if (segment === '' || segment === 'EQ') continue;
    const orderBy = /^ORDERBY(DESC)?([a-z0-9_]+)$/.exec(segment);
    if (orderBy?.[2]) {
      // [inferred] ordering by an unknown field is ignored rather than refused.
      if (store.hasField(def, orderBy[2])) order.push({ field: orderBy[2], desc: orderBy[1] === 'DESC', numeric: def.byName.get(orderBy[2])?.numeric === true });
      continue;
    }
    const m = /^([a-z0-9_]+)(.*)$/s.exec(segment);
    const field = m?.[1];
    const rest = m?.[2] ?? '';
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!field || !op || !store.hasField(def, field)) {
      impossible = true;
      continue;
    }
    conditions.push({ field, test: testFor(op, rest.slice(op.length)) });
  }

  return {
    matches: (rec) => !impossible && conditions.every((c) => c.test(valueOf(rec, c.field))),
    compare: (a, b) => {
      for (const o of order) {
        const x = valueOf(a, o.field);
        const y = valueOf(b, o.field);
        let d: number;
        if (o.numeric) d = (x === '' ? -Infinity : Number(x)) - (y === '' ? -Infinity : Number(y));
        else d = lc(x) < lc(y) ? -1 : lc(x) > lc(y) ? 1 : 0;
        if (Number.isNaN(d)) d = 0;
        if (d !== 0) return o.desc ? -d : d;
      }
      return 0;
    },
  };
}
