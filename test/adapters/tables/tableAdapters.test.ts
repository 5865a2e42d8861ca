// What only the Table adapters do (the shared behaviour is in test/contracts): the stored layout, size refusal,
// corrupt entities, table creation, the account-URL factory, and the ETag/status behaviour Azurite shows.
import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { TableAlertLedger } from '../../../adapters/tables/alertLedger.js';
import { CHUNK_CHARS } from '../../../adapters/tables/chunks.js';
import { CorruptEntityError, EntityTooLargeError, statusOf } from '../../../adapters/tables/errors.js';
import { TablePoisonStore } from '../../../adapters/tables/poisonStore.js';
import { TableStateStore } from '../../../adapters/tables/stateStore.js';
import { alert, alertMessage, poison, snapshot, snapshotOfSize } from '../../contracts/fixtures.js';
import { uniqueTableName, useAzurite } from '../../support/azurite.js';

const azurite = useAzurite();

function raw(table: string): TableClient {
  return TableClient.fromConnectionString(azurite().azurite.connectionString, table, { allowInsecureConnection: true });
}

describe('TableStateStore', () => {
  it('stores the snapshot as chunked JSON in s0..sN with chunks and v', async () => {
    const table = uniqueTableName('state');
    const store = new TableStateStore(azurite().connection, { tableName: table });
    const snap = snapshotOfSize('p1', 2 * CHUNK_CHARS + 5);
    expect((await store.save('p1', snap, null)).ok).toBe(true);
    const e = await raw(table).getEntity<Record<string, unknown>>('p1', 'state');
    expect(e).toMatchObject({ v: 1, chunks: 3, protectorId: 'p1' });
    expect(typeof e.s2).toBe('string');
    expect(e.s3).toBeUndefined();
    expect(JSON.parse(`${String(e.s0)}${String(e.s1)}${String(e.s2)}`)).toEqual(snap);
    // A smaller replacement removes the old chunks (Replace, not Merge): no stale data, no creeping entity size.
    expect((await store.save('p1', snapshot('p1'), e.etag)).ok).toBe(true);
    const after = await raw(table).getEntity<Record<string, unknown>>('p1', 'state');
    expect(after).toMatchObject({ chunks: 1 });
    expect(after.s1).toBeUndefined();
  });

  it('refuses a snapshot past the entity limit before writing anything', async () => {
    const store = new TableStateStore(azurite().connection, { tableName: uniqueTableName('state') });
    // 540 K characters is ~1.08 MB of UTF-16: over Azure's 1 MiB entity limit (Azurite alone would accept it).
    await expect(store.save('huge', snapshotOfSize('huge', 540_000), null)).rejects.toBeInstanceOf(EntityTooLargeError);
    expect(await store.load('huge')).toBeNull();
  });

  it('throws CorruptEntityError for an entity it cannot read, naming the table and keys', async () => {
    const table = uniqueTableName('state');
    const store = new TableStateStore(azurite().connection, { tableName: table });
    await store.save('ok', snapshot('ok'), null);
    const client = raw(table);
    await client.createEntity({ partitionKey: 'badjson', rowKey: 'state', protectorId: 'badjson', v: 1, chunks: 1, s0: '{"v":1,' });
    await client.createEntity({ partitionKey: 'missing', rowKey: 'state', protectorId: 'missing', v: 1, chunks: 2, s0: '{}' });
    await client.createEntity({ partitionKey: 'layout', rowKey: 'state', protectorId: 'layout', v: 2, chunks: 0 });
    await client.createEntity({ partitionKey: 'schema', rowKey: 'state', protectorId: 'schema', v: 1, chunks: 1, s0: '{"v":1,"protectorId":"schema","events":[{"id":"x"}],"successes":[]}' });
    await client.createEntity({ partitionKey: 'moved', rowKey: 'state', protectorId: 'elsewhere', v: 1, chunks: 1, s0: JSON.stringify(snapshot('moved')) });
    for (const id of ['badjson', 'missing', 'layout', 'schema', 'moved']) {
      const err = await store.load(id).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptEntityError);
      expect(err).toMatchObject({ name: 'CorruptEntityError', table, partitionKey: id, rowKey: 'state' });
    }
    expect((await store.load('ok'))?.snapshot).toStrictEqual(snapshot('ok'));
  });

  it('creates its table on first use, idempotently across many instances', async () => {
    const table = uniqueTableName('state');
    const stores = Array.from({ length: 5 }, () => new TableStateStore(azurite().connection, { tableName: table }));
    const results = await Promise.all(stores.map((s, i) => s.save(`p${i}`, snapshot(`p${i}`), null)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect((await stores[0]?.load('p4'))?.snapshot).toStrictEqual(snapshot('p4'));
  });

  it('works through the production-shaped factory (account URL + credential)', async () => {
    const table = uniqueTableName('state');
    const credential = new AzureNamedKeyCredential('devstoreaccount1', keyOf(azurite().azurite.connectionString));
    const store = new TableStateStore({ accountUrl: azurite().azurite.tableEndpoint, credential }, { tableName: table });
    const saved = await store.save('p1', snapshot('p1'), null);
    expect(saved.ok).toBe(true);
    expect((await store.load('p1'))?.snapshot).toStrictEqual(snapshot('p1'));
  });
});

describe('Azurite ETag behaviour the adapters rely on', () => {
  it('answers 412 for a stale etag, 404 for a replace of an absent entity, 409 for a duplicate insert', async () => {
    const client = raw(uniqueTableName('probe'));
    await client.createTable();
    const created = await client.createEntity({ partitionKey: 'p', rowKey: 'r', n: 1 });
    await client.updateEntity({ partitionKey: 'p', rowKey: 'r', n: 2 }, 'Replace', { etag: created.etag ?? '' });
    expect(statusOf(await client.updateEntity({ partitionKey: 'p', rowKey: 'r', n: 3 }, 'Replace', { etag: created.etag ?? '' }).catch((e: unknown) => e))).toBe(412);
    expect(statusOf(await client.updateEntity({ partitionKey: 'x', rowKey: 'r', n: 3 }, 'Replace', { etag: created.etag ?? '' }).catch((e: unknown) => e))).toBe(404);
    expect(statusOf(await client.createEntity({ partitionKey: 'p', rowKey: 'r' }).catch((e: unknown) => e))).toBe(409);
  });
});

describe('TablePoisonStore', () => {
  it('stores a message’s rejected records as pages keyed by source-partition and padded sequence-first index, bodies bounded', async () => {
    const table = uniqueTableName('poison');
    const store = new TablePoisonStore(azurite().connection, { tableName: table });
    await store.put(poison({ partitionId: '3', sequenceNumber: 42, recordIndex: 7, body: 'b'.repeat(40_000) }));
    const e = await raw(table).getEntity<Record<string, unknown>>('keyvault-audit-3', '00000000000000000042-0000000007');
    expect(e).toMatchObject({ sequenceNumber: '42', recordChunks: 2 });
    const [record] = await store.list();
    expect(record?.body).toHaveLength(32_000);
  });

  it('one hostile message of 100,000 malformed records is a handful of entities, every record listed back', async () => {
    const table = uniqueTableName('poison');
    const store = new TablePoisonStore(azurite().connection, { tableName: table });
    const records = Array.from({ length: 100_000 }, (_, i) => poison({ source: 'unknown', partitionId: 'eventgrid', sequenceNumber: 9, recordIndex: i, reason: 'not an object', body: '"x"' }));
    await store.putMany(records);
    let entities = 0;
    for await (const _e of raw(table).listEntities()) entities++;
    expect(entities).toBeGreaterThan(1);
    expect(entities).toBeLessThan(20);
    const listed = await store.list(200_000);
    expect(listed).toHaveLength(100_000);
    expect(listed.map((r) => r.recordIndex)).toEqual(records.map((r) => r.recordIndex));
  });

  it('a position stored by put and again inside a page of putMany is listed once, as written last', async () => {
    const store = new TablePoisonStore(azurite().connection, { tableName: uniqueTableName('poison') });
    await store.put(poison({ recordIndex: 7, reason: 'alone' }));
    await store.putMany(Array.from({ length: 10 }, (_, i) => poison({ recordIndex: i, reason: 'in a page' })));
    const listed = await store.list();
    expect(listed.map((r) => r.recordIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(listed.find((r) => r.recordIndex === 7)?.reason).toBe('in a page');
  });

  it('still stores records whose position is not a plain number (never loses one, I4)', async () => {
    const store = new TablePoisonStore(azurite().connection, { tableName: uniqueTableName('poison') });
    await store.put(poison({ sequenceNumber: -1, recordIndex: 0 }));
    await store.put(poison({ sequenceNumber: 5, recordIndex: 0 }));
    expect((await store.list()).map((r) => r.sequenceNumber)).toEqual([5, -1]);
  });
});

describe('TableAlertLedger', () => {
  it('refuses a message past the entity limit', async () => {
    const ledger = new TableAlertLedger(azurite().connection, { tableName: uniqueTableName('alerts') });
    const record = alert('huge', { message: alertMessage('huge', { html: 'h'.repeat(600_000) }) });
    await expect(ledger.claim(record)).rejects.toBeInstanceOf(EntityTooLargeError);
    expect(await ledger.get('huge')).toBeNull();
  });

  it('throws CorruptEntityError for an unreadable message', async () => {
    const table = uniqueTableName('alerts');
    const ledger = new TableAlertLedger(azurite().connection, { tableName: table });
    await raw(table).createTable();
    await raw(table).createEntity({ partitionKey: 'alert', rowKey: 'bad', key: 'bad', createdAt: '2025-01-01T00:00:00Z', status: 'pending', attempts: 0, mchunks: 1, m0: '{"key":"bad"}' });
    await expect(ledger.get('bad')).rejects.toBeInstanceOf(CorruptEntityError);
    await expect(ledger.pending()).rejects.toBeInstanceOf(CorruptEntityError);
  });

  it('reads a row from before per-channel delivery as nothing delivered per channel; refuses a mangled channels map', async () => {
    const table = uniqueTableName('alerts');
    const ledger = new TableAlertLedger(azurite().connection, { tableName: table });
    const message = JSON.stringify(alertMessage('old'));
    await raw(table).createTable();
    await raw(table).createEntity({ partitionKey: 'alert', rowKey: 'old', key: 'old', createdAt: '2025-01-01T00:00:00.000Z', status: 'pending', attempts: 2, mchunks: 1, m0: message });
    expect(await ledger.get('old')).toStrictEqual({ ...alert('old'), attempts: 2, channels: {} });
    await raw(table).createEntity({ partitionKey: 'alert', rowKey: 'mangled', key: 'mangled', createdAt: '2025-01-01T00:00:00.000Z', status: 'pending', attempts: 0, channels: '{"email":{"status":"lost"}}', mchunks: 1, m0: message.replace('"old"', '"mangled"') });
    await expect(ledger.get('mangled')).rejects.toBeInstanceOf(CorruptEntityError);
    await expect(ledger.undelivered('2025-01-01T00:00:00.000Z')).rejects.toBeInstanceOf(CorruptEntityError);
  });
});

function keyOf(connectionString: string): string {
  const m = /AccountKey=([^;]+)/.exec(connectionString);
  if (m?.[1] === undefined) throw new Error('no AccountKey in the connection string');
  return m[1];
}
