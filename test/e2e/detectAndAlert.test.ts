// End to end through real parts: the Key Vault emulator (real @azure/keyvault-keys clients over HTTPS), its
// AuditEvent records through the Event Hubs trigger handler, Table Storage on Azurite, Redis, and the ACS Email
// capture receiving what @azure/communication-email sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../adapters/logging/logger.js';
import { TablePoisonStore } from '../../adapters/tables/poisonStore.js';
import { TableStateStore } from '../../adapters/tables/stateStore.js';
import { functionDefinitions } from '../../functions/list.js';
import type { EventHubInput, EventHubTrigger, FunctionDefinition } from '../../functions/definitions.js';
import { startLocalStack, type LocalStack } from '../../hosts/local/stack.js';

const ESTATE = fileURLToPath(new URL('../../demo/service-estate.json', import.meta.url));
const PRIMARY = { vault: 'kv-demo-eus', principalId: '11111111-1111-4111-8111-111111111111', server: 'sql-orders-eus' };

let stack: LocalStack;

beforeAll(async () => {
  // Timers and the simulated traffic are driven by hand so every step is deterministic.
  stack = await startLocalStack({ estatePath: ESTATE, port: 0, log: silentLogger, trafficEveryMs: 0, timers: false, feedIntervalMs: 60_000 });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

function kvAuditHandler(): (input: EventHubInput) => Promise<void> {
  const def = functionDefinitions(stack.host.services).find((d): d is Extract<FunctionDefinition, { trigger: EventHubTrigger }> => d.name === 'kvAudit');
  if (!def) throw new Error('kvAudit function missing');
  return def.handler;
}

const alertsFor = (server: string) => stack.email.messages().filter((m) => m.subject.includes(server));

describe('detect and alert, end to end', () => {
  it('healthy traffic raises nothing', async () => {
    await stack.traffic.tick();
    await stack.flush();
    expect(stack.email.messages()).toEqual([]);
    const res = await fetch(`${stack.host.url}/api/protectors/orders-sql`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 'orders-sql', health: 'healthy', openIncidents: 0 });
  });

  it('a revoked member identity gets exactly one alert with the autoheal deadline; restoring access sends one resolved alert', async () => {
    stack.kv.revoke(PRIMARY.vault, PRIMARY.principalId);
    await stack.traffic.tick(); // the server's next key read is denied → an AuditEvent 403
    await stack.flush();
    await stack.email.waitFor((m) => m.subject.includes(PRIMARY.server), 10_000);
    await stack.traffic.tick(); // more denials: the same incident, no new alert
    await stack.flush();
    await stack.host.services.sweep();
    const opened = alertsFor(PRIMARY.server);
    expect(opened).toHaveLength(1);
    expect(opened[0]?.subject).toMatch(/KEY ACCESS LOST: orders-sql \/ sql-orders-eus — permission_revoked — autoheal deadline \S+Z \(in 30 min\)/);
    expect(opened[0]?.plainText).toMatch(/Autoheal deadline: \S+Z \(in 30 min\)/);
    expect(opened[0]?.to.map((t) => t.address)).toEqual(['secops@contoso.example', 'dba-oncall@contoso.example']);
    expect(opened[0]?.plainText).toContain('KeyGet (HTTP 403)');

    type Detail = { health: string; incidents: Array<{ stage: string; cause: string; alerts: Array<{ transition: string; kind: string; status: string; channels: Record<string, { status: string; attempts: number; sentAt?: string }> }> }> };
    const detail = (await (await fetch(`${stack.host.url}/api/protectors/orders-sql`)).json()) as Detail;
    expect(detail.health).toBe('access_lost');
    expect(detail.incidents.map((i) => [i.cause, i.stage])).toEqual([['permission_revoked', 'access_lost']]);
    // The incident carries its alert transition, delivered on each channel configured (ACS Email, ITSM incident tickets).
    const delivered = { status: 'sent', attempts: 1, sentAt: expect.any(String) };
    expect(detail.incidents[0]?.alerts).toEqual([{ transition: 'access_lost', kind: 'opened', status: 'sent', createdAt: expect.any(String), attempts: 1, channels: { email: delivered, itsm: delivered } }]);

    stack.kv.grant(PRIMARY.vault, PRIMARY.principalId, ['get', 'wrapKey', 'unwrapKey']);
    await stack.traffic.tick();
    await stack.flush();
    await stack.email.waitFor((m) => m.subject.includes('RESOLVED'), 10_000);
    await stack.host.services.sweep();
    expect(alertsFor(PRIMARY.server).map((m) => m.subject.split(':')[0])).toEqual(['[keysteward] KEY ACCESS LOST', '[keysteward] RESOLVED']);
  });

  it('a batch delivered twice, and a batch with a poison record in the middle, leave the same state and alerts as one clean delivery', async () => {
    stack.email.clear();
    stack.kv.revoke('kv-demo-wus', '22222222-2222-4222-8222-222222222222');
    const before = stack.kv.auditLog().length;
    await stack.traffic.tick();
    const records = stack.kv.auditLog().slice(before); // what Event Hubs would carry: real AuditEvent records
    expect(records.some((r) => r.properties.httpStatusCode === 403)).toBe(true);
    const handler = kvAuditHandler();
    const batch = (seq: number, body: unknown): EventHubInput => ({ messages: [body], partitionId: '7', offsets: [String(seq * 100)], sequenceNumbers: [seq], lastAttempt: false });
    const state = new TableStateStore({ connectionString: stack.azurite.connectionString });

    await handler(batch(1, { records }));
    await stack.email.waitFor((m) => m.subject.includes('sql-orders-wus'), 10_000);
    const afterFirst = JSON.stringify((await state.load('orders-sql'))?.snapshot);

    await handler(batch(1, { records })); // redelivery
    const poisoned = { records: [records[0], { category: 'AuditEvent', operationName: 'KeyGet', properties: {} }, ...records.slice(1)] };
    await handler(batch(2, poisoned));
    await handler({ messages: ['{"records": [ truncated'], partitionId: '7', offsets: ['300'], sequenceNumbers: [3], lastAttempt: false });
    await stack.host.services.sweep();

    expect(JSON.stringify((await state.load('orders-sql'))?.snapshot)).toBe(afterFirst);
    expect(alertsFor('sql-orders-wus')).toHaveLength(1);
    const poison = await new TablePoisonStore({ connectionString: stack.azurite.connectionString }).list();
    const ours = poison.filter((p) => p.partitionId === '7');
    expect(ours.map((p) => [p.sequenceNumber, p.recordIndex, p.offset])).toEqual([
      [2, 1, '200'],
      [3, 0, '300'],
    ]);
    expect(ours[0]?.reason).toBe('missing time');
    expect(ours[1]?.reason).toMatch(/^invalid JSON/);
  });

  it('serves health, the dashboard and the Event Grid validation handshake', async () => {
    const health = await fetch(`${stack.host.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      dependencies: {
        tableStorage: { status: 'up' },
        redis: { status: 'up', detail: 'maxmemory-policy noeviction' },
        email: { status: 'up' },
        alerts: { status: 'up', detail: 'email: 0 undelivered; itsm: 0 undelivered', metrics: { undelivered: 0, 'email.undelivered': 0, 'itsm.undelivered': 0 } },
      },
    });
    const dashboard = await fetch(`${stack.host.url}/`);
    expect(dashboard.headers.get('content-type')).toContain('text/html');
    expect(await dashboard.text()).toContain('orders-sql');
    const validation = await fetch(`${stack.host.url}/api/events/eventgrid`, {
      method: 'POST',
      body: JSON.stringify([{ id: '1', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: { validationCode: 'abc-123' } }]),
    });
    expect(await validation.json()).toEqual({ validationResponse: 'abc-123' });
    const options = await fetch(`${stack.host.url}/api/events/eventgrid`, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } });
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    expect((await fetch(`${stack.host.url}/api/nope`)).status).toBe(404);
  });

  it('reconcile reads Log Analytics and the live inventory: identical material in every geo vault', async () => {
    const result = (await stack.host.services.reconcile()) as { gapFill: { records: number }; inventoryRead: number; inventoryFailed: number };
    expect(result.inventoryFailed).toBe(0);
    expect(result.inventoryRead).toBe(5); // three orders vaults, and two keys in the cosmos vault (catalog-cmk, cards-cmk)
    expect(result.gapFill.records).toBeGreaterThan(0);
    const detail = (await (await fetch(`${stack.host.url}/api/protectors/orders-sql`)).json()) as { findingList: Array<{ code: string }> };
    expect(detail.findingList.map((f) => f.code)).not.toContain('geo_key_material_missing');
  });
});

describe('GET /api/protectors in pages', () => {
  it('?limit=&after= walks the same protectors as the whole list, in id order; bad paging is a 400', async () => {
    const whole = ((await (await fetch(`${stack.host.url}/api/protectors`)).json()) as { protectors: Array<{ id: string }> }).protectors.map((p) => p.id);
    const walked: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages <= whole.length; pages++) {
      const res = await fetch(`${stack.host.url}/api/protectors?limit=2${after === null ? '' : `&after=${encodeURIComponent(after)}`}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { protectors: Array<{ id: string }>; next: string | null };
      walked.push(...page.protectors.map((p) => p.id));
      if (page.next === null) break;
      after = page.next;
    }
    expect(walked).toEqual([...whole].sort());
    for (const bad of ['limit=0', 'limit=1001', 'limit=ten', 'after=']) {
      const res = await fetch(`${stack.host.url}/api/protectors?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^bad paging/);
    }
  });
});

