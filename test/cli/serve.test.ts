// `keysteward serve` and `keysteward worker` through the real binary: an estate they cannot read or that is
// invalid, and a bad configuration, are one `keysteward:` line on stderr and exit 2, like `replay` — no stack trace,
// nothing started. The failures come before any connection is made, so no Redis or storage is needed here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keysteward } from '../support/cli.js';
import { FIXTURES } from '../support/estates.js';

const dir = mkdtempSync(join(tmpdir(), 'keysteward-serve-cli-'));
const invalid = join(dir, 'invalid.estate.json');
writeFileSync(invalid, JSON.stringify({ vaults: [], protectors: [{ id: 'x', kind: 'sql-tde' }] }));
const garbage = join(dir, 'garbage.estate.yaml');
writeFileSync(garbage, '{ "vaults": [ : :\n  - ]');

/** A whole environment: nothing inherited from the test runner's. */
const env = (settings: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env['PATH'] ?? '',
  STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  REDIS_URL: 'redis://127.0.0.1:1',
  LOG_LEVEL: 'silent',
  ...settings,
});

const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
  ['an estate that does not exist', env({ KEYSTEWARD_ESTATE: join(dir, 'missing.json') }), /^keysteward: cannot read estate .*missing\.json: ENOENT$/],
  ['an estate that is a directory', env({ KEYSTEWARD_ESTATE: dir }), /^keysteward: cannot read estate .*: EISDIR$/],
  ['an estate that is neither JSON nor YAML', env({ KEYSTEWARD_ESTATE: garbage }), /^keysteward: estate .*garbage\.estate\.yaml is neither JSON nor YAML: /],
  ['an invalid estate', env({ KEYSTEWARD_ESTATE: invalid }), /^keysteward: estate .*invalid\.estate\.json is invalid: /],
  ['no estate setting', env({}), /^keysteward: invalid configuration — KEYSTEWARD_ESTATE: /],
  ['a bad setting', env({ KEYSTEWARD_ESTATE: `${FIXTURES}estate/contoso.estate.json`, PORT: 'seventy' }), /^keysteward: invalid configuration — PORT: /],
];

function expectOneLineExit2(command: string, environment: NodeJS.ProcessEnv, line: RegExp): void {
  const r = keysteward([command], { env: environment });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(line);
}

describe('keysteward serve refuses bad input with one line and exit 2', () => {
  it.each(cases)('%s', (_name, environment, line) => expectOneLineExit2('serve', environment, line));
});

describe('keysteward worker, from the same settings, does the same', () => {
  it.each(cases.filter(([name]) => name === 'an estate that does not exist' || name === 'an invalid estate'))('%s', (_name, environment, line) => expectOneLineExit2('worker', environment, line));
});
