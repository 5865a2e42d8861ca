// Request bodies: a database `{id}`; a CEK `{id, encryptionAlgorithm, keyWrapMetadata {type,name,value,algorithm},
// wrappedDataEncryptionKey}` (base64), as Database.createClientEncryptionKey / rewrapClientEncryptionKey send it.
// Texts: the missing-properties and invalid-id forms are [observed] for documents; the others [inferred].
import { badRequest, type CosmosError } from './errors.js';
import type { CekContent } from './store.js';
import type { CekWrapMetadata } from './types.js';

const MAX_ID = 255;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
}

const missing = (names: readonly string[]): CosmosError =>
  badRequest(`The input content is invalid because the required properties - '${names.map((n) => `${n}; `).join('')}' - are missing`);

/** Cosmos ids: 1–255 characters, none of / \ ? #, not ending in a space. */
export function validId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID && !/[/\\?#]/.test(id) && !id.endsWith(' ');
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('The request body must be a JSON object.');
  return value as Record<string, unknown>;
}

function idOf(o: Record<string, unknown>): string {
  if (o['id'] === undefined || o['id'] === null) throw missing(['id']);
  if (!validId(o['id'])) throw badRequest(`The input name '${String(o['id'])}' is invalid. Ensure to provide a unique non-empty string less than '${MAX_ID}' characters.`);
  return o['id'];
}

export function parseDatabaseBody(value: unknown): { id: string } {
  return { id: idOf(asObject(value)) };
}

export function parseCekBody(value: unknown): { id: string; content: CekContent } {
  const o = asObject(value);
  const id = idOf(o);
  const absent = ['encryptionAlgorithm', 'keyWrapMetadata', 'wrappedDataEncryptionKey'].filter((k) => o[k] === undefined || o[k] === null);
  if (absent.length > 0) throw missing(absent);
  const algorithm = o['encryptionAlgorithm'];
  if (typeof algorithm !== 'string' || algorithm === '') throw badRequest("'encryptionAlgorithm' must be a non-empty string.");
  const wrapped = o['wrappedDataEncryptionKey'];
  if (typeof wrapped !== 'string' || wrapped === '' || !BASE64.test(wrapped)) throw badRequest("'wrappedDataEncryptionKey' must be a non-empty base64 string.");
  return { id, content: { encryptionAlgorithm: algorithm, keyWrapMetadata: wrapMetadataOf(o['keyWrapMetadata']), wrapped: Buffer.from(wrapped, 'base64') } };
}

function wrapMetadataOf(value: unknown): CekWrapMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest("'keyWrapMetadata' must be an object.");
  const m = value as Record<string, unknown>;
  const fields = ['type', 'name', 'value', 'algorithm'] as const;
  const bad = fields.filter((f) => typeof m[f] !== 'string' || m[f] === '');
  if (bad.length > 0) throw badRequest(`'keyWrapMetadata' needs non-empty strings for: ${bad.join(', ')}.`);
  return { type: m['type'] as string, name: m['name'] as string, value: m['value'] as string, algorithm: m['algorithm'] as string };
}
