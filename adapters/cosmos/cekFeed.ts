// The read feed of a database's client encryption keys (`GET dbs/{db}/clientencryptionkeys`). @azure/cosmos 4.9
// has no method for it, so it is called here with the authorization the SDK would send: Entra ID
// (`type=aad&ver=1.0&sig=<token>` for the scope `<endpoint>/.default`) or the account key, signed by the SDK's own
// exported signer over `clientencryptionkeys` and `dbs/<db>`. Paged by `x-ms-continuation`.
// Only identifiers and wrap metadata leave this module: the wrapped values in the response are dropped (I8).
import type { TokenCredential } from '@azure/core-auth';
import { HTTPMethod, ResourceType, setAuthorizationTokenHeaderUsingMasterKey } from '@azure/cosmos';
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { CekPage, CekRecord } from '../../app/rewrap/cekPorts.js';
import { CosmosError } from './errors.js';

// The REST API version @azure/cosmos 4.9 sends (Constants.CurrentVersion).
const API_VERSION = '2020-07-15';
const MAX_THROTTLE_RETRIES = 9;
const MAX_TRANSIENT_RETRIES = 3;

const feedSchema = z.object({
  ClientEncryptionKeys: z.array(
    z.object({
      id: z.string(),
      keyWrapMetadata: z.object({ name: z.string(), value: z.string(), algorithm: z.string() }),
    }),
  ),
});

/** How keysteward authenticates to one Cosmos account: its Entra ID identity, or the account key. */
export type CosmosAuth = { readonly kind: 'aad'; readonly credential: TokenCredential } | { readonly kind: 'key'; readonly key: string };

export interface CekFeedOptions {
  readonly endpoint: string;
  readonly auth: CosmosAuth;
  readonly pageSize?: number;
  readonly httpClient?: HttpClient;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createCekFeed(o: CekFeedOptions): (database: string, pageToken?: string) => Promise<CekPage> {
  const base = new URL(o.endpoint).href.replace(/\/$/, '');
  const scope = `${base}/.default`;
  const http = o.httpClient ?? createDefaultHttpClient();
  const sleep = o.sleep ?? defaultSleep;
  const pageSize = String(o.pageSize ?? 100);

  return async (database, pageToken) => {
    const operation = `list client encryption keys of database ${database}`;
    for (let throttled = 0, transient = 0; ; ) {
      const headers = createHttpHeaders({ 'x-ms-version': API_VERSION, 'x-ms-max-item-count': pageSize, accept: 'application/json' });
      for (const [name, value] of Object.entries(await authHeaders(o.auth, scope, database))) headers.set(name, value);
      if (pageToken !== undefined) headers.set('x-ms-continuation', pageToken);
      const url = `${base}/dbs/${encodeURIComponent(database)}/clientencryptionkeys`;
      let status: number;
      let body: string | undefined;
      let res;
      try {
        res = await http.sendRequest(createPipelineRequest({ url, method: 'GET', headers }));
        status = res.status;
        body = res.bodyAsText ?? undefined;
      } catch {
        if (transient++ < MAX_TRANSIENT_RETRIES) {
          await sleep(500 * 2 ** transient);
          continue;
        }
        throw new CosmosError(operation, null, 'NetworkError');
      }
      if (status === 429 && throttled++ < MAX_THROTTLE_RETRIES) {
        await sleep(Number(res.headers.get('x-ms-retry-after-ms') ?? '1000') || 1000);
        continue;
      }
      if ((status === 503 || status === 408) && transient++ < MAX_TRANSIENT_RETRIES) {
        await sleep(500 * 2 ** transient);
        continue;
      }
      if (status !== 200) throw new CosmosError(operation, status, codeOf(body));
      const parsed = feedSchema.safeParse(parseJson(body));
      if (!parsed.success) throw new CosmosError(operation, status, 'UnexpectedFeedShape');
      const items: CekRecord[] = parsed.data.ClientEncryptionKeys.map((k) => ({
        database,
        id: k.id,
        kekKid: k.keyWrapMetadata.value,
        kekName: k.keyWrapMetadata.name,
        algorithm: k.keyWrapMetadata.algorithm,
      }));
      return { items, next: res.headers.get('x-ms-continuation') ?? null };
    }
  };
}

async function authHeaders(auth: CosmosAuth, scope: string, database: string): Promise<Record<string, string>> {
  if (auth.kind === 'key') {
    const h: Record<string, string> = {};
    await setAuthorizationTokenHeaderUsingMasterKey(HTTPMethod.get, `dbs/${database}`, ResourceType.clientencryptionkey, h, auth.key);
    return h;
  }
  const token = await auth.credential.getToken(scope);
  if (!token) throw new CosmosError(`token for ${scope}`, 401, 'NoToken');
  return { authorization: `type=aad&ver=1.0&sig=${token.token}`, 'x-ms-date': new Date().toUTCString() };
}

function parseJson(text: string | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return null;
  }
}

function codeOf(body: string | undefined): string | null {
  const j = parseJson(body) as { code?: unknown } | null;
  return typeof j?.code === 'string' ? j.code.slice(0, 64) : null;
}
