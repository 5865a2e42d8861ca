// Dispatch per channel (issue 10): a channel that delivered is never sent the alert again while another is retried
// (I7); with no channel configured nothing is claimed as sent and health shows the alerts undelivered; a channel's
// send budget holds back only that channel; 500 incidents opening at once are claimed and sent with the ledger calls
// in flight bounded — on the in-memory fake and on Table Storage (Azurite).
import { describe, expect, it } from 'vitest';
import { alertHealth } from '../../app/alertHealth.js';
import { claimTransitions, dispatchPending, MAX_PENDING_MS, type AlertDeps } from '../../app/alerts.js';
import { FakeClaimClock } from '../../app/fakes/fakeClaimClock.js';
import { MemoryAlertLedger } from '../../app/fakes/memoryAlertLedger.js';
import { MemoryRateLimiter } from '../../app/fakes/memoryRateLimiter.js';
import type { AlertLedger, Notifier } from '../../app/ports.js';
import { silentLogger } from '../../adapters/logging/logger.js';
import { TableAlertLedger } from '../../adapters/tables/alertLedger.js';
import type { AlertMessage } from '../../domain/alerts/message.js';
import { stageKey } from '../../domain/alerts/policy.js';
import type { Incident, IncidentCause } from '../../domain/report.js';
import { healthHandler } from '../../functions/http.js';
import type { Services } from '../../functions/services.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';

const azurite = useAzurite();
const T0 = Date.parse('2026-03-03T02:18:30Z');

/** A channel that records what it delivered; `failWith` decides per send whether it throws instead. */
class FakeChannel implements Notifier {
  readonly sent: AlertMessage[] = [];
  constructor(
    readonly channel: string,
    public failWith: (attempt: number) => Error | null = () => null,
  ) {}
  private attempts = 0;
  async send(message: AlertMessage): Promise<void> {
    const err = this.failWith(++this.attempts);
    if (err) throw err;
    this.sent.push(message);
  }
  /** The incidents delivered, one entry per incident per message. */
  members(): string[] {
    return this.sent.flatMap((m) => m.incidents.map((i) => i.member));
  }
}

function incident(member: string, cause: IncidentCause = 'permission_revoked', protector = 'orders-sql'): Incident {
  return {
    protector,
    member,
    cause,
    episode: 0,
    stage: 'access_lost',
    openedAt: '2026-03-03T02:17:45.903Z',
    accessLostAt: '2026-03-03T02:17:45.903Z',
    inaccessibleAt: '2026-03-03T02:27:45.903Z',
    autohealDeadline: '2026-03-03T02:47:45.903Z',
    resolvedAt: null,
    evidence: [{ source: 'keyvault-audit', time: '2026-03-03T02:17:45.903Z', operation: 'KeyUnwrap', status: 403 }],
  };
}

