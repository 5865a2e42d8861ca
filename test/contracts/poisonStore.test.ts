// PoisonStore contract against the memory fake and Table Storage on a real Azurite.
import { TablePoisonStore } from '../../adapters/tables/poisonStore.js';
import { MemoryPoisonStore } from '../../app/fakes/memoryPoisonStore.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';
import { poisonStoreContract } from './poisonStoreContract.js';

const azurite = useAzurite();

poisonStoreContract('memory', () => new MemoryPoisonStore());
poisonStoreContract('table', () => new TablePoisonStore(azurite().connection, { tableName: uniqueTableName('poison') }));
