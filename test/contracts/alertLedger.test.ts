// AlertLedger contract against the memory fake and Table Storage on a real Azurite.
import { TableAlertLedger } from '../../adapters/tables/alertLedger.js';
import { MemoryAlertLedger } from '../../app/fakes/memoryAlertLedger.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';
import { alertLedgerContract } from './alertLedgerContract.js';

const azurite = useAzurite();

alertLedgerContract('memory', () => new MemoryAlertLedger());
alertLedgerContract('table', () => new TableAlertLedger(azurite().connection, { tableName: uniqueTableName('alerts') }));
