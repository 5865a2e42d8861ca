// The emulator's KQL subset, timespans and datetime printing, without a server.
import { describe, expect, it } from 'vitest';
import { applySteps, KqlSyntaxError, kustoDatetime, parseQuery, parseTimespan } from '../../../emulators/loganalytics/index.js';

const NOW = Date.parse('2026-03-03T12:00:00Z');
const rows = [0, 5, 30, 90, 180, 24 * 60].map((minutesAgo, i) => ({ i, t: NOW - minutesAgo * 60_000 }));
const run = (q: string) => applySteps(rows, parseQuery(q).steps, (r) => r.t, NOW).map((r) => r.i);

describe('parseQuery / applySteps', () => {
  it.each([
    ['T', [0, 1, 2, 3, 4, 5]],
    ['T | where TimeGenerated > ago(60m)', [0, 1, 2]],
    ['T | where TimeGenerated > ago(1h)', [0, 1, 2]],
    ['T | where TimeGenerated >= ago(90m)', [0, 1, 2, 3]],
    ['T | where TimeGenerated > ago(1d)', [0, 1, 2, 3, 4]],
    ['T | where TimeGenerated < ago(2h)', [4, 5]],
    ['T | where TimeGenerated between (datetime(2026-03-03T10:30:00Z) .. datetime(2026-03-03T11:55:00Z))', [1, 2, 3]],
    ['T | where TimeGenerated between (ago(3h) .. ago(30m))', [2, 3, 4]],
    ["T | where TimeGenerated >= datetime('2026-03-03T11:00:00') and TimeGenerated < datetime(2026-03-03T11:55:00Z)", [2]],
    ['T | take 2', [0, 1]],
    ['T | limit 0', []],
    ['T | order by TimeGenerated asc | take 2', [5, 4]],
    ['T | sort by TimeGenerated', [0, 1, 2, 3, 4, 5]],
    ['T | take 3 | where TimeGenerated < ago(1m)', [1, 2]],
    ['T|where TimeGenerated>ago(10m)|take 5', [0, 1]],
  ])('%s', (q, expected) => {
    expect(run(q)).toEqual(expected);
  });

  it('ignores and reports other operators and conjuncts, keeping the supported ones', () => {
    const q = parseQuery('AZKVAuditLogs | where OperationName == "KeyUnwrap" and TimeGenerated > ago(1h) | project TimeGenerated | summarize count() by OperationName | order by OperationName');
    expect(q.table).toBe('AZKVAuditLogs');
    expect(q.ignored).toEqual(['where OperationName == "KeyUnwrap"', 'project TimeGenerated', 'summarize count() by OperationName', 'order by OperationName']);
    expect(q.steps).toEqual([{ kind: 'compare', op: '>', at: { agoMs: 3_600_000 } }]);
  });

  it('a pipe inside quotes or parentheses does not split the query', () => {
    expect(parseQuery('T | where Msg == "a|b" | extend x = strcat("|", y)').ignored).toEqual(['where Msg == "a|b"', 'extend x = strcat("|", y)']);
  });

  it.each(['', '| take 1', 'T | take many', 'T | where TimeGenerated > ago(5x)', 'T | where TimeGenerated > datetime(not a date)', 'T | where TimeGenerated == ago(1h)'])(
    'rejects %j with a KqlSyntaxError',
    (q) => {
      expect(() => parseQuery(q)).toThrow(KqlSyntaxError);
    },
  );
});

describe('parseTimespan', () => {
  it.each([
    ['PT1H', { from: NOW - 3_600_000, to: NOW }],
    ['P1D', { from: NOW - 86_400_000, to: NOW }],
    ['2026-03-03T10:00:00.000Z/2026-03-03T11:00:00.000Z', { from: Date.parse('2026-03-03T10:00:00Z'), to: Date.parse('2026-03-03T11:00:00Z') }],
    ['2026-03-03T10:00:00.000Z/PT30M', { from: Date.parse('2026-03-03T10:00:00Z'), to: Date.parse('2026-03-03T10:30:00Z') }],
    ['PT30M/2026-03-03T10:00:00.000Z', { from: Date.parse('2026-03-03T09:30:00Z'), to: Date.parse('2026-03-03T10:00:00Z') }],
  ])('%s', (text, expected) => {
    expect(parseTimespan(text, NOW)).toEqual(expected);
  });

  it.each(['', 'yesterday', 'P1Y', 'a/b', 'PT1H/PT1H', '1/2/3'])('%j is unreadable', (text) => {
    expect(parseTimespan(text, NOW)).toBeNull();
  });
});

describe('kustoDatetime', () => {
  it.each([
    ['2026-03-03T02:17:45.9034410Z', '2026-03-03T02:17:45.903441Z'],
    ['2026-03-02T14:07:40.0000000Z', '2026-03-02T14:07:40Z'],
    ['2026-03-02T14:07:40.123456789Z', '2026-03-02T14:07:40.1234567Z'],
    ['2026-03-02T15:07:40.5+01:00', '2026-03-02T14:07:40.5Z'],
    ['not a time', null],
    [42, null],
  ])('%j → %j', (input, expected) => {
    expect(kustoDatetime(input)).toBe(expected);
  });
});
