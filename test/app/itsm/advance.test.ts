// Advancing ITSM requests against in-memory fakes at a clock the tests move: approval read from the ticket (never the
// body), the window, the rotation run and its write-backs, and the refusals — each ending in exactly one terminal state.
import { describe, expect, it } from 'vitest';
import { advanceItsmRequest } from '../../../app/itsm/advance.js';
import { newRequest, runIdForRequest, type ItsmRequest, type TicketRef } from '../../../domain/itsm/request.js';
import type { TicketFacts } from '../../../domain/itsm/approval.js';
import { itsmRig } from './support.js';

const SYS_ID = '9d385017c611228701d22104cc95c371';
const REF: TicketRef = { system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: SYS_ID };
const T0 = Date.parse('2026-12-04T12:00:00Z');
const HOUR = 3_600_000;

function change(over: Partial<TicketFacts> = {}): TicketFacts {
  return { ref: REF, approval: 'approved', implementable: true, closed: false, stateLabel: 'Implement', windowStart: T0 - HOUR, windowEnd: T0 + 2 * HOUR, protectors: ['orders-sql'], ...over };
}

async function accepted(rig: ReturnType<typeof itsmRig>, over: Partial<Parameters<typeof newRequest>[0]> = {}): Promise<ItsmRequest> {
  const r = newRequest({ id: 'itsm-standard-aaaaaaaaaaaaaaaaaaaaaaaa', profile: 'standard', idempotencyKey: 'k', bodySha256: '0', assurance: 'signed', action: 'rotate', requestedProtector: 'orders-sql', ticket: REF, requester: 'jdoe', nowIso: new Date(rig.clock.now()).toISOString(), ...over });
  await rig.store.create(r);
  return r;
}

const notes = async (rig: ReturnType<typeof itsmRig>, id: string): Promise<string[]> => (await rig.outbox.due(Number.MAX_SAFE_INTEGER, 1000)).filter((e) => e.id.startsWith(id)).map((e) => e.id.slice(id.length + 1));
const stateOf = async (rig: ReturnType<typeof itsmRig>, id: string) => (await rig.store.get(id))?.request;

