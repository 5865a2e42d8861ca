// The request pipeline: authentication (master signature or AAD token) → injected failures → route → role check
// → the operation. Every response carries `x-ms-activity-id` and `x-ms-request-charge`; errors also carry
// `x-ms-substatus` when Cosmos sets one.
import { randomUUID } from 'node:crypto';
import { authorize, type RoleAssignments } from './access.js';
import { authenticate, type Caller } from './auth.js';
import { badRequest, conflict, CosmosError, errorBody, methodNotAllowed, notFound, notServed, preconditionFailed } from './errors.js';
import type { InjectedFaults } from './faults.js';
import { parsePath, type Route } from './routes.js';
import { cekJson, databaseJson, page, type CekContent, type CosmosStore, type DatabaseRecord } from './store.js';
import type { CosmosWriteEntry } from './types.js';
import { parseCekBody, parseDatabaseBody, parseJson } from './validate.js';

export interface CosmosRequest {
  readonly method: string;
  readonly pathname: string;
  readonly headers: {
    readonly authorization?: string;
    /** `x-ms-date`, else `date`. */
    readonly date?: string;
    readonly ifMatch?: string;
    readonly maxItemCount?: string;
    readonly continuation?: string;
  };
  readonly body: Buffer;
}

export interface CosmosResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

export interface ServiceEnv {
  readonly account: string;
  readonly endpoint: () => string;
  readonly masterKey: Buffer;
  readonly store: CosmosStore;
  readonly roles: RoleAssignments;
  readonly faults: InjectedFaults;
  readonly pageSize: number;
  readonly aadMetadataWrites: 'allowed' | 'refused';
  readonly now: () => string;
  /** Real time for the signed-date window. */
  readonly wallClock: () => number;
  readonly recordWrite: (entry: CosmosWriteEntry) => void;
}

const ALLOWED: Readonly<Record<Route['kind'], readonly string[]>> = {
  account: ['GET'],
  databases: ['GET', 'POST'],
  database: ['GET'],
  ceks: ['GET', 'POST'],
  cek: ['GET', 'PUT'],
};

/** The largest page Cosmos hands out for a read feed, whatever `x-ms-max-item-count` asks. */
const MAX_PAGE = 1000;

export class CosmosService {
  constructor(private readonly env: ServiceEnv) {}

  handle(req: CosmosRequest): CosmosResponse {
    const activityId = randomUUID();
    const base = { 'x-ms-activity-id': activityId, 'x-ms-request-charge': '1', 'x-ms-gatewayversion': 'version=2.14.0' };
    try {
      const r = this.dispatch(req);
      return { ...r, headers: { ...base, ...r.headers } };
    } catch (e) {
      if (!(e instanceof CosmosError)) throw e;
      const headers: Record<string, string> = { ...base, ...e.headers };
      if (e.substatus !== undefined) headers['x-ms-substatus'] = String(e.substatus);
      return { status: e.status, headers, body: errorBody(e, activityId) };
    }
  }

  private dispatch(req: CosmosRequest): CosmosResponse {
    const method = req.method.toUpperCase();
    const { route, resourceType, resourceLink } = parsePath(req.pathname);
    const caller = authenticate(
      { method, authorization: req.headers.authorization, date: req.headers.date, resourceType, resourceLink },
      { masterKey: this.env.masterKey, audience: this.env.endpoint().replace(/\/$/, ''), wallClock: this.env.wallClock },
    );
    const injected = this.env.faults.take();
    if (injected) throw injected;
    if (!route) throw notServed(method, req.pathname);
    if (!ALLOWED[route.kind].includes(method)) throw methodNotAllowed();
    const write = method === 'POST' || method === 'PUT';
    const denied = authorize(caller, { method, pathname: req.pathname, route, write }, { account: this.env.account, roles: this.env.roles, aadMetadataWrites: this.env.aadMetadataWrites });
    if (denied) throw denied;

    switch (route.kind) {
      case 'account':
        return this.account();
      case 'databases':
        return method === 'POST' ? this.createDatabase(req.body) : this.feed(req, '', 'Databases', this.env.store.databases(), databaseJson);
      case 'database':
        return resource(200, databaseJson(this.db(route.db)));
      case 'ceks': {
        const db = this.db(route.db);
        return method === 'POST' ? this.createCek(db, req.body, caller) : this.feed(req, db.rid, 'ClientEncryptionKeys', [...db.ceks.values()], cekJson);
      }
      case 'cek': {
        const db = this.db(route.db);
        const cek = db.ceks.get(route.id);
        if (!cek) throw notFound();
        return method === 'PUT' ? this.replaceCek(db, route.id, req, caller) : resource(200, cekJson(cek));
      }
    }
  }

