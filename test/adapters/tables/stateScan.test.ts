// What only the Table adapter's scan does (the shared paging behaviour is in test/contracts/stateStoreContract.ts):
// an entity it cannot read is an error entry at its position, never a thrown page, and rows that are not states
// are not listed.
import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { TableStateStore } from '../../../adapters/tables/stateStore.js';
import { snapshot } from '../../contracts/fixtures.js';
import { uniqueTableName, useAzurite } from '../../support/azurite.js';

const azurite = useAzurite();

describe('TableStateStore.list', () => {
  it('reports each unreadable entity as an error at its position and lists the others', async () => {
    const table = uniqueTableName('scan');
    const store = new TableStateStore(azurite().connection, { tableName: table });
    for (const id of ['a-ok', 'c-ok', 'e-ok']) expect((await store.save(id, snapshot(id), null)).ok).toBe(true);
    const raw = TableClient.fromConnectionString(azurite().azurite.connectionString, table, { allowInsecureConnection: true });
    await raw.createEntity({ partitionKey: 'b-json', rowKey: 'state', protectorId: 'b-json', v: 1, chunks: 1, s0: '{"v":1,' });
    await raw.createEntity({ partitionKey: 'd-moved', rowKey: 'state', protectorId: 'someone-else', v: 1, chunks: 0 });
    await raw.createEntity({ partitionKey: 'f-layout', rowKey: 'state', protectorId: 'f-layout', v: 7, chunks: 0 });
    await raw.createEntity({ partitionKey: 'g-noid', rowKey: 'state', v: 1, chunks: 0 });
    await raw.createEntity({ partitionKey: 'h-schema', rowKey: 'state', protectorId: 'h-schema', v: 1, chunks: 1, s0: '{"v":1}' });
    await raw.createEntity({ partitionKey: 'c-ok', rowKey: 'not-a-state', note: 'another row of the partition' });

    const page = await store.list({ limit: 100 });
    expect(page.more).toBe(false);
    expect(page.entries.map((e) => [e.position, e.ok])).toStrictEqual([
      ['a-ok', true],
      ['b-json', false],
      ['c-ok', true],
      ['d-moved', false],
      ['e-ok', true],
      ['f-layout', false],
      ['g-noid', false],
      ['h-schema', false],
    ]);
    const errors = page.entries.flatMap((e) => (e.ok ? [] : [{ id: e.protectorId, error: e.error }]));
    expect(errors[0]).toMatchObject({ id: 'b-json', error: expect.stringContaining('not valid JSON') });
    expect(errors[1]).toMatchObject({ id: 'someone-else', error: expect.stringContaining('does not match its key') });
    expect(errors[2]?.error).toContain('unknown layout v=7');
    expect(errors[3]).toMatchObject({ id: null, error: expect.stringContaining('does not match its key') });
    expect(errors[4]?.error).toContain('fails its schema');
  });

  it('refuses a page larger than Table Storage returns', async () => {
    const store = new TableStateStore(azurite().connection, { tableName: uniqueTableName('scan') });
    await expect(store.list({ limit: 1001 })).rejects.toThrow(RangeError);
  });
});