function rig(notifiers: Notifier[], o: Partial<AlertDeps> = {}) {
  let now = T0;
  const deps: AlertDeps = { ledger: new MemoryAlertLedger(), notifiers, recipients: ['secops@contoso.example'], clock: { now: () => now }, log: silentLogger, ...o };
  return {
    deps,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const EUS = '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-eus';
const WUS = '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-wus';
const http503 = () => new Error('webhook to https://hooks.example answered HTTP 503');

describe('dispatch per channel', () => {
  it('email delivered and webhook failing: the email goes out once, the webhook is retried until it delivers', async () => {
    const email = new FakeChannel('email');
    const webhook = new FakeChannel('webhook', (n) => (n <= 2 ? http503() : null));
    const { deps, advance } = rig([email, webhook]);
    const [key] = await claimTransitions(deps, [incident(EUS)]);
    expect(await deps.ledger.get(key ?? '')).toMatchObject({ status: 'pending', channels: { email: { status: 'pending', attempts: 0 }, webhook: { status: 'pending', attempts: 0 } } });

    expect(await dispatchPending(deps)).toEqual({ sent: 0, deferred: 0, failed: 1 });
    expect(await deps.ledger.get(key ?? '')).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'webhook: webhook to https://hooks.example answered HTTP 503',
      channels: {
        email: { status: 'sent', attempts: 1, sentAt: '2026-03-03T02:18:30.000Z' },
        webhook: { status: 'pending', attempts: 1, lastError: 'webhook to https://hooks.example answered HTTP 503' },
      },
    });
    for (let i = 0; i < 2; i++) {
      advance(30_000); // the next sweeps
      await dispatchPending(deps);
    }
    expect(email.sent).toHaveLength(1);
    expect(webhook.sent).toHaveLength(1);
    const record = await deps.ledger.get(key ?? '');
    expect(record).toMatchObject({ status: 'sent', attempts: 3 });
    expect(record?.channels).toStrictEqual({
      email: { status: 'sent', attempts: 1, sentAt: '2026-03-03T02:18:30.000Z' },
      webhook: { status: 'sent', attempts: 3, sentAt: '2026-03-03T02:19:30.000Z', lastError: 'webhook to https://hooks.example answered HTTP 503' },
    });
    expect(await deps.ledger.pending()).toEqual([]);
    advance(30_000);
    await dispatchPending(deps);
    expect([email.sent.length, webhook.sent.length]).toEqual([1, 1]);
  });

  it('a channel that keeps failing does not starve another: 600 alerts with the webhook down, the email delivers every one', async () => {
    const email = new FakeChannel('email');
    const webhook = new FakeChannel('webhook', () => http503());
    const { deps, advance } = rig([email, webhook]);
    const incidents = Array.from({ length: 600 }, (_, i) => incident(`/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-${String(i).padStart(3, '0')}`, 'vault_deleted', `p-${i}`));
    await claimTransitions(deps, incidents);
    await dispatchPending(deps);
    advance(30_000);
    await dispatchPending(deps);
    // More alerts than one batch (500) stay pending on the webhook, yet the email got past them to the newest.
    expect(email.members().sort()).toEqual(incidents.map((i) => i.member).sort());
    expect(webhook.sent).toEqual([]);
    expect((await deps.ledger.pending(1000)).length).toBe(600);
  });

  it('a dispatcher that dies mid-webhook: the next one (after its lease) sends only the webhook, not the email again', async () => {
    const email = new FakeChannel('email');
    let release: (e: Error) => void = () => undefined;
    const hanging: Notifier = { channel: 'webhook', send: () => new Promise<void>((_, reject) => (release = reject)) };
    const { deps, advance } = rig([email, hanging], { owner: 'dies' });
    await claimTransitions(deps, [incident(EUS)]);
    const stuck = dispatchPending(deps); // never finishes on its own: the process is as good as dead
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(email.sent).toHaveLength(1);
    advance(121_000); // past the dead dispatcher's lease
    const webhook = new FakeChannel('webhook');
    await dispatchPending({ ...deps, notifiers: [new FakeChannel('email'), webhook], owner: 'next' });
    expect(webhook.members()).toEqual([EUS]);
    const [record] = await deps.ledger.undelivered('2000-01-01T00:00:00.000Z');
    expect(record).toBeUndefined();
    release(new Error('gone'));
    await stuck.catch(() => undefined);
  });

  it('a second dispatcher whose clock runs 5 minutes ahead does not take a live lease: leases are judged on the shared time', async () => {
    const email = new FakeChannel('email');
    let release: (e: Error) => void = () => undefined;
    const hanging: Notifier = { channel: 'webhook', send: () => new Promise<void>((_, reject) => (release = reject)) };
    const shared = new FakeClaimClock(T0);
    const { deps } = rig([email, hanging], { owner: 'first', leaseClock: shared });
    await claimTransitions(deps, [incident(EUS)]);
    const holding = dispatchPending(deps); // holds its lease while the webhook hangs
    await new Promise((r) => setImmediate(r));
    const ahead = new FakeChannel('webhook');
    const second = { ...deps, notifiers: [new FakeChannel('email'), ahead], owner: 'second', clock: { now: () => T0 + 5 * 60_000 } };
    await dispatchPending(second);
    expect(ahead.sent).toHaveLength(0); // on its own clock the lease had lapsed; on the shared one it has not
    shared.advance(121_000);
    await dispatchPending(second);
    expect(ahead.members()).toEqual([EUS]);
    expect(email.sent).toHaveLength(1);
    release(new Error('gone'));
    await holding.catch(() => undefined);
  });

  it('with the shared time unreadable, dispatch goes on with its own clock (an alert never waits on Redis)', async () => {
    const email = new FakeChannel('email');
    const shared = new FakeClaimClock(T0);
    shared.reachable = false;
    const { deps } = rig([email], { leaseClock: shared });
    await claimTransitions(deps, [incident(EUS)]);
    expect(await dispatchPending(deps)).toMatchObject({ sent: 1 });
    expect(email.members()).toEqual([EUS]);
  });

  it('an alert undelivered for longer than maxPendingMs is given up (failed: expired) — with no channel, and on a channel held back', async () => {
    const email = new FakeChannel('email');
    const none = rig([]);
    const [quiet] = await claimTransitions(none.deps, [incident(EUS)]);
    none.advance(MAX_PENDING_MS);
    expect(await dispatchPending(none.deps)).toEqual({ sent: 0, deferred: 0, failed: 0 });
    none.advance(1);
    expect(await dispatchPending(none.deps)).toEqual({ sent: 0, deferred: 0, failed: 0, expired: 1 });
    expect(await none.deps.ledger.get(quiet ?? '')).toMatchObject({ status: 'failed', lastError: 'expired: undelivered since 2026-03-03T02:18:30.000Z' });
    expect(await none.deps.ledger.pending()).toEqual([]);

    // A channel whose budget never frees: the alert expires there too, its channel marked failed, and nothing is sent.
    const starved = rig([email], { limiter: { tryTake: async () => false }, maxPendingMs: 60_000 });
    const [held] = await claimTransitions(starved.deps, [incident(WUS)]);
    expect(await dispatchPending(starved.deps)).toMatchObject({ deferred: 1 });
    starved.advance(60_001);
    expect(await dispatchPending(starved.deps)).toMatchObject({ sent: 0, expired: 1 });
    expect((await starved.deps.ledger.get(held ?? ''))?.channels['email']).toMatchObject({ status: 'failed', lastError: 'expired: undelivered since 2026-03-03T02:18:30.000Z' });
    expect(email.sent).toEqual([]);
  });

  it('no channel configured: the alert is recorded but never marked sent; health shows it undelivered; a channel added later sends it', async () => {
    const { deps, advance } = rig([]);
    const [key] = await claimTransitions(deps, [incident(EUS)]);
    expect(await dispatchPending(deps)).toEqual({ sent: 0, deferred: 0, failed: 0 });
    expect(await deps.ledger.get(key ?? '')).toMatchObject({ status: 'pending', attempts: 0, channels: {} });
    advance(5 * 60_000);
    const health = await alertHealth(deps);
    expect(health).toStrictEqual({
      status: 'degraded',
      detail: 'no channel configured: 1 alert(s) undelivered, oldest 2026-03-03T02:18:30.000Z (5 min old)',
      metrics: { undelivered: 1, failed: 0, oldestAgeSeconds: 300 },
    });
    // Degraded is shown, and the probe still passes.
    const probe = await healthHandler({ checkHealth: async () => ({ alerts: health }) } as unknown as Services);
    expect(probe).toMatchObject({ status: 200, jsonBody: { status: 'ok', dependencies: { alerts: { status: 'degraded' } } } });

    const email = new FakeChannel('email');
    await dispatchPending({ ...deps, notifiers: [email] });
    expect(email.members()).toEqual([EUS]);
    expect(await deps.ledger.get(key ?? '')).toMatchObject({ status: 'sent', channels: { email: { status: 'sent', attempts: 1 } } });
    expect(await alertHealth({ ...deps, notifiers: [email] })).toStrictEqual({ status: 'up', detail: 'email: 0 undelivered', metrics: { undelivered: 0, failed: 0, 'email.undelivered': 0, 'email.retrying': 0, 'email.failed': 0 } });
  });

  it('email delivered, webhook still failing after maxAttempts: the webhook is given up, the alert is failed, not pending; health says so', async () => {
    const email = new FakeChannel('email');
    const webhook = new FakeChannel('webhook', () => new Error('webhook to https://hooks.example answered HTTP 410'));
    const { deps, advance } = rig([email, webhook], { maxAttempts: 2 });
    const [key] = await claimTransitions(deps, [incident(EUS)]);
    await dispatchPending(deps);
    advance(30_000);
    await dispatchPending(deps);
    expect(email.sent).toHaveLength(1);
    expect(await deps.ledger.get(key ?? '')).toMatchObject({ status: 'failed', attempts: 2, channels: { email: { status: 'sent', attempts: 1 }, webhook: { status: 'failed', attempts: 2 } } });
    expect(await deps.ledger.pending()).toEqual([]);
    const health = await alertHealth(deps);
    expect(health.status).toBe('degraded');
    expect(health.detail).toBe('email: 0 undelivered; webhook: 0 undelivered (1 given up in 24 h; last error: webhook to https://hooks.example answered HTTP 410)');
    expect(health.metrics).toMatchObject({ failed: 1, 'webhook.failed': 1, 'email.failed': 0 });
    // A day later it no longer counts.
    advance(24 * 3_600_000);
    expect(await alertHealth(deps)).toMatchObject({ status: 'up', metrics: { failed: 0 } });
  });

  it('a channel still failing after maxAttempts is given up; until then health shows it retrying', async () => {
    const email = new FakeChannel('email', () => new Error('ACS answered 503 (ServiceUnavailable)'));
    const { deps, advance } = rig([email], { maxAttempts: 3 });
    const [key] = await claimTransitions(deps, [incident(EUS)]);
    await dispatchPending(deps);
    expect(await alertHealth(deps)).toMatchObject({ status: 'degraded', detail: 'email: 1 undelivered (1 retrying; last error: ACS answered 503 (ServiceUnavailable)), oldest 2026-03-03T02:18:30.000Z (under 1 min old)' });
    for (let i = 0; i < 4; i++) {
      advance(30_000);
      await dispatchPending(deps);
    }
    expect(await deps.ledger.get(key ?? '')).toMatchObject({ status: 'failed', attempts: 3, channels: { email: { status: 'failed', attempts: 3 } } });
  });

  it("the send budget holds back only its own channel: the webhook is not delayed by the email's budget", async () => {
    const email = new FakeChannel('email');
    const webhook = new FakeChannel('webhook');
    const { deps, advance } = rig([email, webhook], { limiter: new MemoryRateLimiter({ email: { perMinute: 1, perHour: 100 } }) });
    // Two root causes: two groups, two messages per channel.
    const keys = await claimTransitions(deps, [incident(EUS, 'permission_revoked'), incident(WUS, 'firewall_blocked')]);
    expect(await dispatchPending(deps)).toEqual({ sent: 1, deferred: 1, failed: 0 });
    expect(email.sent).toHaveLength(1);
    expect(webhook.members().sort()).toEqual([EUS, WUS]);
    const waiting = (await deps.ledger.pending()).map((r) => [r.key, r.channels.email?.status, r.channels.webhook?.status]);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]?.slice(1)).toEqual(['pending', 'sent']);
    advance(60_000); // the budget refilled
    await dispatchPending(deps);
    expect(email.members().sort()).toEqual([EUS, WUS]);
    expect(webhook.sent).toHaveLength(2);
    for (const key of keys) expect((await deps.ledger.get(key))?.status).toBe('sent');
  });
});

