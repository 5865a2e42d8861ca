// The ITSM stores' contract, run against the in-memory fakes and Table Storage on a real Azurite: requests (create
// once, compare-and-set, open and per-ticket listings), the outbox (insert once, due oldest first, leases, merge
// updates, backlog) and the incident-ticket index (episodes mapped, sets merged).
import { describe, expect, it } from 'vitest';
import { MemoryIncidentTicketIndex } from '../../app/itsm/fakes/memoryIncidentIndex.js';
import { MemoryItsmOutbox } from '../../app/itsm/fakes/memoryOutbox.js';
import { MemoryItsmRequestStore } from '../../app/itsm/fakes/memoryRequestStore.js';
import { ticketKey, type IncidentTicketIndex, type ItsmOutbox, type ItsmRequestStore } from '../../app/itsm/ports.js';
import { TableIncidentTicketIndex } from '../../adapters/tables/incidentTickets.js';
import { TableItsmOutbox } from '../../adapters/tables/itsmOutbox.js';
import { TableItsmRequestStore } from '../../adapters/tables/itsmRequests.js';
import { moveRequest, newRequest, type ItsmRequest, type TicketRef } from '../../domain/itsm/request.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';

const azurite = useAzurite();
const REF: TicketRef = { system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: '9d385017c611228701d22104cc95c371' };

function req(id: string, ticket: TicketRef = REF): ItsmRequest {
  return newRequest({ id, profile: 'standard', idempotencyKey: `k-${id}`, bodySha256: 'f'.repeat(64), assurance: 'signed', action: 'rotate', requestedProtector: 'orders-sql', ticket, requester: 'Jörg Ünïcode', nowIso: '2026-12-04T12:00:00.000Z' });
}

function requestStoreContract(name: string, make: () => ItsmRequestStore): void {
  describe(`ItsmRequestStore contract: ${name}`, () => {
    it('creates once and reads the request back whole', async () => {
      const s = make();
      const r = req('itsm-standard-aa');
      expect((await s.create(r)).ok).toBe(true);
      expect((await s.create(r)).ok).toBe(false);
      expect((await s.get(r.id))?.request).toEqual(r);
      expect(await s.get('itsm-standard-none')).toBeNull();
    });
    it('compare-and-set: a writer holding a stale etag loses', async () => {
      const s = make();
      const r = req('itsm-standard-bb');
      await s.create(r);
      const read = await s.get(r.id);
      const moved = moveRequest(r, 'approved', 'ok', '2026-12-04T12:01:00.000Z');
      if (!moved.ok || !read) throw new Error('setup');
      const first = await s.update(moved.request, read.etag);
      expect(first.ok).toBe(true);
      expect((await s.update({ ...moved.request, reason: 'late' }, read.etag)).ok).toBe(false);
      expect((await s.get(r.id))?.request.state).toBe('approved');
    });
    it('lists open requests and those about one ticket', async () => {
      const s = make();
      const a = req('itsm-standard-c1');
      const b = req('itsm-standard-c2', { system: 'jira', key: 'CHG-9' });
      const c = req('itsm-standard-c3');
      for (const r of [a, b, c]) await s.create(r);
      const refused = moveRequest(c, 'refused', 'no', '2026-12-04T12:02:00.000Z');
      const read = await s.get(c.id);
      if (!refused.ok || !read) throw new Error('setup');
      await s.update(refused.request, read.etag);
      expect((await s.listOpen()).map((r) => r.id).filter((id) => id.startsWith('itsm-standard-c'))).toEqual([a.id, b.id]);
      expect((await s.listByTicket(ticketKey(REF))).map((r) => r.id).filter((id) => id.startsWith('itsm-standard-c'))).toEqual([a.id, c.id]);
      expect((await s.listByTicket(ticketKey({ system: 'jira', key: 'chg-9' }))).map((r) => r.id)).toEqual([b.id]);
    });
  });
}

