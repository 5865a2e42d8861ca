// Builds `AuditEvent` records exactly as Key Vault writes them (azure-formats.md §1.1–§1.4): field order, 7-digit
// fractional time, resultType "Success" whatever the status, reason-phrase resultSignature, upper-case resourceId,
// durationMs as a string, short claim names. Inputs are metadata only: no bodies, tokens or key material.
import { HSM_PLATFORM, SOFTWARE_PLATFORM, type KeyVersion } from './store.js';
import type { AuditKeyProperties, AuditProperties, AuditRecord } from './types.js';

const REASON_PHRASES: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

export const reasonPhrase = (status: number): string => REASON_PHRASES[status] ?? String(status);

/** `2026-03-02T14:05:11.4820000Z`: Key Vault writes 7 fractional digits; the emulator's clock has ms. */
export function auditTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

// Data-plane records carry the token's claims under their short names, in this order (observed records).
const CLAIMS = ['oid', 'appid', 'appidacr', 'idtyp', 'xms_mirid', 'upn', 'scp', 'ipaddr', 'unique_name'] as const;

function claimsOf(claims: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of CLAIMS) {
    const v = claims[name];
    if (typeof v === 'string') out[name] = v;
  }
  out.xms_az_nwperimid = [];
  return out;
}

export function keyProperties(v: KeyVersion): AuditKeyProperties {
  return {
    type: v.kty,
    size: v.material.size,
    operations: [...v.keyOps],
    attributes: {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      hsmPlatform: v.kty === 'RSA-HSM' ? HSM_PLATFORM : SOFTWARE_PLATFORM,
    },
  };
}

export interface AuditInput {
  readonly timeMs: number;
  readonly operationName: string;
  readonly status: number;
  /** Error text (CRLF is written as LF, as in real records). */
  readonly description?: string;
  readonly correlationId: string;
  readonly callerIpAddress: string;
  /** Null for unauthenticated requests: the record then has no identity. */
  readonly claims: Readonly<Record<string, unknown>> | null;
  readonly id?: string;
  readonly clientInfo: string;
  readonly requestUri: string;
  /** Set once the authorization check ran. */
  readonly authorization?: { readonly rbac: boolean; readonly authorized: boolean; readonly assignmentId?: string };
  readonly trustedService?: string;
  readonly key?: KeyVersion;
  readonly tlsVersion: string;
  readonly resourceId: string;
  readonly operationVersion: string;
  readonly durationMs: number;
}

function propertiesOf(i: AuditInput): AuditProperties {
  const p: Record<string, unknown> = {};
  if (i.id !== undefined) p.id = i.id;
  p.clientInfo = i.clientInfo;
  p.httpStatusCode = i.status;
  p.requestUri = i.requestUri;
  const a = i.authorization;
  if (a) {
    if (a.rbac) p.isRbacAuthorized = a.authorized;
    else p.isAccessPolicyMatch = a.authorized;
    if (a.rbac && a.authorized && a.assignmentId) p.appliedAssignmentId = a.assignmentId;
  }
  if (i.trustedService !== undefined) p.trustedService = i.trustedService;
  if (i.key) p.keyProperties = keyProperties(i.key);
  p.tlsVersion = i.tlsVersion;
  return p as unknown as AuditProperties;
}

export function buildAuditRecord(i: AuditInput): AuditRecord {
  const r: Record<string, unknown> = {};
  r.time = auditTime(i.timeMs);
  r.category = 'AuditEvent';
  r.operationName = i.operationName;
  r.resultType = 'Success';
  if (i.description !== undefined) r.resultDescription = i.description.replace(/\r\n/g, '\n');
  r.correlationId = i.correlationId;
  r.callerIpAddress = i.callerIpAddress;
  if (i.claims) r.identity = { claim: claimsOf(i.claims) };
  r.properties = propertiesOf(i);
  r.resourceId = i.resourceId.toUpperCase();
  r.operationVersion = i.operationVersion;
  r.resultSignature = reasonPhrase(i.status);
  r.durationMs = String(Math.max(0, Math.round(i.durationMs)));
  return r as unknown as AuditRecord;
}
