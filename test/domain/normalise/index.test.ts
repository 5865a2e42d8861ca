import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormaliseResult } from '../../../domain/events/keyEvent.js';
import {
  detectSource,
  normaliseActivityRecord,
  normaliseAuditRecord,
  normaliseEventGridEvent,
  normaliseRecord,
  recordsOf,
} from '../../../domain/normalise/index.js';
import { ACTIVITY, AUDIT, EVENT_GRID, envelopeRecords, first, only, readShared } from './records.js';

type Json = Record<string, unknown>;

const AUDIT_RECORDS = (): Json[] => Object.values(AUDIT).flatMap((f) => envelopeRecords(f));
const ACTIVITY_RECORDS = (): Json[] => Object.values(ACTIVITY).flatMap((f) => envelopeRecords(f));
const GRID_EVENTS = (): Json[] => readShared(EVENT_GRID) as Json[];
const ALL_RECORDS = (): Json[] => [...AUDIT_RECORDS(), ...ACTIVITY_RECORDS(), ...GRID_EVENTS()];

describe('detectSource', () => {
  it('tells the three sources apart on the shared fixtures', () => {
    expect(AUDIT_RECORDS().map(detectSource)).toEqual(Array(6).fill('keyvault-audit'));
    expect(ACTIVITY_RECORDS().map(detectSource)).toEqual(['activity-log', 'activity-log']);
    expect(GRID_EVENTS().map(detectSource)).toEqual(['event-grid', 'event-grid', 'event-grid']);
  });

  it.each([
    ['AuditEvent in any case', { category: 'auditevent', operationName: 'KeyGet' }, 'keyvault-audit'],
    ['CloudEvents', { specversion: '1.0', type: 'Microsoft.KeyVault.KeyExpired', id: '1' }, 'event-grid'],
    ['older activity category', { category: 'Write', operationName: 'MakeDatabaseInaccessible' }, 'activity-log'],
    ['activity by identity.authorization', { operationName: 'x', identity: { authorization: { action: 'a' } } }, 'activity-log'],
    ['activity by provider path', { operationName: 'Microsoft.Sql/servers/write' }, 'activity-log'],
  ])('%s', (_name, raw, source) => {
    expect(detectSource(raw)).toBe(source);
  });

  it.each([
    ['null', null],
    ['a string', 'AuditEvent'],
    ['an array', []],
    ['a bare object', { hello: 'world' }],
    ['an operation name alone', { operationName: 'KeyGet' }],
    ['CloudEvents type without specversion', { type: 'x', id: '1' }],
  ])('%s is unrecognised', (_name, raw) => {
    expect(detectSource(raw)).toBeNull();
    expect(normaliseRecord(raw)).toEqual({ status: 'rejected', reason: 'unrecognised record' });
  });
});

describe('normaliseRecord', () => {
  it('routes to the source normaliser and says which source it used', () => {
    const audit = normaliseRecord(first(AUDIT.forbidden));
    expect(audit).toEqual({ ...normaliseAuditRecord(first(AUDIT.forbidden)), source: 'keyvault-audit' });
    const activity = normaliseRecord(first(ACTIVITY.roleDelete));
    expect(activity).toEqual({ ...normaliseActivityRecord(first(ACTIVITY.roleDelete)), source: 'activity-log' });
    const grid = normaliseRecord(GRID_EVENTS()[0]);
    expect(grid).toEqual({ ...normaliseEventGridEvent(GRID_EVENTS()[0]), source: 'event-grid' });
  });

  it('every shared fixture record normalises to exactly one event, and all ids differ', () => {
    const ids = ALL_RECORDS().map((r) => only(normaliseRecord(r)).id);
    expect(ids).toHaveLength(11);
    expect(new Set(ids).size).toBe(11);
  });

  it('an AuditEvent record that fails its schema is rejected by the audit normaliser', () => {
    expect(normaliseRecord({ category: 'AuditEvent', time: '2026-03-03T02:17:45Z' })).toEqual({
      status: 'rejected',
      reason: 'missing operationName',
      source: 'keyvault-audit',
    });
  });
});

