// ARM SQL failures as typed errors. Callers branch on the class and `retryable`, never on SDK shapes:
//   ArmSqlGeoReplicationError  a partner lacks the key material / the key protects the geo-primary (fix the order);
//   ArmSqlKeyAccessError       the SQL server cannot use the key (permissions, disabled, expired, vault unreachable);
//   ArmSqlThrottledError       429, with retryAfterMs;
//   ArmSqlUnauthenticatedError 401 from ARM itself (our token), ArmSqlForbiddenError 403 (our RBAC);
//   ArmSqlNotFoundError        server or server key missing; ArmSqlError anything else (incl. network, status null).
// ARM reports a refusal either on the request (RestError) or, for a long-running write, through the async
// operation, which core-lro turns into a plain Error "The long-running operation has failed. <code>. <message>";
// both end up here with the same code. Safe to log: status, code and one line of the service's text, with anything
// token-like removed — never the SDK error (its request holds the Authorization header) nor a body.
import { isRestError } from '@azure/core-rest-pipeline';
import { retryAfterMsOf, safeLine } from '../azure/restErrors.js';

export interface ArmSqlCallSite {
  /** Server name or resource id. */
  readonly server: string;
  readonly operation: string;
}

export interface ArmSqlDetails {
  readonly status: number | null;
  readonly code: string | null;
  readonly retryable: boolean;
  /** First line of the service's message, sanitised. */
  readonly detail: string;
  /** Where the failure was reported: the HTTP response, the async operation's status, or our own input check. */
  readonly via: 'response' | 'async-operation' | 'network' | 'input';
}

export class ArmSqlError extends Error {
  readonly server: string;
  readonly operation: string;
  readonly status: number | null;
  readonly code: string | null;
  readonly retryable: boolean;
  readonly detail: string;
  readonly via: ArmSqlDetails['via'];

  constructor(at: ArmSqlCallSite, d: ArmSqlDetails) {
    super(`ARM SQL ${at.operation} on ${at.server} failed: ${d.status ?? 'no status'}${d.code ? ` ${d.code}` : ''}${d.detail ? ` — ${d.detail}` : ''}`);
    this.name = new.target.name;
    this.server = at.server;
    this.operation = at.operation;
    this.status = d.status;
    this.code = d.code;
    this.retryable = d.retryable;
    this.detail = d.detail;
    this.via = d.via;
  }
}

export class ArmSqlGeoReplicationError extends ArmSqlError {}
export class ArmSqlKeyAccessError extends ArmSqlError {}
export class ArmSqlUnauthenticatedError extends ArmSqlError {}
export class ArmSqlForbiddenError extends ArmSqlError {}
export class ArmSqlNotFoundError extends ArmSqlError {}

export class ArmSqlThrottledError extends ArmSqlError {
  constructor(
    at: ArmSqlCallSite,
    d: ArmSqlDetails,
    /** From Retry-After (seconds) or retry-after-ms; null when the service gave neither. */
    readonly retryAfterMs: number | null,
  ) {
    super(at, d);
  }
}

// Codes of the REST reference and troubleshooting docs (azure-formats.md §7.1.4) with their documented status, used
// when the code arrives through an async operation (which has no HTTP status of its own).
const DOCUMENTED_STATUS: Readonly<Record<string, number>> = {
  KeyMaterialNotFoundOnRemoteServer: 400,
  SameKeyMaterialNotFoundOnRemoteServer: 400,
  SameKeyUriNotFoundOnRemoteServer: 400,
  AzureKeyVaultKeyUsedOnGeoPrimary: 400,
  PerDatabaseCMKAKVKeyMaterialMissingOnGeoSecondary: 400,
  SecurityInvalidAzureKeyVaultRecoveryLevel: 400,
  AkvHostNotResolvingFromNode: 400,
  SecurityAdalPrincipalCertExpiredError: 400,
  AzureKeyVaultRsaKeyNotSupported: 400,
  AzureKeyVaultInvalidExpirationDate: 400,
  AzureKeyVaultMalformedVaultUri: 400,
  InvalidKeyName: 400,
  InvalidKeyType: 400,
  AzureKeyVaultKeyDisabled: 401,
  AzureKeyVaultNoServerIdentity: 401,
  AzureKeyVaultMissingPermissions: 401,
  AdalGenericError: 401,
  AdalServicePrincipalNotFound: 401,
  ServerKeyNotFound: 404,
  ServerKeyDoesNotExists: 409,
  AzureKeyVaultKeyNameNotFound: 409,
  AzureKeyVaultKeyInUse: 409,
  AzureKeyVaultConnectionFailed: 503,
  AzureKeyVaultGenericConnectionError: 503,
};

