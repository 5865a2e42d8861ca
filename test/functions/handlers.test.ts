// Function handlers over a fake Services: the last retry poisons instead of throwing (I4), and Event Grid
// deliveries need their key and answer the validation handshake.
import { describe, expect, it } from 'vitest';
import type { IngestMessage, IngestSummary } from '../../app/ingestion.js';
import type { EventHubInput, EventHubTrigger, FunctionDefinition, HttpInput, HttpTrigger } from '../../functions/definitions.js';
import { functionDefinitions } from '../../functions/list.js';
import type { Services } from '../../functions/services.js';
import { silentLogger } from '../../adapters/logging/logger.js';

function fakeServices(opts: { ingestFails?: boolean; eventGridKey?: string } = {}) {
  const poisoned: Array<{ messages: readonly IngestMessage[]; reason: string }> = [];
  const ingested: IngestMessage[][] = [];
  const summary: IngestSummary = { records: 1, matched: 1, ignored: 0, rejected: 0, protectorsChanged: 1, conflicts: 0, alertsClaimed: 0, discoveryTriggers: 0 };
  const services = {
    config: {
      auditEventHub: { connection: 'A', name: 'a', consumerGroup: '$Default' },
      activityEventHub: { connection: 'B', name: 'b', consumerGroup: '$Default' },
      sweepSchedule: '* * * * * *', reconcileSchedule: '* * * * * *', rotationSchedule: '* * * * * *',
      eventGridKey: opts.eventGridKey,
    },
    clock: { now: () => 0 },
    log: silentLogger,
    ingest: async (messages: readonly IngestMessage[]) => {
      if (opts.ingestFails) throw new Error('table storage down');
      ingested.push([...messages]);
      return summary;
    },
    poisonBatch: async (messages: readonly IngestMessage[], reason: string) => void poisoned.push({ messages, reason }),
  } as unknown as Services;
  return { services, poisoned, ingested };
}

const eventHub = (s: Services) => functionDefinitions(s).find((d): d is Extract<FunctionDefinition, { trigger: EventHubTrigger }> => d.name === 'kvAudit')?.handler as (i: EventHubInput) => Promise<void>;
const eventGrid = (s: Services) => functionDefinitions(s).find((d): d is Extract<FunctionDefinition, { trigger: HttpTrigger }> => d.name === 'eventGrid')?.handler as (r: HttpInput) => Promise<{ status: number; jsonBody?: unknown }>;
const batch = (lastAttempt: boolean): EventHubInput => ({ messages: [{ records: [] }, { records: [] }], partitionId: '4', offsets: ['10', '20'], sequenceNumbers: [1, 2], lastAttempt });
const post = (body: unknown, headers: Record<string, string> = {}, query = ''): HttpInput => ({ method: 'POST', params: {}, query: new URLSearchParams(query), headers, rawBody: Buffer.from(JSON.stringify(body)) });

describe('Event Hubs handler', () => {
  it('throws on an ordinary failure so the host retries the batch', async () => {
    const { services, poisoned } = fakeServices({ ingestFails: true });
    await expect(eventHub(services)(batch(false))).rejects.toThrow('table storage down');
    expect(poisoned).toEqual([]);
  });

  it('on the last retry stores every message in the poison table and returns (the host would skip it otherwise)', async () => {
    const { services, poisoned } = fakeServices({ ingestFails: true });
    await eventHub(services)(batch(true));
    expect(poisoned).toHaveLength(1);
    expect(poisoned[0]?.messages.map((m) => [m.partitionId, m.offset, m.sequenceNumber])).toEqual([['4', '10', 1], ['4', '20', 2]]);
    expect(poisoned[0]?.reason).toBe('table storage down');
  });
});

describe('Event Grid handler', () => {
  const validation = [{ id: '1', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: { validationCode: 'code-1' } }];

  it('requires the configured key (header or code query), compared in constant time', async () => {
    const { services, ingested } = fakeServices({ eventGridKey: 'a-very-long-event-grid-key' });
    expect((await eventGrid(services)(post(validation))).status).toBe(401);
    expect((await eventGrid(services)(post(validation, { 'aeg-sas-key': 'wrong-key-of-other-length' }))).status).toBe(401);
    expect(await eventGrid(services)(post(validation, { 'aeg-sas-key': 'a-very-long-event-grid-key' }))).toEqual({ status: 200, jsonBody: { validationResponse: 'code-1' } });
    expect((await eventGrid(services)(post([{ id: 'e1', eventType: 'Microsoft.KeyVault.KeyNearExpiry', data: {} }], {}, 'code=a-very-long-event-grid-key'))).status).toBe(200);
    expect(ingested).toHaveLength(1);
    expect(ingested[0]?.[0]?.partitionId).toMatch(/^eventgrid-[0-9a-f]{24}$/);
  });

  it('refuses a body that is not JSON', async () => {
    const { services } = fakeServices();
    expect((await eventGrid(services)({ method: 'POST', params: {}, query: new URLSearchParams(), headers: {}, rawBody: Buffer.from('{nope') })).status).toBe(400);
  });
});
