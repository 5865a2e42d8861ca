// The JQL subset the emulator searches with: clauses joined by AND, each `field = value`, `field != value`,
// `field in (v, …)` or `field not in (v, …)` over project, key (issuekey, issue), labels, status, statusCategory and
// issuetype (type); values bare words or "quoted" / 'quoted'; an optional trailing ORDER BY created | updated | key,
// ASC or DESC. Field names and keywords are case-insensitive, as in Jira. Anything else (OR, NOT, functions, other
// fields, other operators) is refused with a 400 rather than answered wrongly.
import { JiraError, jqlError, jqlNoValue, jqlUnbounded } from './errors.js';
import { CATEGORIES, findStatus } from './statuses.js';
import type { IssueRecord, JiraStore } from './store.js';

type Token =
  | { readonly kind: 'word'; readonly text: string; readonly at: number }
  | { readonly kind: 'string'; readonly text: string; readonly at: number }
  | { readonly kind: 'op'; readonly text: '=' | '!=' | '(' | ')' | ','; readonly at: number };

const WORD = /[A-Za-z0-9_.\-@]/;

/** [inferred] detail texts, modelled on Jira's "Expecting … but got …. (line 1, character n)". */
const where = (at: number): string => `(line 1, character ${at + 1})`;

function tokenize(jql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < jql.length) {
    const c = jql[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      const start = i++;
      let text = '';
      while (i < jql.length && jql[i] !== c) {
        if (jql[i] === '\\' && i + 1 < jql.length) i++;
        text += jql[i];
        i++;
      }
      if (i >= jql.length) throw jqlError(`The quoted string starting at character ${start + 1} is not terminated.`);
      i++;
      out.push({ kind: 'string', text, at: start });
    } else if (c === '!' && jql[i + 1] === '=') {
      out.push({ kind: 'op', text: '!=', at: i });
      i += 2;
    } else if (c === '=' || c === '(' || c === ')' || c === ',') {
      out.push({ kind: 'op', text: c, at: i });
      i++;
    } else if (WORD.test(c)) {
      const start = i;
      while (i < jql.length && WORD.test(jql[i] as string)) i++;
      out.push({ kind: 'word', text: jql.slice(start, i), at: start });
    } else {
      throw jqlError(`The character '${c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}' instead. ${where(i)}`);
    }
  }
  return out;
}

type Field = 'project' | 'key' | 'labels' | 'status' | 'statusCategory' | 'issuetype';

const FIELDS: Readonly<Record<string, Field>> = {
  project: 'project',
  key: 'key',
  issuekey: 'key',
  issue: 'key',
  labels: 'labels',
  status: 'status',
  statuscategory: 'statusCategory',
  issuetype: 'issuetype',
  type: 'issuetype',
};

interface Clause {
  readonly field: Field;
  readonly negated: boolean;
  readonly values: readonly string[];
}

interface Order {
  readonly field: 'created' | 'updated' | 'key';
  readonly desc: boolean;
}

const isWord = (t: Token | undefined, w: string): boolean => t?.kind === 'word' && t.text.toLowerCase() === w;
const shown = (t: Token | undefined): string => (t === undefined ? 'the end of the query' : `'${t.text}'`);

function parse(jql: string): { clauses: Clause[]; order: Order[] } {
  const tokens = tokenize(jql);
  let i = 0;
  const clauses: Clause[] = [];
  const order: Order[] = [];
  const value = (): string => {
    const t = tokens[i];
    if (t?.kind === 'word' || t?.kind === 'string') {
      i++;
      return t.text;
    }
    throw jqlError(`Expecting either a value, list or function but got ${shown(t)}. ${where(t?.at ?? jql.length)}`);
  };
  const expectOp = (op: string): void => {
    const t = tokens[i];
    if (t?.kind !== 'op' || t.text !== op) throw jqlError(`Expecting '${op}' but got ${shown(t)}. ${where(t?.at ?? jql.length)}`);
    i++;
  };
  while (i < tokens.length && !isWord(tokens[i], 'order')) {
    if (clauses.length > 0) {
      const t = tokens[i];
      if (isWord(t, 'or')) throw jqlError(`OR is not supported by the emulator's JQL subset (only AND). ${where(t?.at ?? 0)}`);
      if (!isWord(t, 'and')) throw jqlError(`Expecting either 'OR' or 'AND' but got ${shown(t)}. ${where(t?.at ?? 0)}`);
      i++;
    }
    const ft = tokens[i];
    if (ft?.kind !== 'word' && ft?.kind !== 'string') throw jqlError(`Expecting a field name but got ${shown(ft)}. ${where(ft?.at ?? jql.length)}`);
    const field = FIELDS[ft.text.toLowerCase()];
    if (!field) throw jqlError(`Field '${ft.text}' is not supported by the emulator (project, key, labels, status, statusCategory, issuetype). ${where(ft.at)}`);
    i++;
    const opTok = tokens[i];
    if (opTok?.kind === 'op' && (opTok.text === '=' || opTok.text === '!=')) {
      i++;
      clauses.push({ field, negated: opTok.text === '!=', values: [value()] });
      continue;
    }
    let negated = false;
    if (isWord(opTok, 'not') && isWord(tokens[i + 1], 'in')) {
      negated = true;
      i++;
    }
    if (!isWord(tokens[i], 'in')) throw jqlError(`Expecting operator ('=', '!=', 'in', 'not in') but got ${shown(tokens[i])}. ${where(tokens[i]?.at ?? jql.length)}`);
    i++;
    expectOp('(');
    const values = [value()];
    while (tokens[i]?.kind === 'op' && tokens[i]?.text === ',') {
      i++;
      values.push(value());
    }
    expectOp(')');
    clauses.push({ field, negated, values });
  }
  if (i < tokens.length) {
    i++;
    if (!isWord(tokens[i], 'by')) throw jqlError(`Expecting 'by' but got ${shown(tokens[i])}. ${where(tokens[i]?.at ?? jql.length)}`);
    i++;
    for (;;) {
      const t = tokens[i];
      const name = t?.kind === 'word' ? t.text.toLowerCase() : '';
      if (name !== 'created' && name !== 'updated' && name !== 'key' && name !== 'issuekey') {
        throw jqlError(t === undefined ? `Expecting a field name but got the end of the query. ${where(jql.length)}` : `Not able to sort using field '${t.text}' in the emulator (created, updated, key). ${where(t.at)}`);
      }
      i++;
      let desc = false;
      if (isWord(tokens[i], 'desc') || isWord(tokens[i], 'asc')) {
        desc = isWord(tokens[i], 'desc');
        i++;
      }
      order.push({ field: name === 'issuekey' ? 'key' : name, desc });
      if (tokens[i]?.kind === 'op' && tokens[i]?.text === ',') {
        i++;
        continue;
      }
      break;
    }
    if (i < tokens.length) throw jqlError(`Expecting either ',' or the end of the query but got ${shown(tokens[i])}. ${where(tokens[i]?.at ?? jql.length)}`);
  }
  return { clauses, order };
}