const GEO_CODES = new Set([
  'KeyMaterialNotFoundOnRemoteServer',
  'SameKeyMaterialNotFoundOnRemoteServer',
  'SameKeyUriNotFoundOnRemoteServer',
  'AzureKeyVaultKeyUsedOnGeoPrimary',
  'PerDatabaseCMKAKVKeyMaterialMissingOnGeoSecondary',
]);

/** Codes about SQL's own access to the key in Key Vault (not about our caller identity). */
const KEY_ACCESS = /^(AzureKeyVault|Adal|SecurityAdal|AkvHost|SecurityInvalidAzureKeyVault|SecurityAzureKeyVault)/;

/** Transient whatever their status: the vault was unreachable, or another operation held the server [inferred names for the latter]. */
const RETRYABLE_CODES = new Set(['AzureKeyVaultConnectionFailed', 'AzureKeyVaultGenericConnectionError', 'ConflictingServerOperation', 'OperationInProgress', 'AnotherOperationInProgress']);

const NOT_FOUND_CODES = new Set(['ServerKeyNotFound', 'ServerKeyDoesNotExists', 'ResourceNotFound', 'ResourceGroupNotFound', 'SubscriptionDoesNotHaveServer']);

const LRO_FAILURE = /^The long-running operation has failed\.\s+([A-Za-z0-9_.-]+)\.\s*(.*)$/s;

function isRetryable(status: number | null, code: string | null): boolean {
  if (code && RETRYABLE_CODES.has(code)) return true;
  return status === 408 || status === 429 || (status !== null && status >= 500);
}

function classify(at: ArmSqlCallSite, d: Omit<ArmSqlDetails, 'retryable'>, retryAfterMs: number | null): ArmSqlError {
  const full: ArmSqlDetails = { ...d, retryable: isRetryable(d.status, d.code) };
  const { status, code } = d;
  if (code && GEO_CODES.has(code)) return new ArmSqlGeoReplicationError(at, full);
  if (code && KEY_ACCESS.test(code)) return new ArmSqlKeyAccessError(at, full);
  if (status === 429) return new ArmSqlThrottledError(at, full, retryAfterMs);
  if (status === 401) return new ArmSqlUnauthenticatedError(at, full);
  if (status === 403) return new ArmSqlForbiddenError(at, full);
  if (status === 404 || (code && NOT_FOUND_CODES.has(code))) return new ArmSqlNotFoundError(at, full);
  return new ArmSqlError(at, full);
}

/** Translates whatever an @azure/arm-sql call threw. */
export function toArmSqlError(err: unknown, at: ArmSqlCallSite): ArmSqlError {
  if (err instanceof ArmSqlError) return err;
  if (isRestError(err)) {
    const status = err.statusCode ?? null;
    // No status: the request never got an answer (ECONNREFUSED, reset, timeout): worth another try.
    if (status === null) return new ArmSqlError(at, { status: null, code: err.code ?? null, retryable: true, detail: safeLine(err.message, 600), via: 'network' });
    return classify(at, { status, code: err.code ?? null, detail: safeLine(err.message, 600), via: 'response' }, retryAfterMsOf(err));
  }
  const message = err instanceof Error ? err.message : String(err);
  const lro = LRO_FAILURE.exec(message);
  if (lro?.[1]) {
    const code = lro[1];
    return classify(at, { status: DOCUMENTED_STATUS[code] ?? null, code, detail: safeLine(lro[2], 600), via: 'async-operation' }, null);
  }
  return new ArmSqlError(at, { status: null, code: err instanceof Error ? err.name : null, retryable: false, detail: safeLine(message, 600), via: 'network' });
}
