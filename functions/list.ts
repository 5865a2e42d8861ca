// The function definitions both hosts register.
import type { EventHubInput, FunctionDefinition, HttpInput, RetryOptions } from './definitions.js';
import { discoveryHandler, eventGridHandler, healthHandler, MAX_EVENT_GRID_BODY, protectorHandler, protectorsHandler } from './http.js';
import { retireVersionHandler, rewrapHandler, rotationHandler, startRewrapHandler, startRotationHandler } from './rotationHttp.js';
import type { Services } from './services.js';
import { itsmRequestHandler, itsmWebhookHandler } from './itsmHttp.js';
import { MAX_ITSM_BODY } from '../app/itsm/accept.js';
import { assetHandler, boardHandler, consoleRoute, eventsHandler, protectorPageHandler, rotationPageHandler, rotationsPageHandler, versionHandler } from './console/handlers.js';

const RETRY: RetryOptions = { strategy: 'exponentialBackoff', maxRetryCount: 5, minimumIntervalMs: 10_000, maximumIntervalMs: 300_000 };

/** Event Hubs batch → ingestion. Bad records never throw (they are poisoned); store outages do, so the batch is retried. */
function eventHubHandler(services: Services, stream: string) {
  return async (input: EventHubInput): Promise<void> => {
    const messages = input.messages.map((body, i) => ({
      body,
      partitionId: input.partitionId,
      offset: input.offsets[i] ?? '',
      sequenceNumber: input.sequenceNumbers[i] ?? -1,
    }));
    try {
      const summary = await services.ingest(messages);
      services.log.info({ stream, partition: input.partitionId, ...summary }, 'batch ingested');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (input.lastAttempt) {
        // The host would checkpoint past a throw on the last retry: keep the batch instead (I4). Only if the
        // poison table is down too does this throw.
        await services.poisonBatch(messages, reason);
        return;
      }
      services.log.error({ stream, partition: input.partitionId, error: reason }, 'batch failed; the host retries it');
      throw err;
    }
  };
}

export function functionDefinitions(services: Services): FunctionDefinition[] {
  const c = services.config;
  return [
    {
      name: 'kvAudit',
      trigger: { type: 'eventHub', connection: c.auditEventHub.connection, eventHubName: c.auditEventHub.name, consumerGroup: c.auditEventHub.consumerGroup, cardinality: 'many', retry: RETRY },
      handler: eventHubHandler(services, 'keyvault-audit'),
    },
    {
      name: 'activityLog',
      trigger: { type: 'eventHub', connection: c.activityEventHub.connection, eventHubName: c.activityEventHub.name, consumerGroup: c.activityEventHub.consumerGroup, cardinality: 'many', retry: RETRY },
      handler: eventHubHandler(services, 'activity-log'),
    },
    { name: 'sweep', trigger: { type: 'timer', schedule: c.sweepSchedule, runOnStartup: false }, handler: async () => void (await services.sweep()) },
    { name: 'rotationSchedule', trigger: { type: 'timer', schedule: c.rotationSchedule, runOnStartup: false }, handler: async () => void (await services.rotateDue()) },
    { name: 'reconcile', trigger: { type: 'timer', schedule: c.reconcileSchedule, runOnStartup: false }, handler: async () => void (await services.reconcile()) },
    { name: 'itsm', trigger: { type: 'timer', schedule: c.itsmSchedule, runOnStartup: false }, handler: async () => void (await services.itsmTick()) },
    { name: 'discovery', trigger: { type: 'timer', schedule: c.discoverySchedule, runOnStartup: false }, handler: async () => void (await services.rediscover()) },
    { name: 'health', trigger: { type: 'http', methods: ['GET'], route: 'health' }, handler: () => healthHandler(services) },
    { name: 'protectors', trigger: { type: 'http', methods: ['GET'], route: 'protectors' }, handler: (req: HttpInput) => protectorsHandler(services, req) },
    { name: 'protector', trigger: { type: 'http', methods: ['GET'], route: 'protectors/{id}' }, handler: (req: HttpInput) => protectorHandler(services, req) },
    { name: 'discoveryStatus', trigger: { type: 'http', methods: ['GET'], route: 'discovery' }, handler: () => discoveryHandler(services) },
    { name: 'eventGrid', trigger: { type: 'http', methods: ['POST', 'OPTIONS'], route: 'events/eventgrid', maxBodyBytes: MAX_EVENT_GRID_BODY }, handler: (req: HttpInput) => eventGridHandler(services, req) },
    { name: 'startRotation', trigger: { type: 'http', methods: ['POST'], route: 'protectors/{id}/rotations' }, handler: (req: HttpInput) => startRotationHandler(services, req) },
    { name: 'retireVersion', trigger: { type: 'http', methods: ['POST'], route: 'protectors/{id}/versions/{vault}/{version}/disable' }, handler: (req: HttpInput) => retireVersionHandler(services, req) },
    { name: 'rotation', trigger: { type: 'http', methods: ['GET'], route: 'rotations/{id}' }, handler: (req: HttpInput) => rotationHandler(services, req) },
    { name: 'startRewrap', trigger: { type: 'http', methods: ['POST'], route: 'protectors/{id}/rewraps' }, handler: (req: HttpInput) => startRewrapHandler(services, req) },
    { name: 'rewrap', trigger: { type: 'http', methods: ['GET'], route: 'rewraps/{id}' }, handler: (req: HttpInput) => rewrapHandler(services, req) },
    { name: 'itsmWebhook', trigger: { type: 'http', methods: ['POST'], route: 'itsm/{profile}', maxBodyBytes: MAX_ITSM_BODY }, handler: (req: HttpInput) => itsmWebhookHandler(services, req) },
    { name: 'itsmRequest', trigger: { type: 'http', methods: ['GET'], route: 'itsm/requests/{id}' }, handler: (req: HttpInput) => itsmRequestHandler(services, req) },
    // The operator console (functions/console): on the standalone host also at `/`, `/protectors/{id}`, `/rotations`…
    { name: 'dashboard', trigger: { type: 'http', methods: ['GET'], route: 'dashboard', rootAlias: true, console: true }, handler: consoleRoute(services, (req) => boardHandler(services, req)) },
    { name: 'consoleProtector', trigger: { type: 'http', methods: ['GET'], route: 'dashboard/protectors/{id}', rootAlias: true, console: true }, handler: consoleRoute(services, (req) => protectorPageHandler(services, req)) },
    { name: 'consoleRotations', trigger: { type: 'http', methods: ['GET'], route: 'dashboard/rotations', rootAlias: true, console: true }, handler: consoleRoute(services, (req) => rotationsPageHandler(services, req)) },
    { name: 'consoleRotation', trigger: { type: 'http', methods: ['GET'], route: 'dashboard/rotations/{id}', rootAlias: true, console: true }, handler: consoleRoute(services, (req) => rotationPageHandler(services, req)) },
    { name: 'consoleAsset', trigger: { type: 'http', methods: ['GET'], route: 'dashboard/assets/{name}', rootAlias: true, console: true }, handler: consoleRoute(services, (req) => assetHandler(req)) },
    { name: 'consoleVersion', trigger: { type: 'http', methods: ['GET'], route: 'dashboard/version', rootAlias: true, console: true }, handler: consoleRoute(services, () => versionHandler(services)) },
    { name: 'consoleEvents', trigger: { type: 'http', methods: ['GET'], route: 'dashboard/events', rootAlias: true, streaming: true, console: true }, handler: consoleRoute(services, () => eventsHandler(services)) },
  ];
}
