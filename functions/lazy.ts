// Azure Functions registers triggers synchronously at module load, but building the services is async
// (storage clients, Redis, the estate file). The definitions get this stand-in, which builds the real
// services on first use and reuses them for the life of the worker.
import type { Services } from './services.js';
import { createLogger } from '../adapters/logging/logger.js';

export function lazyServices(config: Services['config'], build: () => Promise<Services>): Services {
  let promise: Promise<Services> | null = null;
  const get = (): Promise<Services> => {
    promise ??= build().catch((err: unknown) => {
      promise = null; // a failed start-up is retried on the next invocation
      throw err;
    });
    return promise;
  };
  // pino, with the same redaction as the standalone host (I8).
  const consoleLog = createLogger(process.env['LOG_LEVEL'] ?? 'info');
  return {
    config,
    clock: { now: () => Date.now() },
    log: consoleLog,
    ingest: async (messages) => (await get()).ingest(messages),
    poisonBatch: async (messages, reason) => (await get()).poisonBatch(messages, reason),
    sweep: async () => (await get()).sweep(),
    reconcile: async () => (await get()).reconcile(),
    listProtectors: async () => (await get()).listProtectors(),
    listProtectorsPage: async (page) => (await get()).listProtectorsPage(page),
    describeProtector: async (id) => (await get()).describeProtector(id),
    checkHealth: async () => (await get()).checkHealth(),
    startRotation: async (id, options) => (await get()).startRotation(id, options),
    getRotation: async (id) => (await get()).getRotation(id),
    retireVersion: async (p, v, ver) => (await get()).retireVersion(p, v, ver),
    startRewrap: async (id, args) => (await get()).startRewrap(id, args),
    getRewrap: async (id) => (await get()).getRewrap(id),
    rotateDue: async () => (await get()).rotateDue(),
    rediscover: async () => (await get()).rediscover(),
    discoveryStatus: async () => (await get()).discoveryStatus(),
    receiveItsm: async (input) => (await get()).receiveItsm(input),
    getItsmRequest: async (id) => (await get()).getItsmRequest(id),
    itsmTick: async () => (await get()).itsmTick(),
    consoleView: async () => (await get()).consoleView(),
    incidentAlerts: async (incidents) => (await get()).incidentAlerts(incidents),
    protectorConsole: async (id) => (await get()).protectorConsole(id),
    activeWork: async () => (await get()).activeWork(),
    close: async () => (promise ? (await promise).close() : undefined),
  };
}
