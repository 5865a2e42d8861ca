// `keysteward serve`: the standalone host. Same function definitions as the Function App, run without the
// Functions runtime: a node HTTP server for the HTTP routes, croner for the timers, and an Event Hubs consumer
// with a blob checkpoint store when Event Hubs is configured.
import type { AddressInfo } from 'node:net';
import { ContainerClient, BlobServiceClient } from '@azure/storage-blob';
import { functionDefinitions } from '../../functions/list.js';
import type { Services } from '../../functions/services.js';
import { azureAccess, createServices, type ServiceOverrides } from '../composition.js';
import { ConfigError, type Config } from '../config.js';
import { startEventHubConsumers } from './eventHubs.js';
import { createHttpServer } from './httpServer.js';
import { routesOf } from './router.js';
import { startTimers } from './timers.js';

export interface RunningHost {
  readonly url: string;
  readonly services: Services;
  close(): Promise<void>;
}

function checkpointContainer(config: Config): ContainerClient | null {
  if (config.STORAGE_CONNECTION_STRING) return BlobServiceClient.fromConnectionString(config.STORAGE_CONNECTION_STRING).getContainerClient(config.CHECKPOINT_CONTAINER);
  if (config.STORAGE_ACCOUNT_URL) return new ContainerClient(`${config.STORAGE_ACCOUNT_URL.replace(/\/$/, '')}/${config.CHECKPOINT_CONTAINER}`, azureAccess(config).credential);
  return null;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function serve(config: Config, overrides: ServiceOverrides & { host?: string; timers?: boolean } = {}): Promise<RunningHost> {
  const bind = overrides.host ?? '127.0.0.1';
  // Beyond loopback the API and the Event Grid endpoint must be authenticated: refuse to expose them open.
  if (!LOOPBACK.has(bind) && (!config.API_KEY || !config.EVENTGRID_KEY)) {
    throw new ConfigError(`binding ${bind} needs API_KEY and EVENTGRID_KEY (the API and the Event Grid endpoint would be open otherwise)`);
  }
  const services = await createServices(config, overrides);
  const definitions = functionDefinitions(services);
  const server = createHttpServer(routesOf(definitions), services.log, config.API_KEY);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, bind, () => resolve());
    });
  } catch (err) {
    await services.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const timers = overrides.timers === false ? { stop: () => undefined } : startTimers(definitions, services.log);

  let consumers: { close(): Promise<void> } | null = null;
  const container = checkpointContainer(config);
  if ((config.EVENTHUB_CONNECTION_STRING || config.EVENTHUB_NAMESPACE) && container) {
    const connection = config.EVENTHUB_CONNECTION_STRING
      ? { connectionString: config.EVENTHUB_CONNECTION_STRING }
      : { namespace: config.EVENTHUB_NAMESPACE as string, credential: azureAccess(config).credential };
    consumers = await startEventHubConsumers(definitions, { connection, checkpoints: container, log: services.log });
  } else services.log.info({}, 'Event Hubs not configured: ingestion comes from Event Grid, reconcile and (locally) the emulators');

  const url = `http://${overrides.host ?? '127.0.0.1'}:${port}`;
  services.log.info({ url }, 'keysteward host listening');
  return {
    url,
    services,
    close: async () => {
      timers.stop();
      await consumers?.close();
      server.endStreams();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await services.close();
    },
  };
}
