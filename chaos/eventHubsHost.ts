// The suite's Event Hubs host: there is no Event Hubs emulator, so this process runs the Event Hubs trigger's own
// handler (functions/list.ts `kvAudit`, the code both hosts register) on a keysteward instance built by the composition
// root from the same environment as `keysteward serve`, and takes each batch over loopback HTTP instead of from a
// partition: POST /deliver with `{ partitionId, messages, offsets, sequenceNumbers, lastAttempt }` answers 200 once the
// handler resolved (the checkpoint may move) and 500 when it threw (the batch is delivered again). A process of its
// own, like a Functions host: hostile batches that exhaust it take down this process, not the suite.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../adapters/http/readBody.js';
import { functionDefinitions } from '../functions/list.js';
import type { EventHubInput, EventHubTrigger, FunctionDefinition } from '../functions/definitions.js';
import { createServices } from '../hosts/composition.js';
import { loadConfig } from '../hosts/config.js';

const MAX_BATCH_BYTES = 16 * 1024 * 1024;

const services = await createServices(loadConfig(process.env), { rotationWorker: false });
const def = functionDefinitions(services).find((d): d is Extract<FunctionDefinition, { trigger: EventHubTrigger }> => d.name === 'kvAudit');
if (!def) throw new Error('the kvAudit Event Hubs function is missing');
const handler = def.handler;

const server = createServer((req, res) => {
  void (async () => {
    const raw = req.method === 'POST' && req.url === '/deliver' ? await readBody(req, MAX_BATCH_BYTES) : null;
    if (raw === null) return res.writeHead(req.method === 'POST' ? 413 : 404).end();
    const input = JSON.parse(raw.toString('utf8')) as EventHubInput;
    try {
      await handler(input);
      res.writeHead(200).end();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.name : 'error');
    }
  })().catch(() => {
    if (!res.headersSent) res.writeHead(500).end();
  });
});
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`event hubs host listening on ${(server.address() as AddressInfo).port}\n`);
});
const stop = (): void => {
  server.close();
  void services.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
