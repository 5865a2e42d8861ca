// DiscoveryStore contract against the memory fake and Table Storage on a real Azurite, and what only the Table adapter
// has: the body split over several entities, old generations deleted after a write, a corrupt head refused.
import { describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { TableDiscoveryStore } from '../../adapters/tables/discoveryStore.js';
import { MemoryDiscoveryStore } from '../../app/fakes/memoryDiscoveryStore.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';
import { discoveryRecord, discoveryStoreContract, factsOfSize } from './discoveryStoreContract.js';

const azurite = useAzurite();

discoveryStoreContract('memory', () => {
  const store = new MemoryDiscoveryStore();
  return { a: store, b: store };
});

function tablePair(): { a: TableDiscoveryStore; b: TableDiscoveryStore; tableName: string } {
  const tableName = uniqueTableName('discovery');
  const connection = azurite().connection;
  return { a: new TableDiscoveryStore(connection, { tableName }), b: new TableDiscoveryStore(connection, { tableName }), tableName };
}

discoveryStoreContract('table', tablePair);

describe('TableDiscoveryStore', () => {
  const rows = async (tableName: string): Promise<string[]> => {
    const client = TableClient.fromConnectionString(azurite().azurite.connectionString, tableName, { allowInsecureConnection: true });
    const out: string[] = [];
    for await (const e of client.listEntities()) out.push(String(e.rowKey));
    return out.sort();
  };

  it('keeps the head and the current generation only: a replaced body is deleted, a head-only change keeps the body rows', async () => {
    const { a, tableName } = tablePair();
    const first = await a.save(discoveryRecord(1, factsOfSize(1500)), null);
    if (!first.ok) throw new Error('create failed');
    const firstRows = await rows(tableName);
    expect(firstRows.filter((r) => r.startsWith('body-')).length).toBeGreaterThan(1);
    const failed = await a.save({ ...discoveryRecord(2, factsOfSize(1500)), failure: { at: 'x', error: 'e', consecutive: 1, kind: 'full', subscriptions: [] } }, first.version);
    if (!failed.ok) throw new Error('replace failed');
    expect(await rows(tableName)).toEqual(firstRows);
    const replaced = await a.save(discoveryRecord(3, factsOfSize(2)), failed.version);
    expect(replaced.ok).toBe(true);
    const after = await rows(tableName);
    expect(after.filter((r) => r.startsWith('body-'))).toHaveLength(1);
    expect(after.some((r) => firstRows.includes(r) && r.startsWith('body-'))).toBe(false);
  });

  it('a head that does not parse is refused as corrupt, never read as no record', async () => {
    const { a, tableName } = tablePair();
    const saved = await a.save(discoveryRecord(1), null);
    if (!saved.ok) throw new Error('create failed');
    const client = TableClient.fromConnectionString(azurite().azurite.connectionString, tableName, { allowInsecureConnection: true });
    await client.updateEntity({ partitionKey: 'discovery', rowKey: 'head', h0: '{"seq":"one"}', chunks: 1 }, 'Merge');
    await expect(new TableDiscoveryStore(azurite().connection, { tableName }).load()).rejects.toThrow(/corrupt entity.*head.*fails its schema/);
  });
});
