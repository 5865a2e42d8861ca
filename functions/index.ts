// Azure Functions v4 entry point (package.json "main"): registers every function definition with the
// Functions host. Handlers parse the host's shapes (trigger metadata with zod) and call the shared handlers.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { readStreamBody } from '../adapters/http/readBody.js';
import { loadConfig } from '../hosts/config.js';
import { createServices, functionsConfigOf } from '../hosts/composition.js';
import { maxBodyBytesOf, type EventHubTrigger, type FunctionDefinition, type HttpTrigger, type TimerTrigger } from './definitions.js';
import { functionDefinitions } from './list.js';
import { lazyServices } from './lazy.js';
import { startTelemetry } from '../adapters/telemetry/setup.js';

const config = loadConfig(process.env);
// Telemetry starts now; the services (and their Azure SDK clients) are built after it, on the first invocation.
// A telemetry set-up that fails (an exporter that cannot load) costs the traces, never the service.
const telemetry = startTelemetry(config, 'functions').catch((err: unknown) => {
  process.stderr.write(`keysteward: telemetry not started: ${err instanceof Error ? err.message : String(err)}\n`);
  return null;
});
const services = lazyServices(functionsConfigOf(config), async () => {
  await telemetry;
  return createServices(config);
});
// Flush buffered spans and metrics when the Functions host stops this worker.
app.hook.appTerminate(async () => {
  await (await telemetry)?.shutdown();
});

// Functions camel-cases the first letter of every metadata key (azure-formats.md §5.2).
const batchMetadata = z.object({
  partitionContext: z.object({ partitionId: z.string() }).optional(),
  offsetArray: z.array(z.union([z.string(), z.number()])).optional(),
  sequenceNumberArray: z.array(z.number()).optional(),
});

function register(def: FunctionDefinition): void {
  switch (def.trigger.type) {
    case 'eventHub': {
      const t = def.trigger as EventHubTrigger;
      const handler = (def as Extract<FunctionDefinition, { trigger: EventHubTrigger }>).handler;
      app.eventHub(def.name, {
        connection: t.connection,
        eventHubName: t.eventHubName,
        consumerGroup: t.consumerGroup,
        cardinality: t.cardinality,
        retry: { strategy: 'exponentialBackoff', maxRetryCount: t.retry.maxRetryCount, minimumInterval: { milliseconds: t.retry.minimumIntervalMs }, maximumInterval: { milliseconds: t.retry.maximumIntervalMs } },
        handler: async (messages: unknown, context: InvocationContext) => {
          const meta = batchMetadata.safeParse(context.triggerMetadata ?? {});
          const m = meta.success ? meta.data : {};
          const list = Array.isArray(messages) ? messages : [messages];
          const retry = context.retryContext;
          await handler({
            messages: list,
            partitionId: m.partitionContext?.partitionId ?? 'unknown',
            offsets: (m.offsetArray ?? []).map(String),
            sequenceNumbers: m.sequenceNumberArray ?? [],
            lastAttempt: retry ? retry.retryCount >= retry.maxRetryCount : false,
          });
        },
      });
      return;
    }
    case 'timer': {
      const t = def.trigger as TimerTrigger;
      const handler = (def as Extract<FunctionDefinition, { trigger: TimerTrigger }>).handler;
      app.timer(def.name, { schedule: t.schedule, runOnStartup: t.runOnStartup, handler: () => handler() });
      return;
    }
    case 'http': {
      const t = def.trigger as HttpTrigger;
      const handler = (def as Extract<FunctionDefinition, { trigger: HttpTrigger }>).handler;
      // A streamed answer (the console's server-sent events) is not held open by a Functions invocation: the
      // console polls `dashboard/version` instead when the stream answers 404.
      if (t.streaming) return;
      app.http(def.name, {
        methods: [...t.methods],
        route: t.route,
        // The ITSM webhook and Event Grid carry their own authentication (signature, token, aeg-sas-key).
        // The console behind App Service Authentication (CONSOLE_AUTH=app-service): signed in by Easy Auth, checked by its handlers.
        authLevel: def.name === 'health' || def.name === 'itsmWebhook' || (t.console === true && services.config.consoleAuth === 'app-service') ? 'anonymous' : 'function',
        handler: async (req: HttpRequest) => {
          const headers: Record<string, string> = {};
          req.headers.forEach((v, k) => {
            headers[k.toLowerCase()] = v;
          });
          // The same per-route cap as the standalone host (the Functions host itself allows 100 MB), checked while reading.
          const rawBody = await readStreamBody(req.body, req.headers.get('content-length'), maxBodyBytesOf(t));
          if (rawBody === null) return { status: 413, jsonBody: { error: 'body too large' } };
          const out = await handler({ method: req.method, params: { ...req.params }, query: new URLSearchParams(req.query), headers, rawBody, path: new URL(req.url).pathname });
          return { status: out.status, ...(out.headers ? { headers: out.headers } : {}), ...(out.jsonBody !== undefined ? { jsonBody: out.jsonBody } : { body: out.body ?? '' }) };
        },
      });
      return;
    }
  }
}

for (const def of functionDefinitions(services)) register(def);

// Event Grid trigger (Functions handles the subscription handshake itself); the standalone host serves the
// same deliveries on POST /api/events/eventgrid instead.
app.eventGrid('eventGridKeyVault', {
  handler: async (event: unknown, context: InvocationContext) => {
    const summary = await services.ingest([{ body: event, partitionId: `eventgrid-${context.invocationId}`, offset: context.invocationId, sequenceNumber: 0 }]);
    if (summary.rejected > 0) context.warn('event grid event rejected to the poison table');
  },
});
