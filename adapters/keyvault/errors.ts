// Key Vault failures as typed errors. Callers branch on the class (and `denial`), never on SDK shapes:
//   KeyVaultForbiddenError (403, with why: rbac / access_policy / firewall / disabled / expired / other),
//   KeyVaultNotFoundError (404), KeyVaultThrottledError (429, with retryAfterMs), KeyVaultUnauthenticatedError (401),
//   KeyVaultError (anything else, incl. network failures; status null).
// Safe to log (DESIGN.md §8 I8): they keep status, codes and the first line of the service's text only — never the
// SDK's RestError (whose request holds the Authorization header) nor any request or response body.
import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import { retryAfterMsOf, safeLine } from '../azure/restErrors.js';
import type { DenialReason } from '../../domain/events/keyEvent.js';
import { classifyDenial } from '../../domain/normalise/denial.js';
import { parseServiceError, type ErrorBodies } from './errorBodies.js';

export interface KeyVaultCallSite {
  readonly vault: string;
  readonly operation: string;
}

interface Details {
  readonly status: number | null;
  readonly code: string | null;
  readonly innerCode: string | null;
  /** First line of the service's message, with anything token-like removed. */
  readonly detail: string;
}

export class KeyVaultError extends Error {
  readonly vault: string;
  readonly operation: string;
  readonly status: number | null;
  readonly code: string | null;
  readonly innerCode: string | null;
  readonly detail: string;

  constructor(at: KeyVaultCallSite, d: Details, summary?: string) {
    const codes = [d.code, d.innerCode].filter((c) => c !== null).join('/');
    super(`Key Vault ${at.operation} on vault ${at.vault} failed: ${d.status ?? 'no response'}${codes ? ` ${codes}` : ''}${summary ? ` (${summary})` : ''}${d.detail ? ` — ${d.detail}` : ''}`);
    this.name = new.target.name;
    this.vault = at.vault;
    this.operation = at.operation;
    this.status = d.status;
    this.code = d.code;
    this.innerCode = d.innerCode;
    this.detail = d.detail;
  }
}

export class KeyVaultForbiddenError extends KeyVaultError {
  constructor(
    at: KeyVaultCallSite,
    d: Details,
    readonly denial: DenialReason,
  ) {
    super(at, d, denial);
  }
}

export class KeyVaultNotFoundError extends KeyVaultError {}

export class KeyVaultUnauthenticatedError extends KeyVaultError {}

export class KeyVaultThrottledError extends KeyVaultError {
  constructor(
    at: KeyVaultCallSite,
    d: Details,
    /** From Retry-After (seconds) or retry-after-ms; null when the service gave neither. */
    readonly retryAfterMs: number | null,
  ) {
    super(at, d, retryAfterMs !== null ? `retry after ${retryAfterMs} ms` : undefined);
  }
}

// Inner codes seen on Key Vault 403s (azure-formats.md §4.5) and what they mean. ForbiddenByPolicy is used both for
// access-policy denials and for refused operations, so it is read from the text instead.
const INNER_DENIALS: Readonly<Record<string, DenialReason>> = {
  ForbiddenByRbac: 'rbac',
  AccessDenied: 'access_policy',
  ForbiddenByFirewall: 'firewall',
  KeyDisabled: 'disabled',
  KeyExpired: 'expired',
  KeyNotYetValid: 'expired',
};

/** The service's error body: the SDK's deserialised `details`, else the raw body text, else what ErrorBodies kept. */
function serviceErrorOf(err: RestError, bodies: ErrorBodies | undefined): { innerCode: string | null; message: string } {
  const details = err.details as { error?: { message?: unknown; innerError?: { code?: unknown } } } | undefined;
  if (details?.error) {
    const inner = details.error.innerError?.code;
    return { innerCode: typeof inner === 'string' ? inner : null, message: typeof details.error.message === 'string' ? details.error.message : err.message };
  }
  const kept = parseServiceError(err.response?.bodyAsText ?? undefined) ?? bodies?.of(err);
  return kept ? { innerCode: kept.innerCode, message: kept.message || err.message } : { innerCode: null, message: err.message };
}

/** Translates whatever a Key Vault SDK call threw. `bodies`: the client's ErrorBodies policy, when it has one. */
export function toKeyVaultError(err: unknown, at: KeyVaultCallSite, bodies?: ErrorBodies): KeyVaultError {
  if (err instanceof KeyVaultError) return err;
  if (!isRestError(err)) {
    const e = err instanceof Error ? err : new Error(String(err));
    return new KeyVaultError(at, { status: null, code: e.name, innerCode: null, detail: safeLine(e.message, 300) });
  }
  const status = err.statusCode ?? null;
  const { innerCode, message } = serviceErrorOf(err, bodies);
  const d: Details = { status, code: err.code ?? null, innerCode, detail: safeLine(message, 300) };
  switch (status) {
    case 401:
      return new KeyVaultUnauthenticatedError(at, d);
    case 403:
      return new KeyVaultForbiddenError(at, d, (innerCode && INNER_DENIALS[innerCode]) || classifyDenial({ status, text: message, rbacAuthorized: undefined, accessPolicyMatch: undefined }));
    case 404:
      return new KeyVaultNotFoundError(at, d);
    case 429:
      return new KeyVaultThrottledError(at, d, retryAfterMsOf(err));
    default:
      return new KeyVaultError(at, d);
  }
}
