// PartitionKey/RowKey encoding. Table Storage forbids `/ \ # ?` and control characters (U+0000–U+001F,
// U+007F–U+009F) in keys and caps them at 1 KiB; ids such as ARM resource ids or alert keys can contain them.
import { createHash } from 'node:crypto';

// eslint-disable-next-line no-control-regex
const ILLEGAL = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
const ESCAPE = '~';
/** Well below the 1 KiB key limit, whatever the UTF-16 length of the characters. */
const MAX_PLAIN_CHARS = 255;

/**
 * A legal key for `value`: the value itself when it is legal, short and does not start with `~`; otherwise
 * `~` + its SHA-256 hex. Injective in practice (plain keys never start with `~`); the readable value is stored
 * as a property beside the key and checked on read.
 */
export function encodeKey(value: string): string {
  const plain = value !== '' && value.length <= MAX_PLAIN_CHARS && !value.startsWith(ESCAPE) && !ILLEGAL.test(value) && value.trim() === value;
  return plain ? value : ESCAPE + createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * A RowKey part that sorts numerically: a non-negative safe integer zero-padded to `width` digits. Anything else
 * (negative, fractional, unsafe) still gets a legal, distinct key after all padded numbers, so it is never lost.
 */
export function sortableNumber(n: number, width: number): string {
  return Number.isSafeInteger(n) && n >= 0 && String(n).length <= width ? String(n).padStart(width, '0') : `~${String(n)}`;
}
