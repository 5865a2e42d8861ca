// One ARM request → one response: bearer check (ARM has no challenge round: the SDK's bearerTokenAuthenticationPolicy
// sends the token on the first request), api-version presence (any value is accepted), routing, reads, and writes
// with their history entry, injected failures and sync/async answer.
import { readLocalToken } from '../../adapters/azure/localCredential.js';
import { operationUrl, type AsyncOperations, type OperationKind } from './asyncOperations.js';
import { ArmError, invalidToken, missingApiVersion, missingAuthorization, noRoute, serverKeyNotFound, serverNotFound } from './errors.js';
import type { WriteHistory } from './history.js';
import { prepareKeyDelete, prepareKeyWrite } from './keyWrites.js';
import { prepareProtectorWrite, prepareRevalidate } from './protectorWrites.js';
import { protectorJson, replicationLinkJson, serverJson, serverKeyJson } from './resources.js';
import { routeOf, type Route } from './routes.js';
import type { ServerRecord } from './state.js';
import type { PreparedWrite, WriteDeps, WriteResult } from './write.js';

export interface ArmRequest {
  readonly method: string;
  readonly url: URL;
  readonly authorization: string | undefined;
  readonly body: Buffer;
}

export interface ArmResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface ServiceDeps extends WriteDeps {
  readonly history: WriteHistory;
  readonly operations: AsyncOperations;
  readonly endpoint: () => string;
  readonly writeMode: 'sync' | 'async';
  readonly pageSize: number;
}

const json = (status: number, body?: unknown, headers: Record<string, string> = {}): ArmResponse => ({ status, headers, ...(body !== undefined ? { body } : {}) });

const failure = (e: ArmError): ArmResponse => json(e.status, e.body(), { ...e.headers });

function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    // Unparseable JSON is "no properties object": each write reports it with its own code.
    return undefined;
  }
}

export class ArmSqlService {
  constructor(private readonly d: ServiceDeps) {}

  async handle(req: ArmRequest): Promise<ArmResponse> {
    try {
      if (!req.authorization || !/^Bearer\s/i.test(req.authorization)) throw missingAuthorization();
      if (!readLocalToken(req.authorization)) throw invalidToken();
      if (!req.url.searchParams.get('api-version')) throw missingApiVersion();
      const route = routeOf(req.url.pathname);
      if (!route) throw noRoute(req.method, req.url.pathname);
      if (route.kind === 'operation') return this.operationStatus(req, route.id);
      const server = this.d.registry.get(route.serverId);
      if (!server) {
        const parts = route.serverId.split('/');
        throw serverNotFound(parts[8] ?? route.serverId, parts[4] ?? '');
      }
      return await this.dispatch(req, route, server);
    } catch (e) {
      if (e instanceof ArmError) return failure(e);
      throw e;
    }
  }

  private operationStatus(req: ArmRequest, id: string): ArmResponse {
    if (req.method !== 'GET') throw noRoute(req.method, req.url.pathname);
    const body = this.d.operations.poll(id);
    if (body === null) throw new ArmError(404, 'ResourceNotFound', `The async operation ${id} was not found.`);
    return json(200, body);
  }

  private dispatch(req: ArmRequest, route: Exclude<Route, { kind: 'operation' }>, s: ServerRecord): Promise<ArmResponse> | ArmResponse {
    const m = req.method.toUpperCase();
    switch (route.kind) {
      case 'server':
        if (m === 'GET') return json(200, serverJson(s));
        break;
      case 'keys':
        if (m === 'GET') return this.page(req, [...s.keys.values()].map((k) => serverKeyJson(s, k)));
        break;
      case 'key': {
        if (m === 'GET') {
          const k = s.keys.get(route.keyName.toLowerCase());
          if (!k) throw serverKeyNotFound();
          return json(200, serverKeyJson(s, k));
        }
        if (m === 'PUT') return this.write(s, prepareKeyWrite(this.d, s, route.keyName, parseBody(req.body)), 'serverKeyAzureAsyncOperation');
        if (m === 'DELETE') return this.write(s, prepareKeyDelete(this.d, s, route.keyName), 'serverKeyAzureAsyncOperation');
        break;
      }
      case 'protectors':
        if (m === 'GET') return this.page(req, [protectorJson(s)]);
        break;
      case 'protector':
        if (m === 'GET') return json(200, protectorJson(s));
        if (m === 'PUT') return this.write(s, prepareProtectorWrite(this.d, s, parseBody(req.body)), 'encryptionProtectorAzureAsyncOperation');
        break;
      case 'revalidate':
        if (m === 'POST') return this.write(s, prepareRevalidate(this.d, s), 'encryptionProtectorAzureAsyncOperation');
        break;
      case 'replicationLinks':
        if (m === 'GET') return this.page(req, this.d.registry.partnersOf(s).map((p) => replicationLinkJson(s, p)));
        break;
    }
    throw noRoute(req.method, req.url.pathname);
  }

  /** `{ value, nextLink? }` with `$skiptoken` = offset of the next page. */
  private page(req: ArmRequest, items: unknown[]): ArmResponse {
    const from = Math.max(0, Number(req.url.searchParams.get('$skiptoken') ?? 0) || 0);
    const to = from + this.d.pageSize;
    if (to >= items.length) return json(200, { value: items.slice(from) });
    const next = new URL(`${this.d.endpoint()}${req.url.pathname}`);
    next.searchParams.set('api-version', req.url.searchParams.get('api-version') ?? '');
    next.searchParams.set('$skiptoken', String(to));
    return json(200, { value: items.slice(from, to), nextLink: next.toString() });
  }

  private async write(s: ServerRecord, w: PreparedWrite, operationKind: OperationKind): Promise<ArmResponse> {
    const { history } = this.d;
    const refused = history.takeInjected(s.resourceId, w.draft.operation) ?? w.refused;
    if (refused) {
      history.record(w.draft, { status: refused.status, code: refused.code }, false);
      return failure(refused);
    }
    let result: WriteResult | null = null;
    let error: ArmError | null = null;
    try {
      result = await w.apply();
    } catch (e) {
      if (!(e instanceof ArmError)) throw e;
      error = e;
    }
    const async = this.d.writeMode === 'async';
    history.record({ ...w.draft, async }, error ? { status: error.status, code: error.code } : { status: result?.status ?? 200, code: null }, result?.changed ?? false);
    if (!async) return error ? failure(error) : json(result?.status ?? 200, result?.body);
    const id = this.d.operations.start(this.d.now(), error);
    // No Retry-After: the client's own poll interval applies (core-lro reads it from status answers anyway).
    return json(202, undefined, { 'Azure-AsyncOperation': operationUrl(this.d.endpoint(), s.subscriptionId, s.location, operationKind, id) });
  }
}