describe('advancing an ITSM request', () => {
  it('an approved change inside its window rotates, writes every step back, and completes', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change());
    const r = await accepted(rig);
    const first = await advanceItsmRequest(rig.advanceDeps, r.id);
    expect(first).toMatchObject({ kind: 'later', state: 'running' });
    const runId = runIdForRequest('orders-sql', r.id);
    expect(rig.rotations.starts).toHaveLength(1);
    expect(rig.rotations.starts[0]?.options).toMatchObject({ runId, origin: { kind: 'itsm', request: r.id, ticket: 'CHG0030001', system: 'servicenow' }, requestedBy: 'itsm:standard:CHG0030001:jdoe' });
    rig.rotations.progress(runId, 3);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toMatchObject({ kind: 'later', state: 'running' });
    rig.rotations.progress(runId, 4);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'done', state: 'completed' });
    expect(await notes(rig, r.id)).toEqual(['accepted', 'approved', 'run-started', 'step-3', 'step-4', 'completed']);
    const stored = await stateOf(rig, r.id);
    expect(stored?.history.map((h) => h.state)).toEqual(['pending-approval', 'approved', 'running', 'completed']);
    expect(stored).toMatchObject({ runId, protector: 'orders-sql', reported: [3, 4] });
    // Nothing for the ticket system itself yet: the notes wait in the outbox (the dispatcher sends them).
    expect(rig.servicenow.notes(REF)).toEqual([]);
  });

  it('I1: advanced again and again (a re-run after a crash, a stalled duplicate), one run is started', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change());
    const r = await accepted(rig);
    await Promise.all([advanceItsmRequest(rig.advanceDeps, r.id), advanceItsmRequest(rig.advanceDeps, r.id), advanceItsmRequest(rig.advanceDeps, r.id)]);
    await advanceItsmRequest(rig.advanceDeps, r.id);
    expect(rig.rotations.runs.size).toBe(1);
    expect((await stateOf(rig, r.id))?.state).toBe('running');
  });

  it('an unapproved change waits, re-checking on the timer, and expires when the window closes with no rotation', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change({ approval: 'pending', implementable: false, stateLabel: 'Authorize', windowEnd: T0 + 90_000 }));
    const r = await accepted(rig);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'later', at: T0 + 60_000, state: 'pending-approval' });
    rig.tick(60_000);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'later', at: T0 + 90_000, state: 'pending-approval' });
    rig.tick(30_000);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'done', state: 'expired' });
    expect(rig.rotations.starts).toEqual([]);
    const stored = await stateOf(rig, r.id);
    expect(stored?.history.map((h) => h.state)).toEqual(['pending-approval', 'pending-approval', 'expired']); // the re-check reason once, not per minute
    expect(await notes(rig, r.id)).toEqual(['accepted', 'expired']);
  });

  it('approval given while waiting starts the rotation on the next re-check', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change({ approval: 'pending', implementable: false, stateLabel: 'Authorize' }));
    const r = await accepted(rig);
    await advanceItsmRequest(rig.advanceDeps, r.id);
    rig.servicenow.setChange(change());
    rig.tick(60_000);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toMatchObject({ kind: 'later', state: 'running' });
  });

  it.each([
    ['the ticket names another protector than the body', change({ protectors: ['cards-ae'] }), /request names protector orders-sql, the ticket names cards-ae/],
    ['the change was rejected', change({ approval: 'rejected' }), /rejected/],
    ['the ticket names a protector keysteward does not manage', change({ protectors: ['payroll-sql'] }), /(not in keysteward's estate|the ticket names payroll-sql)/],
  ])('refused, with a note and no rotation: %s', async (_name, facts, reason) => {
    const rig = itsmRig();
    rig.servicenow.setChange(facts);
    const r = await accepted(rig);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'done', state: 'refused' });
    expect((await stateOf(rig, r.id))?.reason).toMatch(reason);
    expect(rig.rotations.starts).toEqual([]);
    expect(await notes(rig, r.id)).toEqual(['accepted', 'refused']);
  });

  it('W-12: a token-only request naming no protector takes the ticket\'s; a ticket that does not exist is refused', async () => {
    const rig = itsmRig();
    const jiraRef: TicketRef = { system: 'jira', key: 'CHG-7' };
    rig.jira.setChange(change({ ref: jiraRef }));
    const r = await accepted(rig, { id: 'itsm-jsmautomation-bbbbbbbbbbbbbbbbbbbbbbbb', profile: 'jsm-automation', assurance: 'token', requestedProtector: null, ticket: jiraRef });
    await advanceItsmRequest(rig.advanceDeps, r.id);
    expect((await stateOf(rig, r.id))?.protector).toBe('orders-sql');
    const ghost = await accepted(rig, { id: 'itsm-jsmautomation-cccccccccccccccccccccccc', profile: 'jsm-automation', assurance: 'token', ticket: { system: 'jira', key: 'CHG-404' } });
    expect(await advanceItsmRequest(rig.advanceDeps, ghost.id)).toEqual({ kind: 'done', state: 'refused' });
  });

  it('W-12: a token-only request whose body names another protector than the ticket is refused, whatever the token', async () => {
    const rig = itsmRig();
    const jiraRef: TicketRef = { system: 'jira', key: 'CHG-8' };
    rig.jira.setChange(change({ ref: jiraRef, protectors: ['cards-ae'] }));
    const r = await accepted(rig, { id: 'itsm-jsmautomation-eeeeeeeeeeeeeeeeeeeeeeee', profile: 'jsm-automation', assurance: 'token', requestedProtector: 'orders-sql', ticket: jiraRef });
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'done', state: 'refused' });
    expect((await stateOf(rig, r.id))?.reason).toBe('the request names protector orders-sql, the ticket names cards-ae');
    expect(rig.rotations.starts).toEqual([]);
  });

  it('with the ITSM system down the request waits (reason recorded), and goes on once it answers', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change());
    rig.servicenow.down = true;
    const r = await accepted(rig);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toMatchObject({ kind: 'later', state: 'pending-approval' });
    expect((await stateOf(rig, r.id))?.reason).toMatch(/cannot read the ticket yet: servicenow unavailable/);
    rig.servicenow.down = false;
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toMatchObject({ state: 'running' });
  });

  it('a refused preflight is written back with the failing checks', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change());
    rig.rotations.refuse = true;
    const r = await accepted(rig);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'done', state: 'refused' });
    const note = await rig.outbox.get(`${r.id}-refused`);
    expect(note?.text).toMatch(/preflight failed/);
    expect(note?.text).toContain('- purge_protection: kv-wus has purge protection off');
  });

  it('another rotation of the protector running: the request waits, then starts', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change());
    await rig.rotations.start('orders-sql', { requestedBy: 'api' });
    const r = await accepted(rig);
    const waiting = await advanceItsmRequest(rig.advanceDeps, r.id);
    expect(waiting).toMatchObject({ kind: 'later', state: 'approved' });
    expect((await stateOf(rig, r.id))?.reason).toMatch(/another rotation of orders-sql is running/);
    rig.rotations.progress('rot-orders-sql-0', 4);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toMatchObject({ state: 'running' });
  });

  it('one change approves one rotation: a second request about the same ticket is refused', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change());
    const a = await accepted(rig);
    await advanceItsmRequest(rig.advanceDeps, a.id);
    const b = await accepted(rig, { id: 'itsm-standard-dddddddddddddddddddddddd', idempotencyKey: 'k2' });
    expect(await advanceItsmRequest(rig.advanceDeps, b.id)).toEqual({ kind: 'done', state: 'refused' });
    expect((await stateOf(rig, b.id))?.reason).toMatch(/CHG0030001 already is rotating orders-sql through request itsm-standard-a/);
    expect(rig.rotations.runs.size).toBe(1);
  });

  it('a failed run ends the request failed, with where and why on the ticket', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change());
    const r = await accepted(rig);
    await advanceItsmRequest(rig.advanceDeps, r.id);
    rig.rotations.fail(runIdForRequest('orders-sql', r.id), 1);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'done', state: 'failed' });
    expect((await rig.outbox.get(`${r.id}-failed`))?.text).toMatch(/failed at step 1 install-version \(secondary\) vault kv-wus sql-orders-wus: keyvault_403_Forbidden — The user does not have key import permission/);
  });

  it('a dry run writes the plan to the ticket without approval and starts nothing', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change({ approval: 'not-requested', implementable: false, windowStart: null, windowEnd: null }));
    const r = await accepted(rig, { action: 'dry-run' });
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'done', state: 'completed' });
    expect(rig.rotations.runs.size).toBe(0);
    expect((await rig.outbox.get(`${r.id}-dry-run`))?.text).toMatch(/^keysteward dry run of the rotation of orders-sql[\s\S]*4\. switch-protector \(primary\) vault kv-eus sql-orders-eus/);
  });

  it('a request nobody approves expires after the pending limit even without a window end in sight', async () => {
    const rig = itsmRig();
    rig.servicenow.setChange(change({ approval: 'pending', windowEnd: T0 + 30 * 86_400_000 }));
    const r = await accepted(rig);
    rig.tick(8 * 86_400_000);
    expect(await advanceItsmRequest(rig.advanceDeps, r.id)).toEqual({ kind: 'done', state: 'expired' });
  });
});