function outboxContract(name: string, make: () => ItsmOutbox): void {
  describe(`ItsmOutbox contract: ${name}`, () => {
    const note = (id: string, createdAt: string, nextAttemptAt?: number) => ({ id, kind: 'ticket-note' as const, ticket: REF, text: `text of ${id} ✓`, createdAt, ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}) });
    it('inserts once; due lists pending entries whose time has come, oldest first', async () => {
      const o = make();
      expect(await o.put(note('b', '2026-12-04T12:00:02.000Z'))).toBe(true);
      expect(await o.put(note('a', '2026-12-04T12:00:01.000Z'))).toBe(true);
      expect(await o.put(note('a', '2026-12-04T12:00:09.000Z'))).toBe(false);
      expect(await o.put(note('later', '2026-12-04T12:00:00.000Z', 1_900_000_000_000))).toBe(true);
      const due = await o.due(1_800_000_000_000, 10);
      expect(due.map((e) => e.id)).toEqual(['a', 'b']);
      expect(due[0]).toMatchObject({ kind: 'ticket-note', ticket: REF, text: 'text of a ✓', status: 'pending', attempts: 0 });
      expect((await o.due(1_900_000_000_000, 10)).map((e) => e.id)).toEqual(['later', 'a', 'b']);
      expect((await o.due(1_900_000_000_000, 1)).map((e) => e.id)).toEqual(['later']);
    });
    it('leases: one owner at a time until the lease runs out; an update releases it', async () => {
      const o = make();
      await o.put(note('x', '2026-12-04T12:00:00.000Z'));
      expect(await o.lease('x', 'A', 1000, 61_000)).toBe(true);
      expect(await o.lease('x', 'B', 2000, 62_000)).toBe(false);
      expect(await o.lease('x', 'B', 61_001, 122_000)).toBe(true);
      await o.update('x', { status: 'pending', attempts: 1, nextAttemptAt: 1_800_000_005_000, lastError: 'down', done: ['noted:g'] });
      expect(await o.lease('x', 'A', 62_000, 122_000)).toBe(true);
      expect(await o.get('x')).toMatchObject({ attempts: 1, nextAttemptAt: 1_800_000_005_000, lastError: 'down', done: ['noted:g'] });
      await o.update('x', { status: 'sent', attempts: 2, nextAttemptAt: 0 });
      expect(await o.lease('x', 'C', 200_000, 260_000)).toBe(false); // sent: nothing to lease
      expect((await o.get('x'))?.lastError).toBe('down'); // merge keeps the last error
    });
    it('backlog counts pending and failed, the oldest pending and the latest error', async () => {
      const o = make();
      await o.put(note('p1', '2026-12-04T12:00:05.000Z'));
      await o.put(note('p2', '2026-12-04T12:00:03.000Z'));
      await o.put(note('f1', '2026-12-04T12:00:01.000Z'));
      await o.update('f1', { status: 'failed', attempts: 200, nextAttemptAt: 5, lastError: 'old error' });
      await o.update('p1', { status: 'pending', attempts: 1, nextAttemptAt: 9, lastError: 'new error' });
      expect(await o.backlog()).toEqual({ pending: 2, failed: 1, oldest: '2026-12-04T12:00:03.000Z', lastError: 'new error' });
    });
    it('keeps an incident entry whole', async () => {
      const o = make();
      const incident = { system: 'jira' as const, groupKey: 'g-1', alertKind: 'opened' as const, episodes: ['orders-sql|/s/x|permission_revoked|#0'], summary: 's', text: 't', urgency: 1 as const };
      await o.put({ id: 'inc-g-1', kind: 'incident', incident, createdAt: '2026-12-04T12:00:00.000Z' });
      expect((await o.get('inc-g-1'))?.incident).toEqual(incident);
    });
  });
}

function indexContract(name: string, make: () => IncidentTicketIndex): void {
  describe(`IncidentTicketIndex contract: ${name}`, () => {
    it('maps each episode to its ticket and merges episodes and resolutions', async () => {
      const x = make();
      const ticket: TicketRef = { system: 'servicenow', table: 'incident', number: 'INC0010001', sysId: 'a'.repeat(32) };
      expect(await x.ticketOf('e|1')).toBeNull();
      await x.track({ correlationId: 'g#1/x', ticket, episodes: ['e|1', 'e|2'], resolved: [] });
      await x.track({ correlationId: 'g#1/x', ticket, episodes: ['e|3'], resolved: ['e|1'] });
      expect(await x.ticketOf('e|3')).toEqual({ correlationId: 'g#1/x', ticket, episodes: ['e|1', 'e|2', 'e|3'], resolved: ['e|1'] });
      expect((await x.ticketOf('e|1'))?.correlationId).toBe('g#1/x');
    });
  });
}

requestStoreContract('memory', () => new MemoryItsmRequestStore());
requestStoreContract('Table Storage (Azurite)', () => new TableItsmRequestStore(azurite().connection, { tableName: uniqueTableName('itsmreq') }));
outboxContract('memory', () => new MemoryItsmOutbox());
outboxContract('Table Storage (Azurite)', () => new TableItsmOutbox(azurite().connection, { tableName: uniqueTableName('itsmout') }));
indexContract('memory', () => new MemoryIncidentTicketIndex());
indexContract('Table Storage (Azurite)', () => new TableIncidentTicketIndex(azurite().connection, { tableName: uniqueTableName('itsmtix') }));
