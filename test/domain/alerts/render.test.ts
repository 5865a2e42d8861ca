// Alert rendering, one scenario per row at a fixed `now`: an open incident counts down to its deadlines; a resolved
// one says when access was lost and restored and for how long, and never counts down to a deadline that no longer
// applies (issue 10). Durations read as people say them.
import { describe, expect, it } from 'vitest';
import { renderAlert, span } from '../../../domain/alerts/render.js';
import { RESTORED_AFTER_AUTOHEAL } from '../../../domain/alerts/remediation.js';
import type { Incident } from '../../../domain/report.js';

const MEMBER = '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-eus';
const LOST = '2026-03-03T02:10:00.000Z';

function incident(o: Partial<Incident>): Incident {
  return {
    protector: 'orders-sql',
    member: MEMBER,
    cause: 'permission_revoked',
    episode: 0,
    stage: 'access_lost',
    openedAt: '2026-03-03T02:00:00.000Z',
    accessLostAt: LOST,
    inaccessibleAt: '2026-03-03T02:20:00.000Z',
    autohealDeadline: '2026-03-03T02:40:00.000Z',
    resolvedAt: null,
    evidence: [{ source: 'keyvault-audit', time: LOST, operation: 'KeyUnwrap', status: 403 }],
    ...o,
  };
}

const render = (i: Incident, now: string, kind: 'opened' | 'resolved' = i.stage === 'resolved' ? 'resolved' : 'opened') =>
  renderAlert({ key: 'k', kind, incidents: [i], to: ['secops@contoso.example'], now: Date.parse(now) });

describe('span', () => {
  it.each([
    [0, 'under 1 min'],
    [29_999, 'under 1 min'],
    [30_000, '1 min'],
    [42 * 60_000, '42 min'],
    [119 * 60_000, '119 min'],
    [120 * 60_000, '2 h'],
    [-(30 * 60_000), '30 min'],
    [27 * 3_600_000, '27 h'],
  ])('%i ms reads "%s"', (ms, text) => {
    expect(span(ms)).toBe(text);
  });
});

describe('an open incident', () => {
  it('counts down to being inaccessible and to the autoheal deadline', () => {
    const m = render(incident({}), '2026-03-03T02:12:00Z');
    expect(m.subject).toBe('[keysteward] KEY ACCESS LOST: orders-sql / sql-orders-eus — permission_revoked — autoheal deadline 2026-03-03T02:40:00.000Z (in 28 min)');
    expect(m.text).toContain('Access lost:   2026-03-03T02:10:00.000Z');
    expect(m.text).toContain('Inaccessible:  2026-03-03T02:20:00.000Z (in 8 min)');
    expect(m.text).toContain('Autoheal deadline: 2026-03-03T02:40:00.000Z (in 28 min)');
    expect(m.text).toContain('First step: ');
  });
});

describe('a resolved incident', () => {
  // [name, resolvedAt, now, subject tail, lines present, lines absent]
  const rows: Array<[string, string, string, string, string[], RegExp[]]> = [
    [
      'restored before it became inaccessible',
      '2026-03-03T02:14:00.000Z',
      '2026-03-03T02:14:30Z',
      ' — access restored after 4 min',
      ['Access lost:     2026-03-03T02:10:00.000Z', 'Access restored: 2026-03-03T02:14:00.000Z (lost for 4 min)'],
      [/Inaccessible/, /Autoheal deadline/, /Re-validate/, /\bin \d+ min\b/, /First step/],
    ],
    [
      'restored while inaccessible, within the autoheal window',
      '2026-03-03T02:32:00.000Z',
      '2026-03-03T02:33:00Z',
      ' — access restored after 22 min',
      ['Access restored: 2026-03-03T02:32:00.000Z (lost for 22 min)', 'Inaccessible:    likely from about 2026-03-03T02:20:00.000Z until access was restored'],
      [/Autoheal deadline/, /Re-validate/, /\bin \d+ min\b/, /min ago/],
    ],
    [
      'restored after the autoheal deadline, read a day later',
      '2026-03-03T05:10:00.000Z',
      '2026-03-04T05:10:00Z',
      ' — access restored after 3 h',
      ['Access restored: 2026-03-03T05:10:00.000Z (lost for 3 h)', RESTORED_AFTER_AUTOHEAL],
      [/Autoheal deadline/, /\bh ago\b/, /\bin \d+/],
    ],
  ];
  it.each(rows)('%s', (_name, resolvedAt, now, tail, present, absent) => {
    const m = render(incident({ stage: 'resolved', resolvedAt }), now);
    expect(m.subject).toBe(`[keysteward] RESOLVED: orders-sql / sql-orders-eus — permission_revoked${tail}`);
    expect(m.text.startsWith('Access was restored.')).toBe(true);
    for (const line of present) expect(m.text).toContain(line);
    for (const pattern of absent) expect(m.text).not.toMatch(pattern);
  });

  it('a change undone before access was lost says so, with no times it never had', () => {
    const m = render(incident({ stage: 'resolved', accessLostAt: null, inaccessibleAt: null, autohealDeadline: null, resolvedAt: '2026-03-03T02:03:00.000Z' }), '2026-03-03T02:04:00Z');
    expect(m.subject).toBe('[keysteward] RESOLVED: orders-sql / sql-orders-eus — permission_revoked');
    expect(m.text.startsWith('The change that put access at risk was undone before access was lost.')).toBe(true);
    expect(m.text).toContain('Resolved:  2026-03-03T02:03:00.000Z (before access was lost)');
    expect(m.text).not.toMatch(/Access lost|Inaccessible|Autoheal/);
  });

  it('the HTML part carries the same lines', () => {
    const m = render(incident({ stage: 'resolved', resolvedAt: '2026-03-03T02:14:00.000Z' }), '2026-03-03T02:14:30Z');
    expect(m.html).toContain('Access restored: 2026-03-03T02:14:00.000Z (lost for 4 min)');
    expect(m.html).not.toContain('Autoheal deadline');
  });
});