/** Counts the ledger calls in flight; each call yields to the event loop first, so concurrency is observable. */
function counting(inner: AlertLedger): { ledger: AlertLedger; maxInFlight: () => number } {
  let inFlight = 0;
  let max = 0;
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      inFlight++;
      max = Math.max(max, inFlight);
      try {
        await new Promise((r) => setImmediate(r));
        return await fn(...args);
      } finally {
        inFlight--;
      }
    };
  return {
    ledger: {
      claim: wrap(inner.claim.bind(inner)),
      update: wrap(inner.update.bind(inner)),
      pending: wrap(inner.pending.bind(inner)),
      undelivered: wrap(inner.undelivered.bind(inner)),
      lease: wrap(inner.lease.bind(inner)),
      get: wrap(inner.get.bind(inner)),
    },
    maxInFlight: () => max,
  };
}

describe('500 incidents opening at once', () => {
  it.each([
    ['memory', (): AlertLedger => new MemoryAlertLedger()],
    ['table (Azurite)', (): AlertLedger => new TableAlertLedger(azurite().connection, { tableName: uniqueTableName('alerts') })],
  ])('%s: every transition is claimed once and sent once per channel, with at most 16 ledger calls in flight', async (_name, make) => {
    const { ledger, maxInFlight } = counting(make());
    const email = new FakeChannel('email');
    const webhook = new FakeChannel('webhook');
    const { deps } = rig([email, webhook], { ledger }); // the default bound, 16
    const incidents = Array.from({ length: 500 }, (_, i) => incident(`/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-${String(i).padStart(3, '0')}`, 'vault_deleted', `p-${i}`));
    const claimed = await claimTransitions(deps, incidents);
    expect(claimed.sort()).toEqual(incidents.map((i) => stageKey(i)).sort());
    expect(await claimTransitions(deps, incidents)).toEqual([]); // a redelivery claims nothing
    expect(await dispatchPending(deps)).toEqual({ sent: 500, deferred: 0, failed: 0 });
    // One root cause: groups of 50 (one readable message each), every incident once per channel.
    expect(email.sent).toHaveLength(10);
    expect(email.members().sort()).toEqual(incidents.map((i) => i.member).sort());
    expect(webhook.members().sort()).toEqual(incidents.map((i) => i.member).sort());
    expect(await ledger.pending(1000)).toEqual([]);
    expect(maxInFlight()).toBeLessThanOrEqual(16);
    expect(maxInFlight()).toBeGreaterThan(1); // bounded, not serial
  }, 120_000);
});
