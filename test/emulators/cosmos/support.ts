import { afterEach, beforeAll } from 'vitest';
// Shared set-up for the Cosmos DB emulator tests: the emulator on the dev certificate, the real CosmosClient (AAD
// through LocalEmulatorCredential, or the account key) with client-side encryption, a key encryption key resolver
// that wraps with RSA-OAEP locally (as Key Vault's RSA-OAEP would), and bare HTTPS requests for what the SDK has no
// method for (the CEK read feed) or will not send (a stale If-Match).
import {
  CosmosClient,
  EncryptionKeyResolverName,
  HTTPMethod,
  KeyEncryptionAlgorithm,
  ResourceType,
  setAuthorizationTokenHeaderUsingMasterKey,
  type CosmosHeaders,
  type EncryptionKeyResolver,
  type EncryptionKeyWrapMetadata,
} from '@azure/cosmos';
import { constants, createHmac, generateKeyPairSync, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { LocalEmulatorCredential, type LocalPrincipal } from '../../../adapters/azure/localCredential.js';
import { DEFAULT_CERT_DIR, ensureDevCertificate, type DevCertificate } from '../../../emulators/certs.js';
import { startCosmosEmulator, type CosmosEmulator, type CosmosEmulatorOptions } from '../../../emulators/cosmos/index.js';
import { httpsRequest } from '../../support/https.js';

export const TENANT = '7d3f1c2a-5b4e-4c6d-9a8b-0e1f2a3b4c5d';

/** keysteward's rewrap automation. */
export const AUTOMATION: LocalPrincipal = { oid: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', appid: '2f4e6a8c-0b1d-4e3f-a5b7-c9d1e3f5a7b9', tenantId: TENANT };
/** An application that only reads. */
export const READER: LocalPrincipal = { oid: '8c7b6a59-4d3e-4f2a-9b1c-0d9e8f7a6b5c', tenantId: TENANT };
/** A principal with no role at all. */
export const STRANGER: LocalPrincipal = { oid: '0f1e2d3c-4b5a-4968-8776-655443322110', tenantId: TENANT };

export const DB = 'orders';
export const kek = (version: string, key = 'cosmos-kek'): string => `https://kv-cmk-prod-eus.vault.azure.net/keys/${key}/${version}`;
export const KEK_V1 = kek('6f1c2d3e4a5b46c7889900aabbccddee');
export const KEK_V2 = kek('0a9b8c7d6e5f40312233445566778899');

export const wrapMetadata = (value: string, name = 'cosmos-kek'): EncryptionKeyWrapMetadata => ({
  type: EncryptionKeyResolverName.AzureKeyVault,
  name,
  value,
  algorithm: KeyEncryptionAlgorithm.RSA_OAEP,
});

export const devCert = (): Promise<DevCertificate> => ensureDevCertificate(DEFAULT_CERT_DIR);

export function startEmulator(cert: DevCertificate, o: Omit<CosmosEmulatorOptions, 'cert'> = {}): Promise<CosmosEmulator> {
  return startCosmosEmulator({ cert: { cert: cert.certPem, key: cert.keyPem }, ...o });
}

/** One RSA-2048 pair per kid for the whole run, as one key version is one key in Key Vault (and keygen is slow). */
const KEK_PAIRS = new Map<string, { publicKey: KeyObject; privateKey: KeyObject }>();

/**
 * KEKs held locally: RSA-2048 pairs by kid, wrapping with RSA-OAEP (SHA-1, Key Vault's `RSA-OAEP`). Counts the
 * unwraps it is asked for, so a test can see what the SDK caches.
 */
export class LocalKekResolver implements EncryptionKeyResolver {
  readonly encryptionKeyResolverName = EncryptionKeyResolverName.AzureKeyVault;
  readonly unwraps: string[] = [];

  private pair(kid: string): { publicKey: KeyObject; privateKey: KeyObject } {
    let p = KEK_PAIRS.get(kid);
    if (!p) {
      p = generateKeyPairSync('rsa', { modulusLength: 2048 });
      KEK_PAIRS.set(kid, p);
    }
    return p;
  }

  async wrapKey(kid: string, algorithm: string, key: Uint8Array): Promise<Uint8Array> {
    if (algorithm !== 'RSA-OAEP') throw new Error(`unexpected algorithm ${algorithm}`);
    return publicEncrypt({ key: this.pair(kid).publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, key);
  }

  async unwrapKey(kid: string, algorithm: string, wrapped: Uint8Array): Promise<Uint8Array> {
    if (algorithm !== 'RSA-OAEP') throw new Error(`unexpected algorithm ${algorithm}`);
    this.unwraps.push(kid);
    return this.unwrapDirect(kid, wrapped);
  }

  /** The test's own unwrap (not counted): what a wrapped value really holds. */
  unwrapDirect(kid: string, wrapped: Uint8Array): Buffer {
    return privateDecrypt({ key: this.pair(kid).privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, wrapped);
  }
}

function nodeTrusts(cert: DevCertificate): boolean {
  const extra = process.env['NODE_EXTRA_CA_CERTS'];
  try {
    return !!extra && readFileSync(extra, 'utf8').includes(cert.certPem.trim());
  } catch {
    return false;
  }
}

export type ClientAuth = { readonly principal: LocalPrincipal } | { readonly key: string };

export interface ClientOptions {
  readonly resolver?: EncryptionKeyResolver;
  /** encryptionKeyTimeToLiveInSeconds; default 0 (no caching of unwrapped keys). Undefined = the SDK's default. */
  readonly ttlSeconds?: number | 'sdk-default';
  readonly maxThrottleRetries?: number;
}

/**
 * The real CosmosClient, as keysteward builds it, against the emulator. Without NODE_EXTRA_CA_CERTS trusting the dev
 * certificate (`npm test` sets it), an agent that trusts it.
 */
export function cosmosClient(emulator: CosmosEmulator, cert: DevCertificate, auth: ClientAuth, o: ClientOptions = {}): CosmosClient {
  const ttl = o.ttlSeconds ?? 0;
  return new CosmosClient({
    endpoint: emulator.endpoint,
    ...('key' in auth ? { key: auth.key } : { aadCredentials: new LocalEmulatorCredential(auth.principal) }),
    clientEncryptionOptions: {
      keyEncryptionKeyResolver: o.resolver ?? new LocalKekResolver(),
      ...(ttl === 'sdk-default' ? {} : { encryptionKeyTimeToLiveInSeconds: ttl }),
    },
    ...(o.maxThrottleRetries !== undefined ? { connectionPolicy: { retryOptions: { maxRetryAttemptCount: o.maxThrottleRetries, fixedRetryIntervalInMilliseconds: 0, maxWaitTimeInSeconds: 30 } } } : {}),
    ...(nodeTrusts(cert) ? {} : { agent: new Agent({ ca: cert.certPem, keepAlive: true }) }),
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** A bare HTTPS request to the emulator; `json` is {} when the body is not JSON (the test looks at `text`). */
export async function rawRequest(cert: DevCertificate, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const r = await httpsRequest(cert, url, init);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { ...r, json };
}

/** The headers the SDK sends for an account-key request (its own exported signer), plus the API version. */
export async function masterKeyHeaders(key: string, verb: HTTPMethod, resourceType: ResourceType, resourceLink: string): Promise<Record<string, string>> {
  const headers: CosmosHeaders = { 'x-ms-version': '2020-07-15', Accept: 'application/json' };
  await setAuthorizationTokenHeaderUsingMasterKey(verb, resourceLink, resourceType, headers, key);
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
}

export { HTTPMethod, ResourceType };

/** The documented master-key signature, written out here (the SDK's signer always uses the current date). */
export function masterKeyHeadersAt(key: string, verb: string, resourceType: string, resourceLink: string, date: Date): Record<string, string> {
  const text = `${verb.toLowerCase()}\n${resourceType.toLowerCase()}\n${resourceLink}\n${date.toUTCString().toLowerCase()}\n\n`;
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(text).digest('base64');
  return { 'x-ms-version': '2020-07-15', 'x-ms-date': date.toUTCString(), authorization: encodeURIComponent(`type=master&ver=1.0&sig=${sig}`) };
}

/** The header the SDK sends for `aadCredentials` (ClientContext: `type=aad&ver=1.0&sig=<token>`, not URL-encoded). */
export async function aadHeaders(emulator: CosmosEmulator, principal: LocalPrincipal): Promise<Record<string, string>> {
  const scope = `${emulator.endpoint.replace(/\/$/, '')}/.default`;
  const { token } = await new LocalEmulatorCredential(principal).getToken(scope);
  return { 'x-ms-version': '2020-07-15', Accept: 'application/json', authorization: `type=aad&ver=1.0&sig=${token}` };
}

/** Status, Cosmos error code and substatus of a rejected SDK call (fails the test when it resolves). */
export async function cosmosError(p: Promise<unknown>): Promise<{ code: number | undefined; substatus: number | undefined; body: { code?: string; message?: string } | undefined; message: string; headers: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; substatus?: number; body?: { code?: string; message?: string }; message?: string; headers?: Record<string, unknown> };
    return { code: err.code, substatus: err.substatus, body: err.body, message: err.message ?? '', headers: err.headers ?? {} };
  }
  throw new Error('expected the call to fail');
}

/**
 * The lifecycle every emulator test file shares: the dev certificate (read once) and what a test opened — emulators
 * and clients — closed after it.
 */
export function useCosmosTestLife(): { readonly cert: DevCertificate; readonly open: Array<{ close(): Promise<void> } | CosmosClient> } {
  let cert: DevCertificate | null = null;
  const open: Array<{ close(): Promise<void> } | CosmosClient> = [];
  beforeAll(async () => {
    cert = await devCert();
  });
  afterEach(async () => {
    for (const x of open.splice(0)) {
      if ('dispose' in x) x.dispose();
      else await x.close();
    }
  });
  return {
    get cert(): DevCertificate {
      if (cert === null) throw new Error('useCosmosTestLife(): read cert inside a test');
      return cert;
    },
    open,
  };
}
