// Shared set-up for the Key Vault emulator and adapter tests: the emulator on the dev certificate, and real SDK
// clients (KeyClient, CryptographyClient) with LocalEmulatorCredential and localPolicies().
import { isRestError, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { CryptographyClient, KeyClient, type JsonWebKey, type KeyVaultKey } from '@azure/keyvault-keys';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { LocalEmulatorCredential, type LocalPrincipal } from '../../../adapters/azure/localCredential.js';
import { localPolicies } from '../../../adapters/azure/localNetwork.js';
import { DEFAULT_CERT_DIR, ensureDevCertificate, type DevCertificate } from '../../../emulators/certs.js';
import { startKeyVaultEmulator, type KeyVaultEmulator, type KeyVaultEmulatorOptions } from '../../../emulators/keyvault/index.js';
import { afterEach, beforeAll } from 'vitest';

export const TENANT = '7d3f1c2a-5b4e-4c6d-9a8b-0e1f2a3b4c5d';

/** The rotation automation (full rights in the tests' vaults). */
export const ADMIN: LocalPrincipal = { oid: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', appid: '2f4e6a8c-0b1d-4e3f-a5b7-c9d1e3f5a7b9', tenantId: TENANT };

/** A SQL server's system-assigned managed identity. */
export const SQL: LocalPrincipal = {
  oid: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c',
  appid: '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  mirid: '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourcegroups/rg-data-prod/providers/Microsoft.Sql/servers/sql-orders-eus',
  tenantId: TENANT,
};

export const devCert = (): Promise<DevCertificate> => ensureDevCertificate(DEFAULT_CERT_DIR);

type Policies = Array<{ policy: PipelinePolicy; position: 'perCall' }>;

const loopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/** Whether Node was started trusting the dev certificate. Being set is not enough: some machines point
 * NODE_EXTRA_CA_CERTS at the system bundle. */
function nodeTrusts(cert: DevCertificate): boolean {
  const extra = process.env['NODE_EXTRA_CA_CERTS'];
  if (!extra) return false;
  try {
    return readFileSync(extra, 'utf8').includes(cert.certPem.trim());
  } catch {
    return false;
  }
}

/**
 * localPolicies() — the project's local network policy — when Node trusts the dev certificate through
 * NODE_EXTRA_CA_CERTS (how the brief runs the tests). A runner without it (`npm test` does not set it) gets an
 * equivalent agent that also trusts the certificate, so the tests still go through the real SDK over HTTPS.
 */
export function sdkPolicies(cert: DevCertificate): Policies {
  if (nodeTrusts(cert)) return localPolicies();
  const agent = new Agent({ ca: cert.certPem, lookup: loopback, keepAlive: true });
  return [{ policy: { name: 'testLocalNetworkWithDevCa', sendRequest: (req, next) => ((req.agent = agent), next(req)) }, position: 'perCall' }];
}

export async function startEmulator(cert: DevCertificate, o: Omit<KeyVaultEmulatorOptions, 'tls'>): Promise<KeyVaultEmulator> {
  return startKeyVaultEmulator({ tls: { cert: cert.certPem, key: cert.keyPem }, tenantId: TENANT, ...o });
}

/** The dev certificate (read once) and an emulator per test, closed after it: call the getters inside tests. */
export function useEmulatorPerTest(): { cert(): DevCertificate; start(o: Omit<KeyVaultEmulatorOptions, 'tls'>): Promise<KeyVaultEmulator> } {
  let cert: DevCertificate | null = null;
  let current: KeyVaultEmulator | null = null;
  beforeAll(async () => {
    cert = await devCert();
  });
  afterEach(async () => {
    await current?.close();
    current = null;
  });
  const certOf = (): DevCertificate => {
    if (!cert) throw new Error('useEmulatorPerTest(): call the getters inside a test');
    return cert;
  };
  return {
    cert: certOf,
    start: async (o) => (current = await startEmulator(certOf(), o)),
  };
}

// Fresh options per client: the SDK's CryptographyClient mutates the options object it is given
// (remoteCryptographyProvider.js appends its user-agent prefix), so a shared object grows on every client.
export function keyClient(emulator: KeyVaultEmulator, vault: string, principal: LocalPrincipal, cert: DevCertificate): KeyClient {
  return new KeyClient(emulator.vaultUrl(vault), new LocalEmulatorCredential(principal), { additionalPolicies: sdkPolicies(cert) });
}

export function cryptoClient(key: KeyVaultKey | string, principal: LocalPrincipal, cert: DevCertificate): CryptographyClient {
  return new CryptographyClient(key, new LocalEmulatorCredential(principal), { additionalPolicies: sdkPolicies(cert) });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A bare HTTPS request (no SDK), e.g. to see the 401 challenge itself or to call the admin API. */
export function rawRequest(cert: DevCertificate, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca: cert.certPem, lookup: loopback }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export const adminUrl = (emulator: KeyVaultEmulator, path: string): string => `https://localhost:${emulator.port}${path}`;

/** An RSA private key as the SDK's JsonWebKey (Uint8Array members), for importKey. */
export function rsaJwk(bits = 2048): JsonWebKey {
  const jwk = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ format: 'jwk' });
  const b = (v: string | undefined): Uint8Array => Buffer.from(v ?? '', 'base64url');
  return { kty: 'RSA', n: b(jwk.n), e: b(jwk.e), d: b(jwk.d), p: b(jwk.p), q: b(jwk.q), dp: b(jwk.dp), dq: b(jwk.dq), qi: b(jwk.qi), keyOps: ['wrapKey', 'unwrapKey'] };
}

export interface CaughtRestError {
  readonly statusCode: number | undefined;
  readonly code: string | undefined;
  readonly message: string;
  /** `error.innererror.code` of the body: the SDK puts it only in `details` (its deserialised error body). */
  readonly innerCode: string | undefined;
}

/** The RestError a call rejects with (fails the test when it resolves or throws something else). */
export async function restError(p: Promise<unknown>): Promise<CaughtRestError> {
  try {
    await p;
  } catch (e) {
    if (isRestError(e)) {
      const inner = (e.details as { error?: { innerError?: { code?: string } } } | undefined)?.error?.innerError?.code;
      return { statusCode: e.statusCode, code: e.code, message: e.message, innerCode: inner };
    }
    throw e;
  }
  throw new Error('expected a RestError');
}
