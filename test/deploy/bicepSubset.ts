// A reader for the subset of Bicep that deploy/ uses — enough to check the template without the bicep binary:
// `targetScope`, `var` / `param` names, `resource` and `module` declarations (plain, `existing`, `[for …: {…}]`,
// `if (…) {…}`) and their bodies as values: objects, arrays, strings (interpolation kept as written) and expressions
// (kept as source text). Comments are dropped. Anything it cannot read is an error naming the file and offset, so an
// irregular template fails the test instead of being skipped.

export type BicepValue =
  | { readonly kind: 'string'; readonly raw: string }
  | { readonly kind: 'expr'; readonly raw: string }
  | { readonly kind: 'array'; readonly items: readonly BicepValue[] }
  | { readonly kind: 'object'; readonly entries: ReadonlyMap<string, BicepValue> };

export interface Declaration {
  readonly keyword: 'resource' | 'module';
  readonly symbol: string;
  /** `Microsoft.X/y` for a resource (api version dropped), the module's path for a module. */
  readonly type: string;
  readonly existing: boolean;
  /** The `for …:` or `if (…)` clause, when there is one. */
  readonly condition: string | null;
  readonly body: ReadonlyMap<string, BicepValue>;
}

export interface BicepFile {
  readonly path: string;
  readonly targetScope: 'resourceGroup' | 'subscription' | 'managementGroup' | 'tenant';
  readonly declarations: readonly Declaration[];
  /** `var` declarations whose value is a literal (string, object, array) or a one-line expression. */
  readonly vars: ReadonlyMap<string, BicepValue>;
  readonly params: readonly string[];
}

export class BicepSyntaxError extends Error {
  override readonly name = 'BicepSyntaxError';
}

/**
 * The index just past the single-quoted string starting at `start`: `\` escapes, and `${…}` interpolations that may
 * hold strings of their own (`'${last(split(id, '/'))}'`).
 */
function stringEnd(src: string, start: number): number {
  let j = start + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') j += 2;
    else if (c === "'") return j + 1;
    else if (src.startsWith('${', j)) {
      let depth = 1;
      j += 2;
      while (j < src.length && depth > 0) {
        if (src[j] === "'") j = stringEnd(src, j);
        else {
          if (src[j] === '{') depth++;
          else if (src[j] === '}') depth--;
          j++;
        }
      }
    } else j++;
  }
  return src.length + 1;
}

/** Drops `//` and block comments, leaving strings (which may hold `//`, e.g. URLs) intact. */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    if (src.startsWith("'''", i)) {
      const end = src.indexOf("'''", i + 3);
      const stop = end < 0 ? src.length : end + 3;
      out += src.slice(i, stop);
      i = stop;
    } else if (src[i] === "'") {
      const end = stringEnd(src, i);
      out += src.slice(i, end);
      i = end;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
    } else {
      out += src[i];
      i++;
    }
  }
  return out;
}

class Scanner {
  pos = 0;
  constructor(
    readonly src: string,
    readonly path: string,
  ) {}

  fail(what: string): never {
    const line = this.src.slice(0, this.pos).split('\n').length;
    throw new BicepSyntaxError(`${this.path}:${line}: ${what}`);
  }

  /** Skips spaces and tabs; with `newlines`, line breaks too. */
  skip(newlines: boolean): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.pos++;
      else break;
    }
  }

  peek(): string {
    return this.src[this.pos] ?? '';
  }

  /** A string literal starting at pos; returns its text between the quotes. */
  string(): string {
    if (this.src.startsWith("'''", this.pos)) {
      const end = this.src.indexOf("'''", this.pos + 3);
      if (end < 0) this.fail('unterminated multi-line string');
      const text = this.src.slice(this.pos + 3, end);
      this.pos = end + 3;
      return text;
    }
    const end = stringEnd(this.src, this.pos);
    if (end > this.src.length) this.fail('unterminated string');
    // Escapes resolved outside interpolations are enough for names and settings (\' and \\ are all deploy/ uses).
    const text = this.src.slice(this.pos + 1, end - 1).replace(/\\(.)/g, '$1');
    this.pos = end;
    return text;
  }

  /** Source text up to the end of the expression: a newline, `,` or a closing bracket at depth 0. */
  expression(): string {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === "'") {
        this.string();
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (c === '\n' || c === ',')) break;
      this.pos++;
    }
    const raw = this.src.slice(start, this.pos).trim();
    if (raw === '') this.fail('expected a value');
    return raw;
  }

  value(): BicepValue {
    this.skip(false);
    const c = this.peek();
    let v: BicepValue;
    if (c === '{') v = { kind: 'object', entries: this.object() };
    else if (c === '[') v = { kind: 'array', items: this.array() };
    else if (c === "'") {
      const start = this.pos;
      const raw = this.string();
      this.skip(false);
      // A string followed by an operator (`'a' == b ? …`) is an expression.
      if (!['\n', ',', ']', '}', ''].includes(this.peek())) {
        this.pos = start;
        return { kind: 'expr', raw: this.expression() };
      }
      return { kind: 'string', raw };
    } else return { kind: 'expr', raw: this.expression() };
    this.skip(false);
    // An object or array followed by more (`[…][0]`, `{…}.x`, a ternary) is an expression as a whole.
    if (!['\n', ',', ']', '}', ''].includes(this.peek())) this.fail(`unsupported expression after a literal: ${this.src.slice(this.pos, this.pos + 20)}`);
    return v;
  }

  object(): Map<string, BicepValue> {
    if (this.peek() !== '{') this.fail('expected {');
    this.pos++;
    const entries = new Map<string, BicepValue>();
    for (;;) {
      this.skip(true);
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === '}') {
        this.pos++;
        return entries;
      }
      let key: string;
      if (this.peek() === "'") key = this.string();
      else {
        const m = /^[A-Za-z_$][\w$]*/.exec(this.src.slice(this.pos));
        if (!m) this.fail(`expected a property name, found ${JSON.stringify(this.src.slice(this.pos, this.pos + 20))}`);
        key = m[0];
        this.pos += key.length;
      }
      this.skip(false);
      if (this.peek() !== ':') this.fail(`expected : after ${key}`);
      this.pos++;
      if (entries.has(key)) this.fail(`duplicate property ${key}`);
      entries.set(key, this.value());
    }
  }

  array(): BicepValue[] {
    this.pos++;
    const items: BicepValue[] = [];
    for (;;) {
      this.skip(true);
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === ']') {
        this.pos++;
        return items;
      }
      if (this.pos >= this.src.length) this.fail('unterminated array');
      items.push(this.value());
    }
  }
}

