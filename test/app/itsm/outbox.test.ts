// Carrying write-backs to the ITSM systems (W-13): an outage delays them — backing off, in order, never blocking
// anything else — and loses none; after the outage every note lands once, in the order written.
import { describe, expect, it } from 'vitest';
import { FakeClaimClock } from '../../../app/fakes/fakeClaimClock.js';
import { dispatchOutbox, OUTBOX_BACKOFF } from '../../../app/itsm/outbox.js';
import { ItsmUnavailableError } from '../../../app/itsm/ports.js';
import type { TicketRef } from '../../../domain/itsm/request.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { itsmRig } from './support.js';

const REF: TicketRef = { system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: '9d385017c611228701d22104cc95c371' };

function deps(rig: ReturnType<typeof itsmRig>) {
  return { outbox: rig.outbox, tickets: rig.tickets, incidents: rig.incidents, clock: rig.clock, log: silentLogger, jitter: () => 1 };
}

async function seed(rig: ReturnType<typeof itsmRig>, n: number): Promise<void> {
  rig.servicenow.setChange({ ref: REF, approval: 'approved', implementable: true, closed: false, stateLabel: 'Implement', windowStart: 0, windowEnd: 1, protectors: ['orders-sql'] });
  for (let i = 0; i < n; i++) await rig.outbox.put({ id: `req-${i}`, kind: 'ticket-note', ticket: REF, text: `note ${i}`, createdAt: new Date(Date.parse('2026-12-04T11:00:00Z') + i).toISOString() });
}

describe('the ITSM outbox', () => {
  it('sends due notes oldest first, once', async () => {
    const rig = itsmRig();
    await seed(rig, 3);
    expect(await dispatchOutbox(deps(rig))).toEqual({ sent: 3, retried: 0, failed: 0, deferred: 0 });
    expect(await dispatchOutbox(deps(rig))).toEqual({ sent: 0, retried: 0, failed: 0, deferred: 0 });
    expect(rig.servicenow.notes(REF)).toEqual(['note 0', 'note 1', 'note 2']);
  });

  it('W-13: during an outage the first failure stops the round (no hammering), backs off exponentially, and after it every note lands in order', async () => {
    const rig = itsmRig();
    await seed(rig, 3);
    rig.servicenow.down = true;
    expect(await dispatchOutbox(deps(rig))).toEqual({ sent: 0, retried: 1, failed: 0, deferred: 2 });
    expect(rig.servicenow.calls).toBe(1);
    const first = await rig.outbox.get('req-0');
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastError: 'servicenow unavailable (503)' });
    expect((first?.nextAttemptAt ?? 0) - rig.clock.now()).toBe(OUTBOX_BACKOFF.baseMs);
    // Not due yet: the next round skips it and tries the next one (which fails the same way).
    await dispatchOutbox(deps(rig));
    rig.tick(OUTBOX_BACKOFF.baseMs);
    await dispatchOutbox(deps(rig));
    expect((await rig.outbox.get('req-0'))?.attempts).toBe(2);
    expect(((await rig.outbox.get('req-0'))?.nextAttemptAt ?? 0) - rig.clock.now()).toBe(2 * OUTBOX_BACKOFF.baseMs);
    expect((await rig.outbox.backlog()).pending).toBe(3);
    rig.servicenow.down = false;
    rig.tick(OUTBOX_BACKOFF.maxMs);
    await dispatchOutbox(deps(rig));
    expect(rig.servicenow.notes(REF)).toEqual(['note 0', 'note 1', 'note 2']);
    expect(await rig.outbox.backlog()).toMatchObject({ pending: 0, failed: 0 });
  });

  it('honours Retry-After when the system gives one', async () => {
    const rig = itsmRig();
    await seed(rig, 1);
    const original = rig.servicenow.addNote.bind(rig.servicenow);
    rig.servicenow.addNote = async () => {
      throw new ItsmUnavailableError('servicenow', 'servicenow answered 429', rig.clock.now() + 42_000);
    };
    await dispatchOutbox(deps(rig));
    expect(((await rig.outbox.get('req-0'))?.nextAttemptAt ?? 0) - rig.clock.now()).toBe(42_000);
    rig.servicenow.addNote = original;
  });

  it('an entry that keeps failing is given up after its attempts and shown as failed in the backlog', async () => {
    const rig = itsmRig();
    await seed(rig, 1);
    rig.servicenow.down = true;
    for (let i = 0; i < 3; i++) {
      await dispatchOutbox({ ...deps(rig), maxAttempts: 3 });
      rig.tick(OUTBOX_BACKOFF.maxMs);
    }
    expect(await rig.outbox.backlog()).toMatchObject({ pending: 0, failed: 1, lastError: 'servicenow unavailable (503)' });
  });

  it('two dispatchers at once send each note once (leases)', async () => {
    const rig = itsmRig();
    await seed(rig, 5);
    await Promise.all([dispatchOutbox({ ...deps(rig), owner: 'a' }), dispatchOutbox({ ...deps(rig), owner: 'b' })]);
    expect(rig.servicenow.notes(REF).sort()).toEqual(['note 0', 'note 1', 'note 2', 'note 3', 'note 4']);
  });

  it('a dispatcher whose clock runs 5 minutes ahead does not take a note another holds: leases are judged on the shared time', async () => {
    const rig = itsmRig();
    await seed(rig, 1);
    const shared = new FakeClaimClock(rig.clock.now());
    // The first dispatcher holds the lease while ServiceNow is slow to answer.
    let answer: () => void = () => undefined;
    const original = rig.servicenow.addNote.bind(rig.servicenow);
    rig.servicenow.addNote = (ref, text) => new Promise<void>((resolve) => (answer = () => void original(ref, text).then(resolve)));
    const first = dispatchOutbox({ ...deps(rig), owner: 'a', leaseClock: shared });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const ahead = rig.clock.now() + 5 * 60_000;
    rig.servicenow.addNote = original;
    expect(await dispatchOutbox({ ...deps(rig), owner: 'b', leaseClock: shared, clock: { now: () => ahead } })).toEqual({ sent: 0, retried: 0, failed: 0, deferred: 0 });
    answer();
    await first;
    expect(rig.servicenow.notes(REF)).toEqual(['note 0']);
  });
});
