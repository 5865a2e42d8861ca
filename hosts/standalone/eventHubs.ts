// Event Hubs ingestion for the standalone host: an EventHubConsumerClient per hub with a blob checkpoint store
// (@azure/eventhubs-checkpointstore-blob), so several instances share partitions and resume where they stopped.
// Unlike the Functions host, a failing batch is retried with backoff until it succeeds — the partition pauses
// and nothing is skipped — and the checkpoint moves only after the batch is applied (I4).
import type { TokenCredential } from '@azure/core-auth';
import { EventHubConsumerClient, type Subscription } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import type { ContainerClient } from '@azure/storage-blob';
import type { Logger } from '../../app/ports.js';
import type { EventHubTrigger, FunctionDefinition } from '../../functions/definitions.js';

type EventHubDefinition = Extract<FunctionDefinition, { trigger: EventHubTrigger }>;

export type EventHubsConnection = { readonly connectionString: string } | { readonly namespace: string; readonly credential: TokenCredential };

export interface EventHubsOptions {
  readonly connection: EventHubsConnection;
  readonly checkpoints: ContainerClient;
  readonly log: Logger;
  readonly maxBatchSize?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startEventHubConsumers(definitions: readonly FunctionDefinition[], options: EventHubsOptions): Promise<{ close(): Promise<void> }> {
  await options.checkpoints.createIfNotExists();
  const store = new BlobCheckpointStore(options.checkpoints);
  const clients: EventHubConsumerClient[] = [];
  const subscriptions: Subscription[] = [];
  let closing = false;
  for (const def of definitions) {
    if (def.trigger.type !== 'eventHub') continue;
    const hub = def as EventHubDefinition;
    const { consumerGroup, eventHubName, retry } = hub.trigger;
    const client =
      'connectionString' in options.connection
        ? new EventHubConsumerClient(consumerGroup, options.connection.connectionString, eventHubName, store)
        : new EventHubConsumerClient(consumerGroup, options.connection.namespace, eventHubName, options.connection.credential, store);
    clients.push(client);
    subscriptions.push(
      client.subscribe(
        {
          processEvents: async (events, context) => {
            if (events.length === 0) return;
            const input = {
              messages: events.map((e) => e.body as unknown),
              partitionId: context.partitionId,
              offsets: events.map((e) => String(e.offset)),
              sequenceNumbers: events.map((e) => e.sequenceNumber),
            };
            // Retried with backoff; the last attempt poisons the batch rather than block the partition forever.
            for (let attempt = 0; !closing; attempt++) {
              try {
                await hub.handler({ ...input, lastAttempt: attempt >= retry.maxRetryCount });
                break;
              } catch {
                // The handler logged it; back off and try again rather than skip the batch.
                await sleep(Math.min(retry.maximumIntervalMs, retry.minimumIntervalMs * 2 ** Math.min(attempt, 10)));
              }
            }
            if (!closing) await context.updateCheckpoint(events[events.length - 1] as (typeof events)[number]);
          },
          processError: async (err, context) => {
            options.log.warn({ hub: eventHubName, partition: context.partitionId, error: err.message }, 'event hubs consumer error');
          },
        },
        // Without a checkpoint (first start), begin an hour back rather than at the start of retention: days-old
        // events would raise stale alerts; reconcile covers the older gap from Log Analytics.
        { maxBatchSize: options.maxBatchSize ?? 100, maxWaitTimeInSeconds: 5, startPosition: { enqueuedOn: new Date(Date.now() - 3_600_000) } },
      ),
    );
    options.log.info({ function: def.name, hub: eventHubName, consumerGroup }, 'event hubs consumer started');
  }
  return {
    close: async () => {
      closing = true;
      await Promise.all(subscriptions.map((s) => s.close()));
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