const DECLARATION = /^[ \t]*(resource|module)[ \t]+(\w+)[ \t]+'([^']+)'[ \t]*(existing[ \t]*)?=[ \t]*/gm;

export function parseBicep(path: string, source: string): BicepFile {
  const src = stripComments(source);
  const scope = /^targetScope\s*=\s*'(\w+)'/m.exec(src)?.[1] ?? 'resourceGroup';
  if (!['resourceGroup', 'subscription', 'managementGroup', 'tenant'].includes(scope)) throw new BicepSyntaxError(`${path}: targetScope ${scope}`);
  const declarations: Declaration[] = [];
  for (const m of src.matchAll(DECLARATION)) {
    const s = new Scanner(src, path);
    s.pos = (m.index ?? 0) + m[0].length;
    let condition: string | null = null;
    if (s.peek() === '[') {
      // [for <item> in <expr>: { … }]
      s.pos++;
      s.skip(true);
      const colon = src.indexOf(':', s.pos);
      if (!src.startsWith('for', s.pos) || colon < 0) s.fail('expected [for …: {…}]');
      condition = src.slice(s.pos, colon).trim();
      s.pos = colon + 1;
      s.skip(true);
    } else if (src.startsWith('if', s.pos)) {
      s.pos += 2;
      s.skip(false);
      const start = s.pos;
      if (s.peek() !== '(') s.fail('expected if (…)');
      let depth = 0;
      do {
        const c = s.peek();
        if (c === "'") {
          s.string();
          continue;
        }
        if (c === '(') depth++;
        if (c === ')') depth--;
        s.pos++;
      } while (depth > 0 && s.pos < src.length);
      condition = `if ${src.slice(start, s.pos)}`;
      s.skip(false);
    }
    const body = s.object();
    const keyword = m[1] as 'resource' | 'module';
    const rawType = m[3] ?? '';
    declarations.push({ keyword, symbol: m[2] ?? '', type: keyword === 'resource' ? (rawType.split('@')[0] ?? rawType) : rawType, existing: m[4] !== undefined, condition, body });
  }
  const vars = new Map<string, BicepValue>();
  for (const m of src.matchAll(/^var[ \t]+(\w+)[ \t]*=[ \t]*/gm)) {
    const s = new Scanner(src, path);
    s.pos = (m.index ?? 0) + m[0].length;
    // `[for …: …]` comprehensions are kept as expressions; the checks never need their items.
    vars.set(m[1] ?? '', src.startsWith('[for', s.pos) ? { kind: 'expr', raw: src.slice(s.pos, src.indexOf('\n', s.pos)) } : s.value());
  }
  const params = [...src.matchAll(/^param[ \t]+(\w+)/gm)].map((m) => m[1] ?? '');
  return { path, targetScope: scope as BicepFile['targetScope'], declarations, vars, params };
}

/** Follows `a.b.c` through nested objects; undefined when a step is missing or not an object. */
export function at(body: ReadonlyMap<string, BicepValue> | undefined, path: string): BicepValue | undefined {
  let cur: BicepValue | undefined = body ? { kind: 'object', entries: body } : undefined;
  for (const key of path.split('.')) {
    if (cur?.kind !== 'object') return undefined;
    cur = cur.entries.get(key);
  }
  return cur;
}

/** The source text of a scalar: a string's content, an expression's text. */
export function text(v: BicepValue | undefined): string | undefined {
  return v?.kind === 'string' || v?.kind === 'expr' ? v.raw : undefined;
}
