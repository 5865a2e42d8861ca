// effectiveEvents: how the records of one ARM operation become (at most) one change per attempt.
import { describe, expect, it } from 'vitest';
import type { KeyEvent } from '../../../domain/events/keyEvent.js';
import { effectiveEvents } from '../../../domain/health/operations.js';
import { EUS_OID } from '../../support/estates.js';
import { access, at, roleAssignment, sqlDatabaseState } from '../../support/events.js';

const CORR = 'corr-1';
const rec = (time: string, phase: 'start' | 'success' | 'failure', fields: { principalId?: string | null; scope?: string | null; role?: string | null } = {}): KeyEvent =>
  roleAssignment({
    time, op: 'delete', phase, correlationId: CORR,
    principalId: fields.principalId === undefined ? EUS_OID : fields.principalId,
    ...(fields.scope !== undefined ? { scope: fields.scope } : {}),
    ...(fields.role !== undefined ? { role: fields.role } : {}),
  });

describe('effectiveEvents', () => {
  it('a Success completes what it does not say from its Start record, and is dated at the Success', () => {
    const start = rec('2026-03-03T02:00:00Z', 'start', { principalId: EUS_OID, scope: '/subscriptions/s', role: 'r-1' });
    const success = rec('2026-03-03T02:00:03Z', 'success', { principalId: null, scope: null, role: null });
    const [change, ...rest] = effectiveEvents([success, start]);
    expect(rest).toEqual([]);
    expect(change).toMatchObject({ id: success.id, time: at('2026-03-03T02:00:03Z'), phase: 'success', principalId: EUS_OID, scope: '/subscriptions/s', roleDefinitionId: 'r-1' });
  });

  it('what the Success record says wins over its Start record', () => {
    const start = rec('2026-03-03T02:00:00Z', 'start', { scope: '/subscriptions/asked' });
    const success = rec('2026-03-03T02:00:03Z', 'success', { scope: '/subscriptions/done' });
    expect(effectiveEvents([start, success])).toMatchObject([{ scope: '/subscriptions/done' }]);
  });

  it.each([
    ['Start only (still running)', ['start'], 0],
    ['Start, Failure', ['start', 'failure'], 0],
    ['Start, Success', ['start', 'success'], 1],
    ['Success alone (its Start was never delivered)', ['success'], 1],
    ['Start, Failure, then a retry: Start, Success', ['start', 'failure', 'start', 'success'], 1],
    ['Start, Success, then a second attempt that failed', ['start', 'success', 'start', 'failure'], 1],
  ] as const)('%s → %i change(s)', (_name, phases, changes) => {
    const records = phases.map((p, i) => rec(`2026-03-03T02:00:0${i}Z`, p));
    expect(effectiveEvents(records)).toHaveLength(changes);
    expect(effectiveEvents([...records].reverse())).toHaveLength(changes);
  });

  it('events that are not ARM operation records pass through, except failures', () => {
    const denial = access({ time: '2026-03-03T02:00:00Z', oid: EUS_OID, denial: 'rbac' });
    const started = sqlDatabaseState({ time: '2026-03-03T02:00:01Z', server: '/s', state: 'inaccessible', phase: 'start' });
    expect(effectiveEvents([started, denial])).toEqual([denial, started]);
  });

  it('events stored before armOperation existed are judged by the parts their id names (a failed operation stays cancelled)', () => {
    const legacy = (phase: 'start' | 'failure', time: string): KeyEvent => {
      const { armOperation: _dropped, ...e } = rec(time, phase) as KeyEvent & { armOperation?: string };
      const resource = '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv/providers/microsoft.authorization/roleassignments/x';
      return { ...e, id: `al|${CORR}|microsoft.authorization/roleassignments/delete|${phase}|${at(time)}|${resource}` } as KeyEvent;
    };
    expect(effectiveEvents([legacy('start', '2026-03-03T02:00:00Z'), legacy('failure', '2026-03-03T02:00:02Z')])).toEqual([]);
    expect(effectiveEvents([legacy('start', '2026-03-03T02:00:00Z')])).toEqual([]);
  });
});
