// The SQL resource provider behind the ARM front door: reads (lists page through `nextLink`), and writes with their
// history entry, injected failures, sync/async answer and activity-log records. The front door has already checked
// the token, the api-version, the subscription and the throttle.
import { resourceNotFound, ArmError, noRoute } from '../arm/errors.js';
import type { ActivityLog } from '../arm/activity.js';
import { failure, json, parseBody, type ArmRequest, type ArmResponse } from '../arm/http.js';
import { page, type Paging } from '../arm/paging.js';
import type { ArmProvider, RoutedCall } from '../arm/provider.js';
import { operationUrl, type AsyncOperations, type OperationKind } from './asyncOperations.js';
import { databaseJson, replicationLinksOf } from './databases.js';
import { serverKeyNotFound } from './errors.js';
import { promote, type FailoverGroups } from './failoverGroups.js';
import type { WriteHistory } from './history.js';
import { prepareKeyDelete, prepareKeyWrite } from './keyWrites.js';
import { prepareProtectorWrite, prepareRevalidate } from './protectorWrites.js';
import { managedInstanceJson, protectorJson, serverJson, serverKeyJson } from './resources.js';
import { routeOf, type ResourceRoute, type Route } from './routes.js';
import type { ServerRecord, SqlResourceKind } from './state.js';
import { prepare, type PreparedWrite, type WriteDeps, type WriteResult } from './write.js';

export interface SqlProviderDeps extends WriteDeps {
  readonly history: WriteHistory;
  readonly operations: AsyncOperations;
  readonly failoverGroups: FailoverGroups;
  readonly activity: ActivityLog;
  readonly paging: Paging;
  readonly endpoint: () => string;
  readonly clock: () => number;
  readonly writeMode: 'sync' | 'async';
}

type Under = Extract<Route, { kind: 'under' }>;

/** SDK operation names by resource kind, route and method: the call counter's keys. */
const OPERATIONS: Readonly<Record<SqlResourceKind, Partial<Record<ResourceRoute['kind'], Readonly<Record<string, string>>>>>> = {
  servers: {
    resource: { GET: 'servers.get' },
    keys: { GET: 'serverKeys.listByServer' },
    key: { GET: 'serverKeys.get', PUT: 'serverKeys.createOrUpdate', DELETE: 'serverKeys.delete' },
    protectors: { GET: 'encryptionProtectors.listByServer' },
    protector: { GET: 'encryptionProtectors.get', PUT: 'encryptionProtectors.createOrUpdate' },
    revalidate: { POST: 'encryptionProtectors.revalidate' },
    replicationLinks: { GET: 'replicationLinks.listByServer' },
    databases: { GET: 'databases.listByServer' },
    failoverGroups: { GET: 'failoverGroups.listByServer' },
    failoverGroup: { GET: 'failoverGroups.get' },
    failover: { POST: 'failoverGroups.failover' },
  },
  managedInstances: {
    resource: { GET: 'managedInstances.get' },
    keys: { GET: 'managedInstanceKeys.listByInstance' },
    key: { GET: 'managedInstanceKeys.get', PUT: 'managedInstanceKeys.createOrUpdate', DELETE: 'managedInstanceKeys.delete' },
    protectors: { GET: 'managedInstanceEncryptionProtectors.listByInstance' },
    protector: { GET: 'managedInstanceEncryptionProtectors.get', PUT: 'managedInstanceEncryptionProtectors.createOrUpdate' },
  },
};

const CHILD: Readonly<Record<ResourceRoute['kind'], string>> = {
  resource: '',
  keys: '/keys',
  key: '/keys',
  protectors: '/encryptionProtector',
  protector: '/encryptionProtector',
  revalidate: '/encryptionProtector/revalidate',
  replicationLinks: '/databases/replicationLinks',
  databases: '/databases',
  failoverGroups: '/failoverGroups',
  failoverGroup: '/failoverGroups',
  failover: '/failoverGroups/failover',
};

