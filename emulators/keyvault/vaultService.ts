// One vault's request pipeline, in Key Vault's order: authentication (401 challenge) → firewall → injected faults →
// throttling → authorization → the operation. Every request ends in exactly one audit record, whatever its outcome.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { readLocalToken } from '../../adapters/azure/localCredential.js';
import { AccessControl, assignmentId, firewall, firewallDenial, policyDenial, rbacDenial, type Caller } from './access.js';
import { buildAuditRecord, type AuditInput } from './audit.js';
import { badParameter, KvError, MISSING_TOKEN, throttled } from './errors.js';
import type { OpResult, Target } from './operation.js';
import { costOf, HANDLERS } from './operations.js';
import { parseRoute, type Route } from './routes.js';
import type { VaultState } from './store.js';
import { VaultThrottle, type ResolvedLimits } from './throttle.js';
import type { InjectedFaults } from './faults.js';
import type { AuditRecord } from './types.js';

/** The challenge resource: request hosts (`<vault>.vault.localhost`) end with `.vault.localhost`, so the SDK's
 * challenge resource verification passes without `disableChallengeResourceVerification`. */
export const CHALLENGE_RESOURCE = 'https://vault.localhost';
const AUDIENCES = new Set([CHALLENGE_RESOURCE, 'https://vault.azure.net']);

export interface VaultRequest {
  readonly method: string;
  /** Host header as received (with the port). */
  readonly host: string;
  /** Request target as received (raw path and query, e.g. `/keys/k/?api%2Dversion=2025-07-01`). */
  readonly rawUrl: string;
  readonly authorization: string | undefined;
  readonly userAgent: string;
  readonly clientRequestId: string | undefined;
  readonly callerIp: string;
  readonly tlsVersion: string;
  readonly body: Buffer;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
}

export interface VaultResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface ServiceEnv {
  readonly tenantId: string;
  readonly limits: ResolvedLimits;
  readonly clock: () => number;
  readonly newVersionId: () => string;
  readonly trustedServiceOf: (oid: string) => string | undefined;
  /** Appends the record to the log and hands it to onAudit, before the response is written. */
  readonly record: (record: AuditRecord) => void;
  /** Injected 429/5xx storms and latency, shared by every vault of the emulator. */
  readonly faults?: InjectedFaults;
}

/** What the pipeline learned about a request, for its audit record. */
interface Trace {
  caller: Caller | null;
  authorization?: AuditInput['authorization'];
  trustedService?: string;
  result?: OpResult;
  /** The key version the operation acted on, even when it then refused (from OpResult.target or ctx.resolved). */
  target?: Target;
}

export class VaultService {
  readonly access = new AccessControl();
  private readonly throttle: VaultThrottle;

  constructor(
    readonly state: VaultState,
    private readonly env: ServiceEnv,
  ) {
    this.throttle = new VaultThrottle(env.limits);
  }

  async handle(req: VaultRequest): Promise<VaultResponse> {
    const timeMs = this.env.clock();
    const url = new URL(req.rawUrl, `https://${req.host}`);
    // URLSearchParams decodes the SDK's `api%2Dversion` (azure-formats.md §4.1).
    const apiVersion = url.searchParams.get('api-version') ?? '';
    const route = parseRoute(req.method, url.pathname);
    const trace: Trace = { caller: null };
    let status: number;
    let body: unknown;
    let extraHeaders: Readonly<Record<string, string>> = {};
    let description: string | undefined;
    try {
      const result = await this.process(req, url, apiVersion, route, timeMs, trace);
      trace.result = result;
      if (result.target) trace.target = result.target;
      status = result.status;
      body = result.body;
    } catch (e) {
      const err = e instanceof KvError ? e : new KvError(500, 'InternalServerError', 'The Key Vault emulator failed to process the request.');
      status = err.status;
      body = err.body();
      extraHeaders = err.headers;
      description = err.message;
    }
    this.env.record(
      buildAuditRecord({
        timeMs,
        operationName: route?.operation ?? 'Unknown',
        status,
        ...(description !== undefined ? { description } : {}),
        correlationId: req.clientRequestId ?? '',
        callerIpAddress: req.callerIp,
        claims: trace.caller?.claims ?? null,
        ...this.auditId(route, trace.target),
        clientInfo: req.userAgent,
        requestUri: `https://${req.host}${req.rawUrl}`,
        ...(trace.authorization ? { authorization: trace.authorization } : {}),
        ...(trace.trustedService !== undefined ? { trustedService: trace.trustedService } : {}),
        ...(trace.target ? { key: trace.target.version } : {}),
        tlsVersion: req.tlsVersion,
        resourceId: this.state.config.resourceId,
        operationVersion: apiVersion,
        durationMs: performance.now() - req.startedAt,
      }),
    );
    return { status, headers: { ...this.headers(req), ...extraHeaders }, ...(body !== undefined ? { body } : {}) };
  }

