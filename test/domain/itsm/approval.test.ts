// judgeTicket at a fixed now: each way a change is or is not approved for a rotation, in the order that matters
// (what can never become approved is refused before "not yet" is considered).
import { describe, expect, it } from 'vitest';
import { judgeTicket, sameTicket } from '../../../domain/itsm/approval.js';
import { NOW, SYS_ID, facts, request } from './support.js';

const MIN = 60_000;

describe('judgeTicket', () => {
  const cases: Array<[string, Parameters<typeof judgeTicket>[0], Parameters<typeof judgeTicket>[1], string, RegExp]> = [
    ['approved, implementable, inside the window', facts(), request(), 'approved', /^approved, Implement, inside the window/],
    ['no such ticket', null, request(), 'refused', /does not exist/],
    ['sys_id and number name different records', facts({ ref: { system: 'servicenow', table: 'change_request', number: 'CHG0030009', sysId: SYS_ID } }), request(), 'refused', /different records/],
    ['the ticket names no protector', facts({ protectors: [] }), request(), 'refused', /names no protector/],
    ['the ticket names two protectors', facts({ protectors: ['orders-sql', 'cards-ae'] }), request(), 'refused', /names 2 protectors/],
    ['body and ticket name different protectors', facts({ protectors: ['cards-ae'] }), request(), 'refused', /request names protector orders-sql, the ticket names cards-ae/],
    ['rejected', facts({ approval: 'rejected' }), request(), 'refused', /rejected/],
    ['closed', facts({ closed: true, stateLabel: 'Canceled', implementable: false }), request(), 'refused', /Canceled/],
    ['no window', facts({ windowStart: null }), request(), 'refused', /no planned start and end/],
    ['window ends before it starts', facts({ windowStart: NOW + MIN, windowEnd: NOW }), request(), 'refused', /ends before it starts/],
    ['window over', facts({ windowEnd: NOW - 1 }), request(), 'expired', /closed at/],
    ['not yet approved', facts({ approval: 'pending', stateLabel: 'Authorize', implementable: false }), request(), 'pending', /waiting for approval/],
    ['approved but not in an implementable state', facts({ implementable: false, stateLabel: 'Authorize' }), request(), 'pending', /state that allows implementation/],
    ['approved, window not open yet', facts({ windowStart: NOW + 10 * MIN }), request(), 'pending', /window opens at/],
    ['a dry run needs no approval', facts({ approval: 'pending', implementable: false, windowStart: null }), request({ action: 'dry-run' }), 'approved', /dry run/],
    ['a dry run still needs the right protector', facts({ protectors: ['cards-ae'] }), request({ action: 'dry-run' }), 'refused', /the ticket names cards-ae/],
    ['a request naming no protector takes the ticket\'s', facts(), request({ requestedProtector: null }), 'approved', /approved/],
  ];
  it.each(cases)('%s', (_name, f, r, kind, reason) => {
    const d = judgeTicket(f, r, NOW, 60_000);
    expect(d.kind).toBe(kind);
    expect(d.reason).toMatch(reason);
  });

  it('re-checks no later than the window opening or its end', () => {
    const opening = judgeTicket(facts({ windowStart: NOW + 30_000 }), request(), NOW, 60_000);
    expect(opening).toMatchObject({ kind: 'pending', recheckAt: NOW + 30_000 });
    const ending = judgeTicket(facts({ approval: 'pending', windowEnd: NOW + 10_000 }), request(), NOW, 60_000);
    expect(ending).toMatchObject({ kind: 'pending', recheckAt: NOW + 10_000 });
    const normal = judgeTicket(facts({ approval: 'pending' }), request(), NOW, 60_000);
    expect(normal).toMatchObject({ kind: 'pending', recheckAt: NOW + 60_000 });
  });

  it('an approval carries the protector and the window it was judged in', () => {
    expect(judgeTicket(facts(), request(), NOW, 60_000)).toMatchObject({ kind: 'approved', protector: 'orders-sql', window: { start: NOW - 3_600_000, end: NOW + 3_600_000 } });
  });
});

describe('sameTicket', () => {
  it('matches number or sys_id case-insensitively, never across systems', () => {
    const sn = { system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: null } as const;
    expect(sameTicket(sn, { ...sn, number: 'chg0030001', sysId: SYS_ID })).toBe(true);
    expect(sameTicket({ ...sn, number: null, sysId: SYS_ID.toUpperCase() }, { ...sn, sysId: SYS_ID })).toBe(true);
    expect(sameTicket(sn, { system: 'jira', key: 'CHG-1' })).toBe(false);
    expect(sameTicket({ system: 'jira', key: 'chg-1' }, { system: 'jira', key: 'CHG-1' })).toBe(true);
    expect(sameTicket({ system: 'jira', key: 'CHG-1' }, { system: 'jira', key: 'CHG-2' })).toBe(false);
  });
});
