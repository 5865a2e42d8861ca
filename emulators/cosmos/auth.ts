// Who is calling. The `authorization` header is `type=master&ver=1.0&sig=<base64 HMAC-SHA256>` URL-encoded (what
// @azure/cosmos utils/headers.js sends for `key`), or `type=aad&ver=1.0&sig=<JWT>` (ClientContext.js sets it
// unencoded for `aadCredentials`). The master signature is the documented one ("Access control on Cosmos DB
// resources"): HMAC-SHA256, keyed with the base64-decoded account key, over
//   lower(verb) \n lower(resourceType) \n resourceLink \n lower(x-ms-date) \n "" \n
// The signed date must be within 15 minutes of the server's time. The AAD token is a LocalEmulatorCredential JWT (adapters/azure/localCredential.ts): its `oid` names the principal.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readLocalToken } from '../../adapters/azure/localCredential.js';
import { dateOutOfRange, invalidAadToken, invalidDate, macMismatch, malformedAuthorization, missingAuthorization, missingDate, unsupportedTokenType, wrongAudience } from './errors.js';

export type Caller = { readonly kind: 'master' } | { readonly kind: 'aad'; readonly oid: string };

export interface AuthInput {
  readonly method: string;
  readonly authorization: string | undefined;
  /** `x-ms-date`, else `date`. */
  readonly date: string | undefined;
  readonly resourceType: string;
  readonly resourceLink: string;
}

export interface AuthEnv {
  readonly masterKey: Buffer;
  /** The account's own audience (endpoint without the trailing slash), besides https://cosmos.azure.com. */
  readonly audience: string;
  /** Real time (epoch ms) for the date window; not the emulator's test clock, since clients sign with real time. */
  readonly wallClock: () => number;
}

/** How far a signed `x-ms-date` may be from the server's time. */
export const DATE_WINDOW_MS = 15 * 60_000;

const COSMOS_AUDIENCE = 'https://cosmos.azure.com';

export function stringToSign(verb: string, resourceType: string, resourceLink: string, date: string): string {
  return `${verb.toLowerCase()}\n${resourceType.toLowerCase()}\n${resourceLink}\n${date.toLowerCase()}\n\n`;
}

/** The base64 signature of the documented algorithm. */
export function masterSignature(key: Buffer, verb: string, resourceType: string, resourceLink: string, date: string): string {
  return createHmac('sha256', key).update(stringToSign(verb, resourceType, resourceLink, date)).digest('base64');
}

function fieldsOf(header: string): Map<string, string> | null {
  let text: string;
  try {
    text = decodeURIComponent(header);
  } catch {
    return null;
  }
  const fields = new Map<string, string>();
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    fields.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
  return fields;
}

function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'base64');
  const b = Buffer.from(expected, 'base64');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** The caller, or throws the CosmosError Cosmos answers with (401; 403 for a date outside the window). Never puts the token or signature in an error. */
export function authenticate(input: AuthInput, env: AuthEnv): Caller {
  if (!input.authorization) throw missingAuthorization();
  const fields = fieldsOf(input.authorization);
  const type = fields?.get('type')?.toLowerCase();
  const sig = fields?.get('sig');
  if (!fields || !type || !sig || !fields.has('ver')) throw malformedAuthorization();
  if (type === 'master') {
    if (!input.date) throw missingDate();
    const signedAt = Date.parse(input.date);
    if (Number.isNaN(signedAt)) throw invalidDate();
    const now = env.wallClock();
    if (Math.abs(now - signedAt) > DATE_WINDOW_MS) throw dateOutOfRange(new Date(signedAt).toUTCString(), new Date(now).toUTCString());
    const expected = masterSignature(env.masterKey, input.method, input.resourceType, input.resourceLink, input.date);
    if (!sameSignature(sig, expected)) throw macMismatch(stringToSign(input.method, input.resourceType, input.resourceLink, input.date));
    return { kind: 'master' };
  }
  if (type === 'aad') {
    const claims = readLocalToken(`Bearer ${sig}`);
    if (!claims || typeof claims.oid !== 'string' || claims.oid === '') throw invalidAadToken();
    const aud = typeof claims.aud === 'string' ? claims.aud.replace(/\/$/, '') : '';
    if (aud !== env.audience && aud !== COSMOS_AUDIENCE) throw wrongAudience(aud, env.audience);
    return { kind: 'aad', oid: claims.oid.toLowerCase() };
  }
  throw unsupportedTokenType(type);
}
