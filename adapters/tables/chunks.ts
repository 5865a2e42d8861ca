// Long text split across string properties. Table Storage limits a string property to 64 KiB of UTF-16
// (32 K characters; Azurite refuses more than 32,768) and an entity to 1 MiB, so a long value becomes
// `<prefix>0..<prefix>N` plus a count, and the whole entity's size is checked before writing.

/** Characters per property: 60,000 bytes of UTF-16, under the 64 KiB property limit with room to spare. */
export const CHUNK_CHARS = 30_000;
/** Table Storage's entity limit (both Azure and Azurite). */
export const MAX_ENTITY_BYTES = 1024 * 1024;
/** Kept free for system properties and any estimate error. */
const SAFETY_BYTES = 4 * 1024;

/** Splits `text` into chunks of at most `size` UTF-16 units, never between the two halves of a surrogate pair. */
export function splitText(text: string, size = CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    // A lone surrogate is not valid UTF-16 text: the service may reject or mangle it, so keep pairs together.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

/** `{ p0: ..., p1: ... }` and the count; an empty text is zero chunks. */
export function toChunkProperties(prefix: string, text: string): { properties: Record<string, string>; count: number } {
  const parts = splitText(text);
  const properties: Record<string, string> = {};
  parts.forEach((part, i) => (properties[`${prefix}${i}`] = part));
  return { properties, count: parts.length };
}

/** Joins `<prefix>0..<prefix>(count-1)`; null when the count is not a non-negative integer or a chunk is missing. */
export function fromChunkProperties(entity: Readonly<Record<string, unknown>>, prefix: string, count: unknown): string | null {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return null;
  let text = '';
  for (let i = 0; i < count; i++) {
    const part = entity[`${prefix}${i}`];
    if (typeof part !== 'string') return null;
    text += part;
  }
  return text;
}

/** Truncates to at most `max` UTF-16 units without splitting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/**
 * The larger of two sizes, each of which a backend enforces: Azure's documented entity size (UTF-16 strings:
 * 4 + 2·len(PartitionKey + RowKey) + Σ(8 + 2·len(name) + value)), and Azurite's (UTF-8 bytes of the JSON
 * request body, escapes included). Real Azure refuses far earlier than Azurite for ASCII text.
 */
export function entityBytes(partitionKey: string, rowKey: string, properties: Readonly<Record<string, string | number | boolean>>): number {
  let azure = 4 + 2 * (partitionKey.length + rowKey.length);
  let body = Buffer.byteLength(JSON.stringify({ PartitionKey: partitionKey, RowKey: rowKey }), 'utf8');
  for (const [name, value] of Object.entries(properties)) {
    azure += 8 + 2 * name.length + (typeof value === 'string' ? 4 + 2 * value.length : typeof value === 'boolean' ? 1 : 8);
    body += Buffer.byteLength(JSON.stringify({ [name]: value }), 'utf8');
  }
  return Math.max(azure, body);
}

/** True when an entity of this size may be written. */
export function fitsInEntity(bytes: number): boolean {
  return bytes <= MAX_ENTITY_BYTES - SAFETY_BYTES;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * JSON with every non-ASCII character written as a \uXXXX escape: the stored text is then plain ASCII, so its
 * size is the same in UTF-8 and UTF-16, and no multi-byte sequence can be split wherever a transport cuts the
 * body (Azurite 3.35 corrupted an 'é' that straddled a body chunk). JSON.parse reads it back unchanged.
 */
export function asciiJson(value: unknown, replacer?: (key: string, value: unknown) => unknown): string {
  return JSON.stringify(value, replacer).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
