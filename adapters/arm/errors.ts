// Failed ARM reads (subscriptions, SQL, Cosmos DB, Key Vault management) as one typed error, and the translation of a
// read into discovery's Read<T> (app/discovery/ports.ts):
//   ArmReadError          any answer ARM gave (status, code, one sanitised line, retryAfterMs for 429) or no answer
//                         (status null: the network) — discovery records it as a gap and goes on;
//   ArmCredentialError    no token could be had for ARM at all (DefaultAzureCredential found no credential, the
//                         sign-in failed) — every read would fail the same way, so the run stops with that one line.
// Safe to log: never the SDK's RestError (its request holds the Authorization header) nor any body.
import { isRestError } from '@azure/core-rest-pipeline';
import type { Read } from '../../app/discovery/ports.js';
import { retryAfterMsOf, safeLine } from '../azure/restErrors.js';

export interface ArmReadSite {
  /** The scope read: a subscription or resource id. */
  readonly scope: string;
  /** The SDK operation, e.g. `servers.list`. */
  readonly operation: string;
}

export class ArmReadError extends Error {
  constructor(
    readonly at: ArmReadSite,
    readonly status: number | null,
    readonly code: string | null,
    readonly detail: string,
    /** From Retry-After on a 429 that outlasted the SDK's retries. */
    readonly retryAfterMs: number | null,
  ) {
    super(`ARM ${at.operation} on ${at.scope} failed: ${status ?? 'no response'}${code ? ` ${code}` : ''}${detail ? ` — ${detail}` : ''}`);
    this.name = 'ArmReadError';
  }

  /** The gap's reason: status, code and the service's line (the scope is the gap's own field). */
  get reason(): string {
    return `${this.status ?? 'no response'}${this.code ? ` ${this.code}` : ''}${this.detail ? ` — ${this.detail}` : ''}`;
  }
}

export class ArmCredentialError extends Error {
  override readonly name = 'ArmCredentialError';
}

/** @azure/identity's errors for a token it could not get (names, to avoid importing the credential's internals). */
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

export const isCredentialError = (err: unknown): boolean => err instanceof Error && CREDENTIAL_ERRORS.has(err.name);

/** Translates whatever an ARM SDK call threw; credential failures and defects are rethrown, not typed. */
export function toArmReadError(err: unknown, at: ArmReadSite): ArmReadError {
  if (err instanceof ArmReadError) return err;
  if (isCredentialError(err)) throw new ArmCredentialError(`cannot get a token for Azure Resource Manager: ${safeLine((err as Error).message, 300)}`);
  if (!isRestError(err)) throw err;
  const status = err.statusCode ?? null;
  return new ArmReadError(at, status, err.code ?? null, safeLine(err.message, 300), status === 429 ? retryAfterMsOf(err) : null);
}

/** One ARM read as discovery wants it: the value, or a refusal with its reason. */
export async function armRead<T>(at: ArmReadSite, fn: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, reason: toArmReadError(err, at).reason };
  }
}
