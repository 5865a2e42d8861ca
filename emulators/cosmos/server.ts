// The HTTPS server of the Cosmos DB emulator: `https://localhost:<port>/` stands for
// https://<account>.documents.azure.com:443/ (give it to CosmosClient as `endpoint`; with `aadCredentials` the token
// scope becomes `https://localhost:<port>/.default`). The account advertises this same URL as its only read and
// write location, so endpoint discovery keeps the client here.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { readBody } from '../../adapters/http/readBody.js';
import { RoleAssignments } from './access.js';
import { entityTooLarge, errorBody, internalError } from './errors.js';
import { InjectedFaults } from './faults.js';
import { CosmosService, type CosmosResponse } from './service.js';
import { CosmosStore, storedCek } from './store.js';
import type { CosmosEmulator, CosmosEmulatorOptions, CosmosRole, CosmosWriteEntry, SeedCek } from './types.js';
import { validId } from './validate.js';
import { listenOnLoopback } from '../listen.js';

/** Cosmos's request size limit (2 MB). */
const MAX_BODY = 2 * 1024 * 1024;

/** The account name in denial texts (`Request blocked by Auth <account>`). Not `localhost`: the SDK ignores the locations of an account with that id. */
export const EMULATED_ACCOUNT = 'keysteward-local';

/** The default account key: fixed, so local tools can sign without being told it; a development value, never a secret. */
export const DEV_MASTER_KEY = createHash('sha512').update('keysteward local Cosmos DB emulator account key').digest('base64');

function send(res: ServerResponse, r: CosmosResponse): void {
  const payload = r.body === undefined ? '' : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'Content-Type': 'application/json',
    ...r.headers,
    'Content-Length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function masterKeyOf(o: CosmosEmulatorOptions): { text: string; bytes: Buffer } {
  const text = o.masterKey ?? DEV_MASTER_KEY;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 0 || bytes.toString('base64') !== text) throw new Error('masterKey must be a non-empty base64 string');
  return { text, bytes };
}

function seed(store: CosmosStore, o: CosmosEmulatorOptions): void {
  for (const d of o.databases ?? []) {
    if (!validId(d.id)) throw new Error(`invalid database id: ${JSON.stringify(d.id)}`);
    const db = store.createDatabase(d.id);
    if (!db) throw new Error(`database ${d.id} is configured twice`);
    for (const c of d.clientEncryptionKeys ?? []) {
      if (!validId(c.id)) throw new Error(`invalid client encryption key id: ${JSON.stringify(c.id)}`);
      if (!store.createCek(db, c.id, seedContent(c))) throw new Error(`client encryption key ${c.id} is configured twice in ${d.id}`);
    }
  }
}

function seedContent(c: SeedCek): { encryptionAlgorithm: string; keyWrapMetadata: SeedCek['keyWrapMetadata']; wrapped: Buffer } {
  const wrapped = typeof c.wrappedDataEncryptionKey === 'string' ? Buffer.from(c.wrappedDataEncryptionKey, 'base64') : Buffer.from(c.wrappedDataEncryptionKey);
  if (wrapped.length === 0) throw new Error(`client encryption key ${c.id} has an empty wrappedDataEncryptionKey`);
  const m = c.keyWrapMetadata;
  return { encryptionAlgorithm: c.encryptionAlgorithm ?? 'AEAD_AES_256_CBC_HMAC_SHA256', keyWrapMetadata: { type: m.type, name: m.name, value: m.value, algorithm: m.algorithm }, wrapped };
}

export async function startCosmosEmulator(o: CosmosEmulatorOptions): Promise<CosmosEmulator> {
  const clock = o.clock ?? Date.now;
  const masterKey = masterKeyOf(o);
  const store = new CosmosStore(() => Math.floor(clock() / 1000));
  seed(store, o);
  const roles = new RoleAssignments();
  const faults = new InjectedFaults();
  const history: CosmosWriteEntry[] = [];
  let port = 0;
  const endpoint = (): string => `https://localhost:${port}/`;

  const service = new CosmosService({
    account: EMULATED_ACCOUNT,
    endpoint,
    masterKey: masterKey.bytes,
    store,
    roles,
    faults,
    pageSize: Math.max(1, Math.floor(o.pageSize ?? 100)),
    aadMetadataWrites: o.aadMetadataWrites ?? 'allowed',
    now: () => new Date(clock()).toISOString(),
    wallClock: Date.now,
    recordWrite: (entry) => {
      history.push(entry);
      try {
        o.onWrite?.(entry);
      } catch {
        // An observer's failure must not fail the write it observes.
      }
    },
  });

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req, MAX_BODY);
    if (body === null) return send(res, { status: 413, headers: {}, body: errorBody(entityTooLarge(), randomUUID()) });
    const url = new URL(req.url ?? '/', 'https://localhost');
    const date = header(req, 'x-ms-date') ?? header(req, 'date');
    const authorization = header(req, 'authorization');
    const ifMatch = header(req, 'if-match');
    const maxItemCount = header(req, 'x-ms-max-item-count');
    const continuation = header(req, 'x-ms-continuation');
    send(
      res,
      service.handle({
        method: req.method ?? 'GET',
        pathname: url.pathname,
        headers: {
          ...(authorization !== undefined ? { authorization } : {}),
          ...(date !== undefined ? { date } : {}),
          ...(ifMatch !== undefined ? { ifMatch } : {}),
          ...(maxItemCount !== undefined ? { maxItemCount } : {}),
          ...(continuation !== undefined ? { continuation } : {}),
        },
        body,
      }),
    );
  };

  const server = createServer({ cert: o.cert.cert, key: o.cert.key }, (req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) send(res, { status: 500, headers: {}, body: errorBody(internalError(), randomUUID()) });
      else res.destroy();
    });
  });
  port = await listenOnLoopback(server, o.port);

  return {
    endpoint: endpoint(),
    port,
    masterKey: masterKey.text,
    grant: (oid: string, role: CosmosRole) => {
      if (role !== 'reader' && role !== 'contributor') throw new Error(`unknown role ${String(role)}`);
      roles.grant(oid, role);
    },
    revoke: (oid) => roles.revoke(oid),
    cek: (db, id) => {
      const c = store.database(db)?.ceks.get(id);
      return c ? storedCek(c) : undefined;
    },
    ceks: (db) => [...(store.database(db)?.ceks.values() ?? [])].sort((a, b) => a.seq - b.seq).map(storedCek),
    writes: () => history.map((e) => ({ ...e })),
    failNext: (n, status, retryAfterMs = 20) => faults.add(n, status, retryAfterMs),
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
