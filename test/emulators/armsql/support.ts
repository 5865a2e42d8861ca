// Shared set-up for the ARM SQL emulator and adapter tests: the emulator on the dev certificate, the real
// SqlManagementClient with LocalEmulatorCredential, and the geo pair of azure-formats.md (sql-orders-eus primary,
// sql-orders-wus secondary, each with its own vault).
import { SqlManagementClient } from '@azure/arm-sql';
import { isRestError, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { LocalEmulatorCredential, type LocalPrincipal } from '../../../adapters/azure/localCredential.js';
import { localPolicies } from '../../../adapters/azure/localNetwork.js';
import { DEFAULT_CERT_DIR, ensureDevCertificate, type DevCertificate } from '../../../emulators/certs.js';
import { startArmSqlEmulator, type ArmSqlEmulator, type ArmSqlEmulatorOptions } from '../../../emulators/armsql/index.js';
import { httpsRequest } from '../../support/https.js';

export const SUB = '3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f';
export const RG = 'rg-data-prod';
export const serverId = (name: string): string => `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Sql/servers/${name}`;
export const PRIMARY = serverId('sql-orders-eus');
export const SECONDARY = serverId('sql-orders-wus');

/** The rotation automation's service principal. */
export const AUTOMATION: LocalPrincipal = { oid: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', appid: '2f4e6a8c-0b1d-4e3f-a5b7-c9d1e3f5a7b9' };

export const OLD = '6f1c2d3e4a5b46c7889900aabbccddee';
export const NEW_EUS = '0a9b8c7d6e5f40312233445566778899';
/** Identical material imported into the secondary's vault gets its own version id. */
export const NEW_WUS = '1b2c3d4e5f60718293a4b5c6d7e8f901';
export const kid = (vault: string, version: string, key = 'sql-tde-protector'): string => `https://${vault}.vault.azure.net/keys/${key}/${version}`;
export const EUS = 'kv-cmk-prod-eus';
export const WUS = 'kv-cmk-prod-wus';

export const devCert = (): Promise<DevCertificate> => ensureDevCertificate(DEFAULT_CERT_DIR);

type Policies = Array<{ policy: PipelinePolicy; position: 'perCall' }>;

function nodeTrusts(cert: DevCertificate): boolean {
  const extra = process.env['NODE_EXTRA_CA_CERTS'];
  try {
    return !!extra && readFileSync(extra, 'utf8').includes(cert.certPem.trim());
  } catch {
    return false;
  }
}

const loopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/**
 * localPolicies() when Node trusts the dev certificate (how the tests are run); else an agent that trusts it and,
 * like localPolicies(), resolves `*.vault.localhost` to loopback.
 */
export function sdkPolicies(cert: DevCertificate): Policies {
  if (nodeTrusts(cert)) return localPolicies();
  const agent = new Agent({ ca: cert.certPem, keepAlive: true, lookup: loopback });
  return [{ policy: { name: 'testDevCa', sendRequest: (req, next) => ((req.agent = agent), next(req)) }, position: 'perCall' }];
}

/** Key material per kid: the new versions in both vaults are one material; the old one another. */
export const THUMBPRINTS: ReadonlyMap<string, string> = new Map([
  [kid(EUS, OLD), 'tp-old'],
  [kid(WUS, OLD), 'tp-old'],
  [kid(EUS, NEW_EUS), 'tp-new'],
  [kid(WUS, NEW_WUS), 'tp-new'],
]);

/** The geo pair with the old protector in place; keys outside THUMBPRINTS do not exist. */
export async function startGeoPair(cert: DevCertificate, o: Partial<Omit<ArmSqlEmulatorOptions, 'tls'>> = {}): Promise<ArmSqlEmulator> {
  return startArmSqlEmulator({
    tls: { cert: cert.certPem, key: cert.keyPem },
    servers: [
      { resourceId: PRIMARY, principalId: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c', partners: [SECONDARY], keys: [kid(EUS, OLD), kid(WUS, OLD)], protector: kid(EUS, OLD) },
      { resourceId: SECONDARY, principalId: '6f3b8d2e-9a4c-4b7f-8e1d-2d3f4a5b6c7d', location: 'westus', keys: [kid(EUS, OLD), kid(WUS, OLD)], protector: kid(WUS, OLD) },
    ],
    keyExists: (k) => {
      const thumbprint = THUMBPRINTS.get(k);
      return thumbprint ? { usable: true, thumbprint } : false;
    },
    ...o,
  });
}

/** A client with the SDK's retries off (tests see each answer), unless `maxRetries` says otherwise. */
export function sqlClient(em: ArmSqlEmulator, cert: DevCertificate, o: { principal?: LocalPrincipal; maxRetries?: number } = {}): SqlManagementClient {
  return new SqlManagementClient(new LocalEmulatorCredential(o.principal ?? AUTOMATION), SUB, {
    endpoint: em.endpoint,
    additionalPolicies: sdkPolicies(cert),
    retryOptions: { maxRetries: o.maxRetries ?? 0 },
  });
}

export interface CaughtRestError {
  readonly statusCode: number | undefined;
  readonly code: string | undefined;
  readonly message: string;
}

/** The RestError a call rejects with (fails the test when it resolves or throws something else). */
export async function restError(p: Promise<unknown>): Promise<CaughtRestError> {
  try {
    await p;
  } catch (e) {
    if (isRestError(e)) return { statusCode: e.statusCode, code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a RestError');
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: unknown;
}

/** A bare HTTPS request (no SDK), to see what ARM answers without a token or api-version. */
export async function rawRequest(cert: DevCertificate, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const r = await httpsRequest(cert, url, init);
  return { status: r.status, headers: r.headers, json: r.text ? (JSON.parse(r.text) as unknown) : null };
}

export async function bearer(): Promise<string> {
  return `Bearer ${(await new LocalEmulatorCredential(AUTOMATION).getToken('https://management.azure.com/.default')).token}`;
}
