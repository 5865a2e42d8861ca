// The request state machine: table of allowed transitions, and a property — along any sequence of attempted moves,
// a terminal state is never left, the history records exactly the accepted moves, and ids stay BullMQ-safe.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canMove, isTerminalState, itsmRequestId, moveRequest, noteWaiting, runIdForRequest, type RequestState } from '../../../domain/itsm/request.js';
import { isRotationId } from '../../../domain/rotation/run.js';
import { request } from './support.js';

const STATES: RequestState[] = ['pending-approval', 'approved', 'running', 'completed', 'failed', 'refused', 'expired'];

describe('ITSM request transitions', () => {
  it('allows exactly the documented ones', () => {
    const allowed = STATES.flatMap((from) => STATES.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(
      [
        'pending-approval→approved', 'pending-approval→refused', 'pending-approval→expired',
        'approved→running', 'approved→completed', 'approved→refused', 'approved→expired',
        'running→completed', 'running→failed',
      ].sort(),
    );
    expect(STATES.filter(isTerminalState).sort()).toEqual(['completed', 'expired', 'failed', 'refused']);
  });

  it('never leaves a terminal state, and records every accepted move once', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATES), { maxLength: 12 }), (attempts) => {
        let r = request();
        let accepted = 0;
        for (const [i, to] of attempts.entries()) {
          const wasTerminal = isTerminalState(r.state);
          const moved = moveRequest(r, to, `step ${i}`, new Date(1_800_000_000_000 + i).toISOString());
          if (wasTerminal) expect(moved.ok).toBe(false);
          if (moved.ok) {
            r = moved.request;
            accepted++;
          }
        }
        expect(r.history).toHaveLength(1 + accepted);
        expect(r.history[r.history.length - 1]?.state).toBe(r.state);
      }),
    );
  });

  it('a waiting reason enters the history only when it changes', () => {
    const r = request();
    const once = noteWaiting(r, 'waiting for approval', '2026-12-04T12:00:00.000Z');
    expect(once?.history).toHaveLength(2);
    expect(once ? noteWaiting(once, 'waiting for approval', '2026-12-04T12:01:00.000Z') : 'x').toBeNull();
  });

  it('ids are BullMQ job ids and rotation ids: no ":", never a plain integer, bounded', () => {
    fc.assert(
      fc.property(fc.constantFrom('standard', 'jira', 'jsm-automation' as const), fc.stringMatching(/^[0-9a-f]{64}$/), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/), (profile, digest, protector) => {
        const id = itsmRequestId(profile, digest);
        expect(id).toMatch(/^itsm-[a-z]+-[0-9a-f]{24}$/);
        const run = runIdForRequest(protector, id);
        expect(isRotationId(run)).toBe(true);
        expect(run).not.toContain(':');
      }),
    );
  });
});