describe('recordsOf', () => {
  const [a, b] = envelopeRecords(AUDIT.okAndRotate);
  const [c] = envelopeRecords(ACTIVITY.protector);

  it.each([
    ['an envelope', { records: [a, b] }, [a, b]],
    ['an array of envelopes', [{ records: [a] }, { records: [b, c] }], [a, b, c]],
    ['an array of records', [a, c], [a, c]],
    ['an Event Grid array', GRID_EVENTS(), GRID_EVENTS()],
    ['a single record', a, [a]],
    ['an empty envelope', { records: [] }, []],
    ['an empty array', [], []],
    ['non-objects as themselves', [null, 'x', 3, { records: [null] }], [null, 'x', 3, null]],
    ['a top-level non-object', 'junk', ['junk']],
    ['records that is not an array', { records: 'nope' }, [{ records: 'nope' }]],
  ])('%s', (_name, value, expected) => {
    expect([...recordsOf(value)]).toEqual(expected);
  });

  it('does not recurse without bound into nested arrays', () => {
    let deep: unknown = [a];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const out = [...recordsOf(deep)];
    expect(out).toHaveLength(1);
    expect(Array.isArray(out[0])).toBe(true);
    expect(normaliseRecord(out[0]).status).toBe('rejected');
  });
});

// Property tests: the normalisers never throw (DESIGN.md §3) and are deterministic.

const STATUSES = new Set(['ok', 'ignored', 'rejected']);

function checkResult(result: NormaliseResult): void {
  expect(STATUSES.has(result.status)).toBe(true);
  if (result.status === 'ok') {
    for (const e of result.events) {
      expect(typeof e.id).toBe('string');
      expect(e.id.length).toBeGreaterThan(0);
      expect(Number.isFinite(e.time)).toBe(true);
    }
  } else {
    expect(typeof result.reason).toBe('string');
  }
}

/** Runs every normaliser directly (no try/catch of the router to hide a throw) and the router. */
function normaliseAllWays(raw: unknown): NormaliseResult {
  checkResult(normaliseAuditRecord(raw));
  checkResult(normaliseActivityRecord(raw));
  checkResult(normaliseEventGridEvent(raw));
  const routed = normaliseRecord(raw);
  checkResult(routed);
  if (routed.status === 'rejected') expect(routed.reason.startsWith('normaliser error')).toBe(false);
  return routed;
}

type Path = ReadonlyArray<string | number>;

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  }
  return [];
}

/** A copy of `record` with the value at `path` replaced (or deleted when `value` is undefined). */
function mutate(record: Json, path: Path, value: unknown): Json {
  const copy = structuredClone(record);
  let parent: unknown = copy;
  for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[step];
  const last = path[path.length - 1]!;
  const obj = parent as Record<string | number, unknown>;
  if (value === undefined) delete obj[last];
  else obj[last] = value;
  return copy;
}

const RECORD_KEYS = [
  'time', 'operationName', 'category', 'properties', 'identity', 'resourceId', 'resultType', 'resultSignature',
  'resultDescription', 'correlationId', 'eventType', 'eventTime', 'type', 'specversion', 'data', 'id', 'records',
];

describe('properties', () => {
  it('never throws for arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (raw) => void normaliseAllWays(raw)), { numRuns: 500 });
  });

  it('never throws for arbitrary objects with the records’ own keys', () => {
    const arb = fc.dictionary(fc.constantFrom(...RECORD_KEYS), fc.oneof(fc.jsonValue(), fc.string(), fc.constant('2026-03-03T02:17:45.9034410Z')));
    fc.assert(fc.property(arb, (raw) => void normaliseAllWays(raw)), { numRuns: 500 });
  });

  it('never throws for mutated fixture records, and is deterministic', () => {
    const records = ALL_RECORDS();
    const arb = fc
      .record({ which: fc.nat({ max: records.length - 1 }), where: fc.nat(), value: fc.option(fc.jsonValue(), { nil: undefined }) })
      .map(({ which, where, value }) => {
        const record = records[which]!;
        const paths = pathsOf(record);
        return mutate(record, paths[where % paths.length]!, value);
      });
    fc.assert(
      fc.property(arb, (raw) => {
        const once = normaliseAllWays(raw);
        const twice = normaliseRecord(structuredClone(raw));
        expect(twice).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the same ids for the same input, and different ids to the 403 and the 200 unwrap', () => {
    const ids = (raw: unknown) => {
      const r = normaliseRecord(raw);
      return r.status === 'ok' ? r.events.map((e) => e.id) : [];
    };
    fc.assert(
      fc.property(fc.constantFrom(...ALL_RECORDS()), (raw) => {
        expect(ids(structuredClone(raw))).toEqual(ids(raw));
      }),
    );
    const [ok200] = envelopeRecords(AUDIT.okAndRotate);
    const [denied403] = envelopeRecords(AUDIT.forbidden);
    expect(ids(ok200)).toHaveLength(1);
    expect(ids(ok200)).not.toEqual(ids(denied403));
  });
});
