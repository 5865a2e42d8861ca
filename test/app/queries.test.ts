// The read side: one protector's incidents carry their alert transitions with each channel's delivery (what a
// dashboard shows: sent, pending, retrying with the last error); the list of protectors never reads the ledger.
import { describe, expect, it } from 'vitest';
import { dispatchPending } from '../../app/alerts.js';
import { ingestMessages } from '../../app/ingestion.js';
import { describeProtector, listProtectors, listProtectorsPage, type ProtectorSummary } from '../../app/queries.js';
import type { AlertLedger } from '../../app/ports.js';
import { harness, message } from '../support/appHarness.js';
import { contoso, readFixture } from '../support/estates.js';

const estate = contoso();
const denial = readFixture('keyvault-audit/unwrap-forbidden-rbac.envelope.json') as { records: Array<Record<string, unknown>> };

function successAt(time: string): unknown {
  const r = structuredClone(denial.records[0] as Record<string, unknown>);
  r['time'] = time;
  r['resultSignature'] = 'OK';
  delete r['resultDescription'];
  (r['properties'] as Record<string, unknown>)['httpStatusCode'] = 200;
  return { records: [r] };
}

describe('describeProtector', () => {
  it("each incident lists its transitions in stage order with every channel's delivery", async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    h.notifier.failNext = 1;
    await ingestMessages(h.deps, [message(denial)]);
    const q = { estates: h.deps.estates, state: h.state, clock: h.deps.clock, alerts: h.ledger };
    const open = await describeProtector(q, 'orders-sql');
    expect(open?.incidents.map((i) => i.alerts)).toEqual([
      [{ transition: 'access_lost', kind: 'opened', status: 'pending', createdAt: '2026-03-03T02:18:30.000Z', attempts: 1, channels: { capture: { status: 'pending', attempts: 1, lastError: 'channel down' } } }],
    ]);

    h.setNow('2026-03-03T02:21:00Z');
    await dispatchPending(h.alerts);
    await ingestMessages(h.deps, [message(successAt('2026-03-03T02:20:10.0000000Z'))]);
    const resolved = await describeProtector(q, 'orders-sql');
    expect(resolved?.incidents[0]?.stage).toBe('resolved');
    expect(resolved?.incidents[0]?.alerts.map((a) => [a.transition, a.kind, a.status, a.channels['capture']?.status, a.channels['capture']?.sentAt])).toEqual([
      ['access_lost', 'opened', 'sent', 'sent', '2026-03-03T02:21:00.000Z'],
      ['resolved', 'resolved', 'sent', 'sent', '2026-03-03T02:21:00.000Z'],
    ]);
  });

  it('without a ledger incidents carry no transitions, and listing protectors reads no alert', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    await ingestMessages(h.deps, [message(denial)]);
    const refuses = new Proxy(h.ledger, { get: () => () => Promise.reject(new Error('the list must not read alerts')) }) as AlertLedger;
    const list = await listProtectors({ estates: h.deps.estates, state: h.state, clock: h.deps.clock, alerts: refuses });
    expect(list.find((p) => p.id === 'orders-sql')).toMatchObject({ health: 'access_lost', openIncidents: 1 });
    const detail = await describeProtector({ estates: h.deps.estates, state: h.state, clock: h.deps.clock }, 'orders-sql');
    expect(detail?.incidents.map((i) => i.alerts)).toEqual([[]]);
  });

  it('the list (one scan of the state store) says of every protector what describing it alone says; a state the scan cannot read is loaded on its own', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    await ingestMessages(h.deps, [message(denial)]);
    const q = { estates: h.deps.estates, state: h.state, clock: h.deps.clock };
    const list = await listProtectors(q);
    expect(list.map((p) => p.id)).toEqual(estate.protectors.map((p) => p.id));
    for (const p of estate.protectors) {
      const { incidents: _i, findingList: _f, evaluatedAt: _e, ...alone } = (await describeProtector(q, p.id))!;
      expect(list.find((x) => x.id === p.id)).toEqual(alone);
    }
    // A scan that reports orders-sql's state unreadable: the list reads it directly, and a direct read that fails fails the list.
    const unreadable = Object.create(h.state) as typeof h.state;
    unreadable.list = async (range) => {
      const page = await h.state.list(range);
      return { ...page, entries: page.entries.map((e) => (e.protectorId === 'orders-sql' ? { ok: false as const, position: e.position, protectorId: e.protectorId, error: 'corrupt' } : e)) };
    };
    expect((await listProtectors({ ...q, state: unreadable })).find((p) => p.id === 'orders-sql')).toMatchObject({ health: 'access_lost', openIncidents: 1 });
    unreadable.load = async () => Promise.reject(new Error('corrupt entity orders-sql'));
    await expect(listProtectors({ ...q, state: unreadable })).rejects.toThrow('corrupt entity orders-sql');
  });
});

describe('listProtectorsPage', () => {
  it('walking the pages, whatever their size, gives every protector once, in id order, as the whole list says it', async () => {
    // orders-sql (its access lost by the denial) among copies listed out of id order.
    const [orders] = estate.protectors;
    if (!orders) throw new Error('no protector');
    const many = { ...estate, protectors: [orders, ...['zeta', 'alpha', 'mid', 'beta'].map((id) => ({ ...orders, id }))] };
    const h = harness(many, '2026-03-03T02:18:30Z');
    await ingestMessages(h.deps, [message(denial)]);
    const q = { estates: h.deps.estates, state: h.state, clock: h.deps.clock };
    const whole = await listProtectors(q);
    expect(whole.find((p) => p.id === 'orders-sql')).toMatchObject({ health: 'access_lost' });
    const byId = [...whole].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(byId.length).toBeGreaterThan(2);
    for (let limit = 1; limit <= byId.length + 1; limit++) {
      const walked: ProtectorSummary[] = [];
      let after: string | null = null;
      for (let pages = 0; ; pages++) {
        expect(pages, 'pages never end').toBeLessThan(byId.length + 2);
        const page = await listProtectorsPage(q, { after, limit });
        expect(page.protectors.length).toBeLessThanOrEqual(limit);
        walked.push(...page.protectors);
        if (page.next === null) break;
        expect(page.next).toBe(page.protectors.at(-1)?.id);
        after = page.next;
      }
      expect(walked, `limit ${limit}`).toEqual(byId);
    }
    expect(await listProtectorsPage(q, { after: byId.at(-1)?.id ?? null, limit: 5 })).toEqual({ protectors: [], next: null });
    // A cursor that names no protector still resumes at the next id.
    expect((await listProtectorsPage(q, { after: `${byId[0]?.id}~`, limit: 1 })).protectors.map((p) => p.id)).toEqual([byId[1]?.id]);
  });
});