  private async process(req: VaultRequest, url: URL, apiVersion: string, route: Route | null, nowMs: number, trace: Trace): Promise<OpResult> {
    const caller = this.authenticate(req.authorization);
    trace.caller = caller;
    if (!route) throw new KvError(400, 'BadParameter', `The request ${req.method} ${url.pathname} is not an operation the Key Vault emulator serves.`);
    if (!apiVersion) throw badParameter('The api-version query parameter is missing.');

    const wall = firewall(this.state.config, this.env.trustedServiceOf(caller.oid));
    if (!wall.allowed) throw firewallDenial(this.state.config, caller, req.callerIp);
    if (wall.trustedService !== undefined) trace.trustedService = wall.trustedService;

    const fault = this.env.faults?.take(this.state.config.name);
    if (fault?.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    if (fault?.error) throw fault.error;

    const body = parseBody(req.body);
    const wait = this.throttle.take(nowMs, costOf(this.env.limits, this.state, route, body));
    if (!wait.ok) throw throttled(Math.max(1, Math.ceil(wait.retryAfterMs / 1000)));

    const rbac = this.state.config.rbac;
    const authorized = this.access.allows(caller.oid, route.permission);
    trace.authorization = { rbac, authorized, ...(rbac && authorized ? { assignmentId: assignmentId(this.state.config.name, caller.oid) } : {}) };
    if (!authorized) throw rbac ? rbacDenial(this.state.config, caller, route) : policyDenial(this.state.config, caller, route);

    const resolved = (target: Target): void => {
      trace.target = target;
    };
    return HANDLERS[route.operation]({ vault: this.state, route, body, url, apiVersion, nowMs, newVersionId: this.env.newVersionId, resolved });
  }

  /** The first request of every SDK client carries no token: answer with the challenge (azure-formats.md §4.6). */
  private authenticate(authorization: string | undefined): Caller {
    const claims = readLocalToken(authorization);
    const challenge = (message: string): KvError =>
      new KvError(401, 'Unauthorized', message, undefined, {
        'WWW-Authenticate': `Bearer authorization="https://login.microsoftonline.com/${this.env.tenantId}", resource="${CHALLENGE_RESOURCE}"`,
      });
    if (!authorization) throw challenge(MISSING_TOKEN);
    // [inferred] AKV100xx codes for a token the emulator cannot read or that names another audience.
    if (!claims || typeof claims.oid !== 'string' || claims.oid === '') throw challenge('AKV10013: Invalid token: the emulator accepts LocalEmulatorCredential tokens only.');
    if (typeof claims.aud !== 'string' || !AUDIENCES.has(claims.aud)) throw challenge(`AKV10022: Invalid audience. Expected ${CHALLENGE_RESOURCE}, found: ${String(claims.aud)}.`);
    const oid = claims.oid.toLowerCase();
    return {
      oid,
      appid: typeof claims.appid === 'string' ? claims.appid : oid,
      iss: typeof claims.iss === 'string' ? claims.iss : `https://sts.windows.net/${this.env.tenantId}/`,
      claims,
    };
  }

  /** properties.id: the kid acted on (with its version when one resolved); deletedkeys URI for deleted keys; none for lists. */
  private auditId(route: Route | null, t: Target | undefined): { id?: string } {
    if (!route?.keyName) return {};
    if (route.deleted) return { id: this.state.recoveryId(t?.key.name ?? route.keyName) };
    if (route.operation === 'KeyListVersions') return {};
    if (t) return { id: this.state.kid(t.key.name, t.version.version) };
    return { id: this.state.kid(route.keyName, route.version ? route.version : undefined) };
  }

  private headers(req: VaultRequest): Record<string, string> {
    return {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-cache',
      'x-ms-keyvault-region': this.state.config.region,
      'x-ms-request-id': randomUUID(),
      ...(req.clientRequestId ? { 'x-ms-client-request-id': req.clientRequestId } : {}),
      'x-ms-keyvault-service-version': '1.9.2',
      'x-ms-keyvault-network-info': `conn_type=Ipv4;addr=${req.callerIp};act_addr_fam=InterNetwork;`,
      'Strict-Transport-Security': 'max-age=31536000;includeSubDomains',
      'X-Content-Type-Options': 'nosniff',
    };
  }
}

function parseBody(raw: Buffer): Readonly<Record<string, unknown>> {
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badParameter('The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}
