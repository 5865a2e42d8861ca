// ARM's throttling as the SDKs meet it: the remaining-requests headers count down per subscription (and per tenant
// for tenant-level reads), an empty bucket answers 429 SubscriptionRequestsThrottled with Retry-After, a forced
// "every Nth read" 429 is retried by the SDK so listings still come back whole, and a subscription the caller cannot
// read is missing from its listing and answers 403.
import { describe, expect, it } from 'vitest';
import type { ArmEmulator } from '../../../emulators/arm/index.js';
import { bearer, rawRequest } from '../armsql/support.js';
import { A1, RG, SUB_A, SUB_B, all, clients, restError, emulatorPerTest } from './support.js';

const session = emulatorPerTest();

const T0 = Date.parse('2026-03-02T14:00:00Z');

async function remainingReads(e: ArmEmulator, sub: string, server: string): Promise<string | undefined> {
  let header: string | undefined;
  await clients(e, session.cert()).sql(sub).servers.get(RG, server, { onResponse: (r) => (header = r.headers.get('x-ms-ratelimit-remaining-subscription-reads')) });
  return header;
}

describe('remaining-requests headers', () => {
  it('count down per subscription, one token per read', async () => {
    const em = await session.start({ clock: () => T0 });
    const a = [await remainingReads(em, SUB_A, 'sql-a1'), await remainingReads(em, SUB_A, 'sql-a2'), await remainingReads(em, SUB_A, 'sql-a1')];
    const b = [await remainingReads(em, SUB_B, 'sql-a3'), await remainingReads(em, SUB_B, 'sql-solo')];
    expect(a).toEqual(['249', '248', '247']);
    expect(b).toEqual(['249', '248']);
  });

  it('refill with time at the bucket rate, never above its size', async () => {
    let now = T0;
    const em = await session.start({ clock: () => now, throttling: { reads: { size: 10, refillPerSecond: 2 } } });
    for (let i = 0; i < 4; i++) await remainingReads(em, SUB_A, 'sql-a1');
    expect(await remainingReads(em, SUB_A, 'sql-a1')).toBe('5');
    now += 1000;
    expect(await remainingReads(em, SUB_A, 'sql-a1')).toBe('6');
    now += 60_000;
    expect(await remainingReads(em, SUB_A, 'sql-a1')).toBe('9');
  });

  it('tenant-level reads (subscriptions.list) have their own bucket and header', async () => {
    const em = await session.start({ clock: () => T0 });
    const seen: Array<string | undefined> = [];
    const subs = clients(em, session.cert()).subscriptions;
    for (let i = 0; i < 2; i++) await all(subs.subscriptions.list({ onResponse: (r) => seen.push(r.headers.get('x-ms-ratelimit-remaining-tenant-reads')) }));
    expect(seen).toEqual(['249', '248']);
    expect(await remainingReads(em, SUB_A, 'sql-a1')).toBe('249');
  });

  it('writes draw on the writes bucket', async () => {
    const em = await session.start({ clock: () => T0 });
    let header: string | undefined;
    await clients(em, session.cert()).sql(SUB_A).failoverGroups.beginFailoverAndWait(RG, 'sql-a2', 'fg-orders', { onResponse: (r) => (header ??= r.headers.get('x-ms-ratelimit-remaining-subscription-writes')) });
    expect(header).toBe('199');
  });
});

describe('429 when the budget is spent', () => {
  it('an empty bucket answers 429 SubscriptionRequestsThrottled with Retry-After until it refills; a 429 costs no token', async () => {
    let now = T0;
    const em = await session.start({ clock: () => now, throttling: { reads: { size: 2, refillPerSecond: 0.5 } } });
    const url = `${em.endpoint}${A1}?api-version=2022-08-01-preview`;
    const headers = { Authorization: await bearer() };
    expect((await rawRequest(session.cert(), url, { headers })).status).toBe(200);
    expect((await rawRequest(session.cert(), url, { headers })).status).toBe(200);
    const refused = await rawRequest(session.cert(), url, { headers });
    expect(refused).toMatchObject({ status: 429, json: { error: { code: 'SubscriptionRequestsThrottled' } } });
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('0');
    expect((await rawRequest(session.cert(), url, { headers })).status).toBe(429);
    now += 2000;
    expect((await rawRequest(session.cert(), url, { headers })).status).toBe(200);
    expect(em.calls()).toMatchObject({ total: 5, throttled: 2, throttledByOperation: { 'servers.get': 2 } });
  });

  it('a burst budget: the SDK retries on Retry-After, then gives up with the 429; other subscriptions are unaffected', async () => {
    const em = await session.start({ clock: () => T0, pageSize: 1, throttling: { reads: { size: 3, refillPerSecond: 0 }, retryAfterSeconds: 0 } });
    const c = clients(em, session.cert(), { maxRetries: 2 });
    await c.sql(SUB_A).servers.get(RG, 'sql-a1');
    expect((await all(c.sql(SUB_A).servers.list())).length).toBe(2);
    const err = await restError(c.sql(SUB_A).servers.get(RG, 'sql-a2'));
    expect(err).toMatchObject({ statusCode: 429, code: 'SubscriptionRequestsThrottled' });
    // One try and two retries, each answered 429.
    expect(em.calls().throttledByOperation).toEqual({ 'servers.get': 3 });
    expect((await c.sql(SUB_B).servers.get(RG, 'sql-a3')).name).toBe('sql-a3');
  });

  it('every Nth read forced to 429: every paged listing still comes back whole through the SDK retries', async () => {
    const em = await session.start({ pageSize: 1, throttling: { rejectEveryNthRead: 3, retryAfterSeconds: 0 } });
    const c = clients(em, session.cert());
    const servers = [...(await all(c.sql(SUB_A).servers.list())), ...(await all(c.sql(SUB_B).servers.list()))];
    const links = await all(c.sql(SUB_A).replicationLinks.listByServer(RG, 'sql-a1'));
    const vaults = await all(c.keyVault(SUB_A).vaults.listBySubscription());
    const subs = await all(c.subscriptions.subscriptions.list());
    const accounts = await all(c.cosmos(SUB_A).databaseAccounts.list());
    expect([servers.length, links.length, vaults.length, subs.length, accounts.length]).toEqual([4, 4, 2, 2, 1]);
    const calls = em.calls();
    // Pages: servers 2 + 2, links 4, vaults 2, subscriptions 2, accounts 1 = 13 reads answered 200; every third read was a 429.
    expect(calls.total - calls.throttled).toBe(13);
    expect(calls.throttled).toBe(Math.floor(calls.total / 3));
    expect(calls.throttled).toBeGreaterThanOrEqual(4);
  });
});

describe('subscription access', () => {
  it('a subscription without the caller among its readers is not listed and answers 403; an unknown one 404', async () => {
    const em = await session.start({ subscriptions: [{ subscriptionId: SUB_A }, { subscriptionId: SUB_B, readers: ['0b0b0b0b-0000-4000-8000-000000000b0b'] }] });
    const c = clients(em, session.cert(), { maxRetries: 0 });
    expect((await all(c.subscriptions.subscriptions.list())).map((s) => s.subscriptionId)).toEqual([SUB_A]);
    expect(await restError(all(c.sql(SUB_B).servers.list()))).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    expect((await restError(all(c.sql(SUB_B).servers.list()))).message).toContain("perform action 'Microsoft.Sql/servers/read' over scope '/subscriptions/22222222-2222-4222-8222-222222222222'");
    expect(await restError(all(c.sql('33333333-3333-4333-8333-333333333333').servers.list()))).toMatchObject({ statusCode: 404, code: 'SubscriptionNotFound' });
  });
});