  /** What CosmosClient reads (DatabaseAccount.js, GlobalEndpointManager): one region, reads and writes at this endpoint. */
  private account(): CosmosResponse {
    const location = { name: 'East US', databaseAccountEndpoint: this.env.endpoint() };
    return {
      status: 200,
      headers: { 'x-ms-max-media-storage-usage-mb': '10240', 'x-ms-media-storage-usage-mb': '0' },
      body: {
        _self: '',
        id: this.env.account,
        _rid: `${this.env.account}.documents.localhost`,
        media: '//media/',
        addresses: '//addresses/',
        _dbs: '//dbs/',
        writableLocations: [location],
        readableLocations: [location],
        enableMultipleWriteLocations: false,
        userReplicationPolicy: { asyncReplication: false, minReplicaSetSize: 3, maxReplicasetSize: 4 },
        userConsistencyPolicy: { defaultConsistencyLevel: 'Session' },
        systemReplicationPolicy: { minReplicaSetSize: 3, maxReplicasetSize: 4 },
        readPolicy: { primaryReadCoefficient: 1, secondaryReadCoefficient: 1 },
      },
    };
  }

  private db(id: string): DatabaseRecord {
    const db = this.env.store.database(id);
    if (!db) throw notFound();
    return db;
  }

  private createDatabase(body: Buffer): CosmosResponse {
    const { id } = parseDatabaseBody(parseJson(body));
    const db = this.env.store.createDatabase(id);
    if (!db) throw conflict();
    return resource(201, databaseJson(db));
  }

  private createCek(db: DatabaseRecord, body: Buffer, caller: Caller): CosmosResponse {
    const { id, content } = parseCekBody(parseJson(body));
    const cek = this.env.store.createCek(db, id, content);
    if (!cek) throw conflict();
    this.record(db, id, 'create', content, caller);
    return resource(201, cekJson(cek));
  }

  private replaceCek(db: DatabaseRecord, id: string, req: CosmosRequest, caller: Caller): CosmosResponse {
    const cek = db.ceks.get(id);
    if (!cek) throw notFound();
    const parsed = parseCekBody(parseJson(req.body));
    // [inferred] Cosmos does not rename resources on replace.
    if (parsed.id !== id) throw badRequest(`The id '${parsed.id}' in the request body does not match the id '${id}' in the request URI.`);
    const ifMatch = req.headers.ifMatch;
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== cek.etag) throw preconditionFailed();
    this.env.store.replaceCek(cek, parsed.content);
    this.record(db, id, 'replace', parsed.content, caller);
    return resource(200, cekJson(cek));
  }

  private record(db: DatabaseRecord, id: string, op: CosmosWriteEntry['op'], content: CekContent, caller: Caller): void {
    this.env.recordWrite({
      at: this.env.now(),
      db: db.id,
      id,
      op,
      kekValue: content.keyWrapMetadata.value,
      kekName: content.keyWrapMetadata.name,
      oid: caller.kind === 'aad' ? caller.oid : null,
    });
  }

  /** A REST read feed: `{"_rid": <parent rid>, <Name>: [...], "_count": n}`, paged by x-ms-max-item-count / x-ms-continuation. */
  private feed<T extends { readonly seq: number }>(req: CosmosRequest, parentRid: string, name: string, all: readonly T[], toJson: (x: T) => unknown): CosmosResponse {
    const size = this.pageSizeOf(req.headers.maxItemCount);
    const p = page(all, size, req.headers.continuation);
    // [inferred] text.
    if (!p) throw badRequest('Invalid continuation token.');
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'x-ms-item-count': String(p.items.length) };
    if (p.continuation !== undefined) headers['x-ms-continuation'] = p.continuation;
    return { status: 200, headers, body: { _rid: parentRid, [name]: p.items.map(toJson), _count: p.items.length } };
  }

  private pageSizeOf(header: string | undefined): number {
    if (header === undefined || header.trim() === '-1') return this.env.pageSize;
    const n = Number(header);
    // [inferred] text.
    if (!Number.isInteger(n) || n < 1) throw badRequest(`Invalid value '${header}' for header x-ms-max-item-count: expected -1 or a positive integer.`);
    return Math.min(n, MAX_PAGE);
  }
}

function resource(status: number, body: Record<string, unknown>): CosmosResponse {
  const etag = body['_etag'];
  return { status, headers: { 'Content-Type': 'application/json', ...(typeof etag === 'string' ? { etag } : {}) }, body };
}
