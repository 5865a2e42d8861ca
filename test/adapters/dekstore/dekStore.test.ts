// The DekStore contract against the memory fake and Table Storage on a real Azurite.
import { describe, expect, it } from 'vitest';
import { TableDekStore } from '../../../adapters/dekstore/tableDekStore.js';
import { MemoryDekStore } from '../../../app/rewrap/memoryDekStore.js';
import { uniqueTableName, useAzurite } from '../../support/azurite.js';
import { dek, dekStoreContract, kidOf, scanAll, V1 } from './dekStoreContract.js';

const azurite = useAzurite();
const tableStore = (): TableDekStore => new TableDekStore(azurite().connection, { tableName: uniqueTableName('deks') });

dekStoreContract('memory', () => new MemoryDekStore());
dekStoreContract('table', tableStore);

describe('TableDekStore', () => {
  it('pages a scan across its partitions with the service continuation token (1,000 per page at most)', async () => {
    const store = tableStore();
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.insert(dek(`p${i}`))));
    const all = await scanAll(store, { kidPrefix: kidOf(V1) }, 7);
    expect(new Set(all.map((r) => r.id)).size).toBe(60);
    expect(all).toHaveLength(60);
  });

  it('keeps ids that Table keys cannot hold (slashes, #, ?) under an encoded RowKey', async () => {
    const store = tableStore();
    const id = 'tenant/a#b?c\\d';
    expect(await store.insert(dek(id))).toBe('ok');
    expect((await store.get(id))?.id).toBe(id);
  });
});
