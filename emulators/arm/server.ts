// The HTTPS server of the ARM emulator: `https://localhost:<port>` stands for https://management.azure.com (give it to
// each management client as `endpoint`; the token scope becomes `<endpoint>/.default`). It composes the front door
// with one provider per resource provider namespace: subscriptions, Microsoft.Sql, Microsoft.DocumentDB,
// Microsoft.KeyVault.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { readBody } from '../../adapters/http/readBody.js';
import { AsyncOperations } from '../armsql/asyncOperations.js';
import { FailoverGroups } from '../armsql/failoverGroups.js';
import { addSecondary, removeSecondary, setIdentity } from '../armsql/geoAdmin.js';
import { WriteHistory } from '../armsql/history.js';
import { checkKey } from '../armsql/keyAccess.js';
import { SqlProvider } from '../armsql/service.js';
import { keyPrincipalOf, parseServerId, ServerRegistry } from '../armsql/state.js';
import type { EmulatedManagedInstance, EmulatedSqlServer } from '../armsql/types.js';
import { listenOnLoopback } from '../listen.js';
import { ActivityLog } from './activity.js';
import { CallCounter } from './calls.js';
import { cosmosProvider } from './cosmos.js';
import { internalError } from './errors.js';
import { handleArmRequest } from './frontDoor.js';
import type { ArmResponse } from './http.js';
import { keyVaultProvider } from './keyVault.js';
import { managedInstanceReadsProvider } from './managedInstanceReads.js';
import { SubscriptionRegistry, subscriptionsProvider } from './subscriptions.js';
import { ArmThrottle } from './throttle.js';
import type { ArmEmulator, ArmEmulatorOptions } from './types.js';

const MAX_BODY = 1024 * 1024;
const ZERO_TENANT = '00000000-0000-0000-0000-000000000000';

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
async function seedThumbprints(o: ArmEmulatorOptions, configs: ReadonlyArray<EmulatedSqlServer | EmulatedManagedInstance>, registry: ServerRegistry): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of configs) {
    const s = registry.get(c.resourceId);
    for (const kid of [...(c.keys ?? []), ...(c.protector ? [c.protector] : [])]) {
      if (out.has(kid) || !s) continue;
      const t = await checkKey(o.keyExists, kid, { server: s.resourceId, principalId: keyPrincipalOf(s) }).catch(() => null);
      if (t !== null) out.set(kid, t);
    }
  }
  return out;
}

/** The subscription of every configured resource. */
function impliedSubscriptions(o: ArmEmulatorOptions): string[] {
  const ids = [...(o.servers ?? []), ...(o.managedInstances ?? []), ...(o.cosmosAccounts ?? []), ...(o.vaults ?? []), ...(o.managedHsms ?? [])].map((r) => r.resourceId);
  return ids.map((id) => parseServerId(id)?.subscriptionId ?? /^\/subscriptions\/([^/]+)\//i.exec(id)?.[1]).filter((s): s is string => s !== undefined);
}

export async function startArmEmulator(o: ArmEmulatorOptions): Promise<ArmEmulator> {
  const clock = o.clock ?? Date.now;
  const now = (): string => new Date(clock()).toISOString();
  const tenantId = o.tenantId ?? ZERO_TENANT;
  const sqlConfigs = [...(o.servers ?? []), ...(o.managedInstances ?? [])];
  const registry = new ServerRegistry(o.servers ?? [], o.managedInstances ?? [], now);
  registry.seed(sqlConfigs, now, await seedThumbprints(o, sqlConfigs, registry));
  const failoverGroups = new FailoverGroups(o.failoverGroups ?? [], registry);
  const history = new WriteHistory(clock, o.onWrite);
  const activity = new ActivityLog(tenantId, clock, o.onActivity);
  const throttle = new ArmThrottle(o.throttling ?? {}, clock);
  const calls = new CallCounter();
  const subscriptions = new SubscriptionRegistry(o.subscriptions ?? [], impliedSubscriptions(o), tenantId);
  let port = 0;
  let pageSize = Math.max(1, o.pageSize ?? 50);
  const endpoint = (): string => `https://localhost:${port}`;
  const paging = { endpoint, pageSize: () => pageSize };
  const sql = new SqlProvider({
    registry,
    lookup: o.keyExists,
    now,
    clock,
    history,
    activity,
    failoverGroups,
    operations: new AsyncOperations(o.asyncPolls ?? 0),
    paging,
    endpoint,
    writeMode: o.writeMode ?? 'sync',
  });
  const providers = [subscriptionsProvider(subscriptions, paging), sql, cosmosProvider(o.cosmosAccounts ?? []), keyVaultProvider(o.vaults ?? [], o.managedHsms ?? [], tenantId, paging), managedInstanceReadsProvider(o.managedInstances ?? [], o.instanceFailoverGroups ?? [], paging)];

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req, MAX_BODY);
    if (body === null) return send(res, { status: 413, headers: {}, body: { error: { code: 'RequestEntityTooLarge', message: 'The request body is too large.' } } });
    const incoming = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', endpoint()), authorization: req.headers.authorization, body };
    send(res, await handleArmRequest({ providers, subscriptions, throttle, calls }, incoming));
  };

  const server = createServer({ cert: o.tls.cert, key: o.tls.key }, (req, res) => {
    handler(req, res).catch(() => {
      const e = internalError();
      if (!res.headersSent) send(res, { status: e.status, headers: {}, body: e.body() });
      else res.destroy();
    });
  });
  port = await listenOnLoopback(server, o.port);

  const found = (srv: string): NonNullable<ReturnType<ServerRegistry['find']>> => {
    const s = registry.find(srv);
    if (!s) throw new Error(`unknown server ${srv}`);
    return s;
  };
  const admin = { registry, failoverGroups, history, activity, clock };
  return {
    endpoint: endpoint(),
    port,
    history: () => history.all(),
    failNext: (srv, operation, error) => history.inject(found(srv).resourceId, operation, error),
    inspect: (srv) => {
      const s = found(srv);
      return {
        keys: Object.fromEntries([...s.keys.values()].map((k) => [k.name, k.uri])),
        protector: s.protector.serverKeyName,
        role: s.role,
        partners: registry.partnersOf(s).map((p) => p.name).sort(),
      };
    },
    calls: () => calls.snapshot(),
    resetCalls: () => calls.reset(),
    setThrottling: (t) => throttle.configure(t),
    setPageSize: (n) => {
      pageSize = Math.max(1, n);
    },
    activity: () => activity.all(),
    addSecondary: (primary, secondary, ao) => addSecondary(admin, primary, secondary, ao),
    removeSecondary: (secondary) => removeSecondary(admin, secondary),
    setIdentity: (srv, identity) => setIdentity(admin, srv, identity),
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