/** Each clause as a predicate; values that name nothing on the site are 400s, as in Jira. */
function predicate(store: JiraStore, c: Clause): (i: IssueRecord) => boolean {
  let test: (i: IssueRecord) => boolean;
  switch (c.field) {
    case 'project': {
      const ids = c.values.map((v) => {
        const p = store.projects.find((x) => x.key === v.toUpperCase() || x.id === v || x.name.toLowerCase() === v.toLowerCase());
        if (!p) throw jqlNoValue(v, 'project');
        return p.id;
      });
      test = (i) => ids.includes(i.project.id);
      break;
    }
    case 'key': {
      const ids = c.values.map((v) => {
        const issue = store.findIssue(v);
        // [observed] Jira's text for a key that names no issue.
        if (!issue) throw new JiraError(400, { errorMessages: [`An issue with key '${v}' does not exist for field 'key'.`], errors: {} });
        return issue.id;
      });
      test = (i) => ids.includes(i.id);
      break;
    }
    case 'labels': {
      // Jira: `labels != x` / `not in` match only issues that have labels (an empty field matches no comparison).
      const values = c.values;
      return c.negated ? (i) => i.labels.length > 0 && !i.labels.some((l) => values.includes(l)) : (i) => i.labels.some((l) => values.includes(l));
    }
    case 'status': {
      const ids = c.values.map((v) => {
        const s = findStatus(v);
        if (!s) throw jqlNoValue(v, 'status');
        return s.id;
      });
      test = (i) => ids.includes(i.status.id);
      break;
    }
    case 'statusCategory': {
      const keys = c.values.map((v) => {
        const n = v.toLowerCase();
        const cat = Object.values(CATEGORIES).find((x) => x.name.toLowerCase() === n || x.key === n || String(x.id) === n);
        if (!cat) throw jqlNoValue(v, 'statusCategory');
        return cat.key;
      });
      test = (i) => keys.includes(i.status.category.key);
      break;
    }
    case 'issuetype': {
      const names = c.values.map((v) => {
        const n = v.toLowerCase();
        const known = [...store.issueTypeIds].find(([name, id]) => name === n || id === v);
        if (!known) throw jqlNoValue(v, 'issuetype');
        return known[0];
      });
      test = (i) => names.includes(i.issueType.toLowerCase());
      break;
    }
  }
  return c.negated ? (i) => !test(i) : test;
}

const keyNumber = (k: string): number => Number(k.slice(k.lastIndexOf('-') + 1));

export interface CompiledJql {
  /** The matching issues in the query's order (default: created DESC, as the enhanced search orders). */
  run(issues: readonly IssueRecord[]): IssueRecord[];
}

export function compileJql(store: JiraStore, jql: string): CompiledJql {
  const { clauses, order } = parse(jql);
  if (clauses.length === 0) throw jqlUnbounded();
  const tests = clauses.map((c) => predicate(store, c));
  const orders = order.length > 0 ? order : [{ field: 'created', desc: true } as const];
  const compare = (a: IssueRecord, b: IssueRecord): number => {
    for (const o of orders) {
      const d =
        o.field === 'key'
          ? a.project.key.localeCompare(b.project.key) || keyNumber(a.key) - keyNumber(b.key)
          : (o.field === 'created' ? a.created - b.created : a.updated - b.updated) || Number(a.id) - Number(b.id);
      if (d !== 0) return o.desc ? -d : d;
    }
    return 0;
  };
  return { run: (issues) => issues.filter((i) => tests.every((t) => t(i))).sort(compare) };
}
