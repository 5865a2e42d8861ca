// Reads exported event files for replay: Event Hubs envelopes (`{"records":[...]}`), arrays of envelopes,
// Event Grid arrays, or NDJSON (one record or envelope per line). A file is NDJSON when its first non-blank
// line is a complete JSON value on its own; NDJSON is streamed line by line so a large export never sits in
// memory whole. Any other file is one JSON document.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export interface RawValue {
  /** The parsed JSON value, or `undefined` when the text was not JSON (see `error`). */
  readonly value: unknown;
  /** `file:line` for NDJSON, `file` for a document: where to look when a record is rejected. */
  readonly where: string;
  readonly error?: string;
}

/** Throws a one-line Error when a path cannot be read as a regular file: a bad argument, not bad data. */
export async function assertReadable(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!info.isFile()) throw new Error(`cannot read ${path}: not a file`);
  }
}

function parse(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `invalid JSON: ${(err as Error).message.split('\n')[0]}` };
  }
}

export async function* readRecordFile(path: string): AsyncGenerator<RawValue> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let mode: 'unknown' | 'ndjson' | 'document' = 'unknown';
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      const text = line.trim();
      if (text.length === 0) continue;
      if (mode === 'unknown') {
        const first = parse(text);
        if ('value' in first) {
          mode = 'ndjson';
          yield { value: first.value, where: `${path}:${lineNo}` };
          continue;
        }
        mode = 'document';
        break;
      }
      const parsed = parse(text);
      yield 'value' in parsed ? { value: parsed.value, where: `${path}:${lineNo}` } : { value: undefined, where: `${path}:${lineNo}`, error: parsed.error };
    }
  } finally {
    lines.close();
  }
  if (mode !== 'document') return;
  const parsed = parse(await readFile(path, 'utf8'));
  yield 'value' in parsed ? { value: parsed.value, where: path } : { value: undefined, where: path, error: parsed.error };
}

export async function* readRecordFiles(paths: readonly string[]): AsyncGenerator<RawValue> {
  for (const path of paths) yield* readRecordFile(path);
}