const VERB: Readonly<Record<string, string>> = { GET: 'read', PUT: 'write', DELETE: 'delete', POST: 'action' };

/** The RBAC action ARM checks, e.g. `Microsoft.Sql/servers/encryptionProtector/read`. */
function actionOf(r: Under, method: string): string {
  const child = r.route.kind === 'failover' && r.route.force ? '/failoverGroups/forceFailoverAllowDataLoss' : CHILD[r.route.kind];
  return `Microsoft.Sql/${r.resourceKind}${child}/${VERB[method] ?? 'action'}`;
}

/** The ARM operation a history entry stands for, as the activity log names it, and the resource it is on. */
function activityOf(s: ServerRecord, operation: string, target: string): { operation: string; resourceId: string } {
  const base = `Microsoft.Sql/${s.kind}`;
  if (operation.startsWith('keys/')) return { operation: `${base}/${operation}`, resourceId: `${s.resourceId}/keys/${target}` };
  if (operation.startsWith('encryptionProtector/')) return { operation: `${base}/${operation}`, resourceId: `${s.resourceId}/encryptionProtector/current` };
  if (operation.startsWith('failoverGroups/')) return { operation: `${base}/${operation}`, resourceId: `${s.resourceId}/failoverGroups/${target}` };
  return { operation: `${base}/${operation}`, resourceId: s.resourceId };
}

export class SqlProvider implements ArmProvider {
  constructor(private readonly d: SqlProviderDeps) {}

  route(req: ArmRequest): RoutedCall | null {
    const r = routeOf(req.url.pathname);
    if (!r) return null;
    const m = req.method.toUpperCase();
    if (r.kind === 'list') {
      if (m !== 'GET') return null;
      const items = (): unknown[] => this.d.registry.inSubscription(r.resourceKind, r.subscriptionId).map((s) => (s.kind === 'servers' ? serverJson(s) : managedInstanceJson(s)));
      return { operation: `${r.resourceKind}.list`, action: `Microsoft.Sql/${r.resourceKind}/read`, subscriptionId: r.subscriptionId, run: () => page(this.d.paging, req, items()) };
    }
    if (r.kind === 'operation') {
      if (m !== 'GET') return null;
      return { operation: `${r.operationKind}.get`, action: 'Microsoft.Sql/locations/read', subscriptionId: r.subscriptionId, run: () => this.operationStatus(r.id) };
    }
    const name = OPERATIONS[r.resourceKind][r.route.kind]?.[m];
    if (!name) return null;
    const operation = r.route.kind === 'failover' && r.route.force ? 'failoverGroups.forceFailoverAllowDataLoss' : name;
    return { operation, action: actionOf(r, m), subscriptionId: r.subscriptionId, run: () => this.dispatch(req, r) };
  }

  private operationStatus(id: string): ArmResponse {
    const body = this.d.operations.poll(id);
    if (body === null) throw new ArmError(404, 'ResourceNotFound', `The async operation ${id} was not found.`);
    return json(200, body);
  }

