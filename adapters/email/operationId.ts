// ACS takes an `Operation-Id` header as the idempotency key of a send, and the SDK insists it is a UUID
// (core-client serialises it as type Uuid and throws otherwise). A name-based UUID of the alert key makes every
// retry of one transition carry the same id, so a send retried after a timeout is not a second email (I7).
import { createHash } from 'node:crypto';

/** RFC 9562 version-8 UUID from SHA-256 of a namespace and the key (the RFC's name-based SHA-256 example). */
export function operationIdForKey(key: string): string {
  const bytes = createHash('sha256').update('keysteward.alert\u0000').update(key, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
