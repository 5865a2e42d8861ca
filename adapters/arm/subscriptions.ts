// The subscriptions the caller can read, over @azure/arm-resources-subscriptions 2 (GET /subscriptions,
// api-version 2022-12-01). @azure/arm-subscriptions manages subscription aliases and cannot list them.
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { ArmInventory } from '../../app/discovery/ports.js';
import { all, sdkOptions, type ArmClientOptions } from './clients.js';
import { armRead } from './errors.js';

export function createSubscriptionReads(o: ArmClientOptions): Pick<ArmInventory, 'subscriptions'> {
  const client = new SubscriptionClient(o.credential, sdkOptions(o));
  return {
    subscriptions: () =>
      armRead({ scope: '/subscriptions', operation: 'subscriptions.list' }, async () =>
        // A deleted subscription is still listed for a while; nothing in it can be read.
        (await all(client.subscriptions.list()))
          .filter((s) => s.subscriptionId && s.state !== 'Deleted')
          .map((s) => (s.subscriptionId as string).toLowerCase())
          .sort(),
      ),
  };
}