  private dispatch(req: ArmRequest, r: Under): Promise<ArmResponse> | ArmResponse {
    const s = this.d.registry.get(r.resourceId);
    if (!s || s.kind !== r.resourceKind) throw resourceNotFound(`Microsoft.Sql/${r.resourceKind}`, r.name, r.resourceGroup);
    const m = req.method.toUpperCase();
    const route = r.route;
    switch (route.kind) {
      case 'resource':
        return json(200, s.kind === 'servers' ? serverJson(s) : managedInstanceJson(s));
      case 'keys':
        return page(this.d.paging, req, [...s.keys.values()].map((k) => serverKeyJson(s, k)));
      case 'key': {
        if (m === 'PUT') return this.write(req, s, prepareKeyWrite(this.d, s, route.keyName, parseBody(req.body)), 'serverKeyAzureAsyncOperation');
        if (m === 'DELETE') return this.write(req, s, prepareKeyDelete(this.d, s, route.keyName), 'serverKeyAzureAsyncOperation');
        const k = s.keys.get(route.keyName.toLowerCase());
        if (!k) throw serverKeyNotFound();
        return json(200, serverKeyJson(s, k));
      }
      case 'protectors':
        return page(this.d.paging, req, [protectorJson(s)]);
      case 'protector':
        if (m === 'PUT') return this.write(req, s, prepareProtectorWrite(this.d, s, parseBody(req.body)), 'encryptionProtectorAzureAsyncOperation');
        return json(200, protectorJson(s));
      case 'revalidate':
        return this.write(req, s, prepareRevalidate(this.d, s), 'encryptionProtectorAzureAsyncOperation');
      case 'replicationLinks':
        return page(this.d.paging, req, replicationLinksOf(s, this.d.registry.partnersOf(s)));
      case 'databases':
        return page(this.d.paging, req, [...s.databases.values()].map((db) => databaseJson(s, db)));
      case 'failoverGroups':
        return page(this.d.paging, req, this.d.failoverGroups.onServer(s).map((g) => this.d.failoverGroups.json(g, s)));
      case 'failoverGroup': {
        const g = this.d.failoverGroups.get(s, route.group);
        if (!g) throw resourceNotFound('Microsoft.Sql/servers/failoverGroups', `${s.name}/${route.group}`, s.resourceGroup);
        return json(200, this.d.failoverGroups.json(g, s));
      }
      case 'failover':
        return this.write(req, s, this.prepareFailover(s, route.group, route.force), 'failoverGroupAzureAsyncOperation');
    }
    throw noRoute(req.method, req.url.pathname);
  }

  /** POST …/failoverGroups/{fg}/failover on the server that is to become the primary. */
  private prepareFailover(s: ServerRecord, group: string, force: boolean): PreparedWrite {
    const operation = force ? ('failoverGroups/forceFailoverAllowDataLoss/action' as const) : ('failoverGroups/failover/action' as const);
    const draft = { server: s.resourceId, serverName: s.name, operation, target: group, request: {}, async: false };
    const shape = (): NonNullable<ReturnType<FailoverGroups['get']>> => {
      const g = this.d.failoverGroups.get(s, group);
      if (!g) throw resourceNotFound('Microsoft.Sql/servers/failoverGroups', `${s.name}/${group}`, s.resourceGroup);
      return g;
    };
    return prepare(draft, shape, async (g): Promise<WriteResult> => {
      const changed = promote(this.d.registry, s);
      return { status: 200, body: this.d.failoverGroups.json(g, s), changed };
    });
  }

  private async write(req: ArmRequest, s: ServerRecord, w: PreparedWrite, operationKind: OperationKind): Promise<ArmResponse> {
    const { history } = this.d;
    const startedAt = this.d.clock();
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
    if (!error) {
      const { operation, resourceId } = activityOf(s, w.draft.operation, w.draft.target);
      const body = parseBody(req.body);
      this.d.activity.emit(
        { operation, resourceId, subscriptionId: s.subscriptionId, caller: req.caller, ...(body !== undefined ? { request: body } : {}), ...(result?.body !== undefined ? { response: result.body } : {}), statusCode: result?.status === 201 ? 'Created' : result?.status === 204 ? 'NoContent' : 'OK' },
        startedAt,
      );
    }
    if (!async) return error ? failure(error) : json(result?.status ?? 200, result?.body);
    const id = this.d.operations.start(this.d.now(), error);
    // No Retry-After: the client's own poll interval applies (core-lro reads it from status answers anyway). A
    // failover's final state is the group, read from Location once the operation has succeeded.
    const location = operationKind === 'failoverGroupAzureAsyncOperation' ? { Location: `${this.d.endpoint()}${s.resourceId}/failoverGroups/${w.draft.target}?api-version=2020-11-01-preview` } : {};
    return json(202, undefined, { 'Azure-AsyncOperation': operationUrl(this.d.endpoint(), s.subscriptionId, s.location, operationKind, id), ...location });
  }
}
