// Shape check for a stored ProtectorSnapshot. Events are checked for the fields every KeyEvent has and a known
// kind; their per-kind fields were validated when the event was normalised and are kept as written.
import { z } from 'zod';
import type { KeyEventKind } from '../../domain/events/keyEvent.js';
import type { ProtectorSnapshot } from '../../domain/health/snapshot.js';

// A Record over the union makes the compiler flag a kind added to KeyEvent but not here.
const KINDS: Record<KeyEventKind, true> = {
  'key-access': true,
  'key-version-created': true,
  'key-attributes-changed': true,
  'key-deleted': true,
  'key-purged': true,
  'key-recovered': true,
  'key-near-expiry': true,
  'key-expired': true,
  'vault-config': true,
  'vault-deleted': true,
  'vault-recovered': true,
  'vault-purged': true,
  'access-policy-changed': true,
  'role-assignment': true,
  'sql-protector-set': true,
  'sql-server-key': true,
  'sql-database-state': true,
  'identity-removed': true,
  'sql-server-write': true,
  'sql-geo-change': true,
  'cosmos-account-write': true,
};

const eventSchema = z.looseObject({
  id: z.string(),
  source: z.enum(['keyvault-audit', 'activity-log', 'event-grid']),
  time: z.number(),
  operation: z.string(),
  kind: z.string().refine((k) => Object.hasOwn(KINDS, k), { message: 'unknown event kind' }),
});

const snapshotSchema = z.object({
  v: z.literal(1),
  protectorId: z.string(),
  events: z.array(eventSchema),
  successes: z.record(z.string(), z.array(z.number())),
});

/** The snapshot, or a short description of what is wrong with it. */
export function parseSnapshot(value: unknown): { ok: true; snapshot: ProtectorSnapshot } | { ok: false; error: string } {
  const parsed = snapshotSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  // The value itself, not zod's copy: a load returns exactly what was saved (same key order, same extra fields).
  // The schema checked the common fields; the rest of each event is the normalised form written by this service.
  return { ok: true, snapshot: value as ProtectorSnapshot };
}
