// The stored form of the discovery record (app/drift/ports.ts): JSON, with the facts' identity Maps written as
// `{ "$map": [[key, value], …] }`, read back through a zod schema — a record that does not parse is corrupt (thrown by
// the adapter), never half-applied to the estate in use.
import { z } from 'zod';
import type { DiscoveryRecord } from '../../app/drift/ports.js';
import type { EstateOverlay } from '../../domain/discovery/drift.js';
import type { DiscoveryFacts } from '../../domain/discovery/facts.js';

/** JSON.stringify replacer: Maps as `{ $map: entries }` (the facts hold user-assigned identities in one). */
export function mapReplacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? { $map: [...(value as Map<unknown, unknown>).entries()] } : value;
}

const str = z.string();
const nullableStr = z.string().nullable();
const geoRole = z.enum(['primary', 'secondary']);

const identity = z.object({
  type: nullableStr,
  systemPrincipalId: nullableStr,
  userAssigned: z.object({ $map: z.array(z.tuple([str, nullableStr])) }).transform((m) => new Map(m.$map)),
});

const sqlServer = z.object({
  id: str,
  kind: z.enum(['server', 'managed-instance']),
  name: str,
  subscriptionId: str,
  location: nullableStr,
  identity,
  primaryUserAssignedIdentityId: nullableStr,
  protector: z.object({ keyUri: str, autoRotation: z.boolean().nullable(), serverKeyName: str }).nullable(),
  geoLinks: z.array(z.object({ partner: str, role: geoRole, partnerRole: geoRole, via: str })),
  databases: z.object({ byTier: z.record(str, z.number()), withOwnCmk: z.array(str) }),
});

const cosmosAccount = z.object({
  id: str,
  name: str,
  subscriptionId: str,
  location: nullableStr,
  identity,
  keyVaultKeyUri: nullableStr,
  defaultIdentity: nullableStr,
  documentEndpoint: nullableStr,
  clientEncryptionKeys: z.array(z.object({ database: str, id: str, keyUri: str })).nullable(),
});

const vault = z.object({
  name: str,
  id: str,
  subscriptionId: str,
  location: nullableStr,
  uri: str,
  managedHsm: z.boolean(),
  softDelete: z.boolean().nullable(),
  softDeleteRetentionDays: z.number().nullable(),
  purgeProtection: z.boolean().nullable(),
  rbac: z.boolean().nullable(),
  networkAcls: z.object({ defaultAction: z.enum(['Allow', 'Deny']), bypass: z.enum(['AzureServices', 'None']) }).nullable(),
});

const facts = z.object({
  subscriptions: z.array(str),
  sqlServers: z.array(sqlServer),
  cosmosAccounts: z.array(cosmosAccount),
  vaults: z.array(vault),
  keys: z.array(z.object({ vault: str, name: str, expires: z.boolean().nullable(), autoRotate: z.boolean().nullable() })),
  gaps: z.array(z.object({ scope: str, reason: str })),
});

const overlay = z.object({
  discoveredAt: str,
  protectors: z.record(str, z.array(z.object({ resourceId: str, role: geoRole, principalId: nullableStr }))),
});

/** The large part of the record, stored in body rows: written only when it changes. */
export const bodySchema = z.object({ facts: facts.nullable(), overlay: overlay.nullable() });

const trigger = z.object({ resourceId: str, subscription: str, change: str, time: z.number(), operation: str });
const runKind = z.enum(['full', 'targeted']);

/** The small part, stored in the head entity itself (a failed run rewrites only this). */
export const headSchema = z.object({
  seq: z.number().int().nonnegative(),
  epoch: z.string().max(64).default(''),
  gatheredAt: z.record(str, str),
  lastRun: z
    .object({
      reason: z.enum(['schedule', 'activity-log', 'start-up']),
      kind: runKind,
      subscriptions: z.array(str),
      startedAt: str,
      finishedAt: str,
      triggers: z.array(trigger),
      triggerCount: z.number().int().nonnegative(),
    })
    .nullable(),
  failure: z.object({ at: str, error: str, consecutive: z.number().int().positive(), kind: runKind, subscriptions: z.array(str) }).nullable(),
});

export type StoredBody = { readonly facts: DiscoveryFacts | null; readonly overlay: EstateOverlay | null };
export type StoredHead = Omit<DiscoveryRecord, 'facts' | 'overlay'>;

export function splitRecord(record: DiscoveryRecord): { head: StoredHead; body: StoredBody } {
  const { facts: f, overlay: o, ...head } = record;
  return { head, body: { facts: f, overlay: o } };
}

const describe = (error: z.ZodError): string => error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

export function parseBody(value: unknown): { ok: true; body: StoredBody } | { ok: false; error: string } {
  const parsed = bodySchema.safeParse(value);
  // zod's output, not the input: it turns the `$map` entries back into the Maps the facts hold.
  return parsed.success ? { ok: true, body: parsed.data as StoredBody } : { ok: false, error: describe(parsed.error) };
}

export function parseHead(value: unknown): { ok: true; head: StoredHead } | { ok: false; error: string } {
  const parsed = headSchema.safeParse(value);
  return parsed.success ? { ok: true, head: parsed.data as StoredHead } : { ok: false, error: describe(parsed.error) };
}
