// StateStore contract and model test against the memory fake and Table Storage on a real Azurite.
import { describe } from 'vitest';
import { TableStateStore } from '../../adapters/tables/stateStore.js';
import { MemoryStateStore } from '../../app/fakes/memoryStateStore.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';
import { stateStoreContract } from './stateStoreContract.js';
import { stateStoreModelTest } from './stateStoreModel.js';

const azurite = useAzurite();
const tableStore = (): TableStateStore => new TableStateStore(azurite().connection, { tableName: uniqueTableName('state') });

stateStoreContract('memory', () => new MemoryStateStore());
stateStoreContract('table', tableStore);

describe('StateStore model', () => {
  stateStoreModelTest('memory', () => new MemoryStateStore(), 300);
  stateStoreModelTest('table', tableStore, 25);
});
