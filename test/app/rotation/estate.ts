// The rotation tests' estate: one SQL geo-group, `orders`, primary in East US (kv-eus), secondary in West US (kv-wus).
import type { Estate } from '../../../domain/estate/model.js';
import { estateFrom } from '../../support/estates.js';

export const SUB = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers';

/** The `orders` group as a document, with its members' roles as given (default: eus primary, wus secondary). */
function ordersEstate(roles: { eus: 'primary' | 'secondary'; wus: 'primary' | 'secondary' }): Estate {
  return estateFrom({
    vaults: [
      { name: 'kv-eus', properties: { enableSoftDelete: true, enablePurgeProtection: true, networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' } } },
      { name: 'kv-wus', properties: { enableSoftDelete: true, enablePurgeProtection: true, networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' } } },
    ],
    protectors: [
      {
        id: 'orders',
        kind: 'sql-tde',
        keyName: 'orders-tde',
        members: [
          { role: roles.eus, resourceId: `${SUB}/eus`, vault: 'kv-eus' },
          { role: roles.wus, resourceId: `${SUB}/wus`, vault: 'kv-wus' },
        ],
        rotation: { every: 'P90D', strategy: 'import', keySize: 2048 },
      },
    ],
  });
}

export const ORDERS_ESTATE = ordersEstate({ eus: 'primary', wus: 'secondary' });
/** The same group after a failover: West US is the primary now. */
export const ORDERS_FAILED_OVER = ordersEstate({ eus: 'secondary', wus: 'primary' });
