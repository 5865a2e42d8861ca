// The HTTPS server of the ARM SQL emulator: `https://localhost:<port>` stands for https://management.azure.com
// (give it to SqlManagementClient as `endpoint`; the token scope becomes `<endpoint>/.default`).
import { readBody } from '../../adapters/http/readBody.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { AsyncOperations } from './asyncOperations.js';
import { internalError } from './errors.js';
import { WriteHistory } from './history.js';
import { checkKey } from './keyAccess.js';
import { ArmSqlService, type ArmResponse } from './service.js';
import { ServerRegistry } from './state.js';
import type { ArmSqlEmulator, ArmSqlEmulatorOptions } from './types.js';
import { listenOnLoopback } from '../listen.js';

const MAX_BODY = 1024 * 1024;

function send(res: ServerResponse, r: ArmResponse): void {
  const payload = r.body === undefined ? '' : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'x-ms-request-id': randomUUID(),
    ...r.headers,
    'Content-Length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

/** Seed keys' thumbprints, asked once at start-up so geo checks on pre-existing keys compare material. */
async function seedThumbprints(o: ArmSqlEmulatorOptions): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of o.servers) {
    for (const kid of [...(s.keys ?? []), ...(s.protector ? [s.protector] : [])]) {
      const t = await checkKey(o.keyExists, kid, { server: s.resourceId, principalId: s.principalId ?? null }).catch(() => null);
      if (t !== null) out.set(kid, t);
    }
  }
  return out;
}

export async function startArmSqlEmulator(o: ArmSqlEmulatorOptions): Promise<ArmSqlEmulator> {
  const clock = o.clock ?? Date.now;
  const now = (): string => new Date(clock()).toISOString();
  const registry = new ServerRegistry(o.servers, now);
  registry.seed(o.servers, now, await seedThumbprints(o));
  const history = new WriteHistory(clock, o.onWrite);
  let port = 0;
  const endpoint = (): string => `https://localhost:${port}`;
  const service = new ArmSqlService({
    registry,
    lookup: o.keyExists,
    now,
    history,
    operations: new AsyncOperations(o.asyncPolls ?? 0),
    endpoint,
    writeMode: o.writeMode ?? 'sync',
    pageSize: Math.max(1, o.pageSize ?? 50),
  });

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req, MAX_BODY);
    if (body === null) return send(res, { status: 413, headers: {}, body: { error: { code: 'RequestEntityTooLarge', message: 'The request body is too large.' } } });
    const auth = req.headers.authorization;
    send(res, await service.handle({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', endpoint()), authorization: auth, body }));
  };

  const server = createServer({ cert: o.tls.cert, key: o.tls.key }, (req, res) => {
    handler(req, res).catch(() => {
      const e = internalError();
      if (!res.headersSent) send(res, { status: e.status, headers: {}, body: e.body() });
      else res.destroy();
    });
  });
  port = await listenOnLoopback(server, o.port);

  return {
    endpoint: endpoint(),
    port,
    history: () => history.all(),
    failNext: (srv, operation, error) => {
      const found = registry.find(srv);
      if (!found) throw new Error(`unknown server ${srv}`);
      history.inject(found.resourceId, operation, error);
    },
    inspect: (srv) => {
      const s = registry.find(srv);
      if (!s) throw new Error(`unknown server ${srv}`);
      return { keys: Object.fromEntries([...s.keys.values()].map((k) => [k.name, k.uri])), protector: s.protector.serverKeyName };
    },
    close: () => close(server),
  };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // SDK clients keep connections alive: drop them so close() does not wait for their timeout.
    server.closeAllConnections();
  });
}
