// Estate file contract (DESIGN.md §4.1), validated with zod. Extensions beyond the contract are optional
// fields with defaults; nothing in the contract is reinterpreted.
import { z } from 'zod';
import { parseDuration, parseInstant } from '../time.js';

const duration = z.string().refine((s) => parseDuration(s) !== null, {
  message: 'must be an ISO-8601 duration in weeks, days, hours, minutes or seconds (e.g. PT30M, P180D)',
});

/** `exp`/`nbf`/`created` in an inventory: epoch seconds (as Key Vault writes them) or an ISO instant. */
const instant = z.union([
  z.number().int().nonnegative(),
  z.string().refine((s) => parseInstant(s) !== null, { message: 'must be an ISO-8601 instant or epoch seconds' }),
]);

const armId = z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+/i, {
  message: 'must be an ARM resource id (/subscriptions/<sub>/resourceGroups/<rg>/providers/...)',
});

const vaultName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{1,46}[a-zA-Z0-9]$/, { message: 'must be a Key Vault name (3–48 letters, digits, hyphens)' });

export const vaultPropertiesSchema = z.strictObject({
  enableSoftDelete: z.boolean().optional(),
  enablePurgeProtection: z.boolean().optional(),
  softDeleteRetentionInDays: z.number().int().min(7).max(90).optional(),
  networkAcls: z.strictObject({ defaultAction: z.enum(['Allow', 'Deny']), bypass: z.enum(['AzureServices', 'None']) }).optional(),
});

export const vaultSchema = z.strictObject({
  name: vaultName,
  region: z.string().min(1).optional(),
  resourceId: armId.optional(),
  /** Defaults to https://<name>.vault.azure.net/ */
  uri: z.url().optional(),
  /** A snapshot of vault properties, used when no live vault or audit record says otherwise. */
  properties: vaultPropertiesSchema.optional(),
});

export const memberSchema = z.strictObject({
  role: z.enum(['primary', 'secondary']),
  resourceId: armId,
  vault: vaultName,
  principalId: z.string().min(1).optional(),
});

export const rotationSchema = z.strictObject({
  every: duration,
  strategy: z.enum(['import', 'rotate']),
  keyType: z.enum(['RSA', 'RSA-HSM']).optional(),
  keySize: z.union([z.literal(2048), z.literal(3072)]).optional(),
});

/**
 * Extension for `cosmos-always-encrypted`: where its client encryption keys (the DEKs this protector's key wraps)
 * live, so a rewrap campaign and the retirement gate can scan them. Cosmos has no account-wide list: each
 * database's keys are read separately.
 */
export const alwaysEncryptedSchema = z.strictObject({
  /** The account's data-plane endpoint, e.g. https://<account>.documents.azure.com:443/ */
  endpoint: z.url(),
  databases: z.array(z.string().regex(/^[^/\\?#]{1,255}$/, { message: 'must be a Cosmos database id' })).min(1),
  /**
   * Name of the app setting holding the account key (in a Function App, a Key Vault reference). Azure Cosmos DB
   * refuses client-encryption-key writes made with an Entra ID token (azure-cosmos-dotnet-v3#5546), so a rewrap
   * needs the key; without it keysteward uses its identity, which can list the keys but not rewrap them.
   */
  keySetting: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { message: 'must be an app setting name' }).optional(),
});

export const protectorSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'must be 1–63 letters, digits, dot, underscore or hyphen' }),
  kind: z.enum(['sql-tde', 'cosmos-cmk', 'cosmos-always-encrypted']),
  keyName: z.string().regex(/^[A-Za-z0-9-]{1,127}$/, { message: 'must be a Key Vault key name' }),
  members: z.array(memberSchema).min(1),
  autohealWindow: duration.default('PT30M'),
  inaccessibleAfter: duration.default('PT10M'),
  /** How long a previous protector version stays needed by backups after it stops being current. */
  backupRetention: duration.default('P35D'),
  rotation: rotationSchema.optional(),
  alwaysEncrypted: alwaysEncryptedSchema.optional(),
});

export const inventoryVersionSchema = z.strictObject({
  version: z.string().regex(/^[0-9a-fA-F]{32}$/, { message: 'must be a 32-hex Key Vault version id' }),
  thumbprint: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { message: 'must be a base64url RFC 7638 SHA-256 thumbprint (43 chars)' }),
  enabled: z.boolean(),
  exp: instant.nullable().optional(),
  nbf: instant.nullable().optional(),
  created: instant.optional(),
  kty: z.enum(['RSA', 'RSA-HSM', 'EC', 'EC-HSM', 'oct', 'oct-HSM']).optional(),
  size: z.number().int().positive().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

export const estateSchema = z
  .strictObject({
    vaults: z.array(vaultSchema),
    protectors: z.array(protectorSchema),
    notifications: z.record(z.string(), z.unknown()).optional(),
    inventory: z.record(z.string(), z.record(z.string(), z.array(inventoryVersionSchema))).optional(),
  })
  .superRefine((estate, ctx) => {
    const vaults = new Set<string>();
    estate.vaults.forEach((v, i) => {
      const name = v.name.toLowerCase();
      if (vaults.has(name)) ctx.addIssue({ code: 'custom', path: ['vaults', i, 'name'], message: `duplicate vault "${v.name}"` });
      vaults.add(name);
    });
    const ids = new Set<string>();
    estate.protectors.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['protectors', i, 'id'], message: `duplicate protector id "${p.id}"` });
      ids.add(p.id);
      const primaries = p.members.filter((m) => m.role === 'primary').length;
      if (primaries !== 1) {
        ctx.addIssue({ code: 'custom', path: ['protectors', i, 'members'], message: `must have exactly one primary member (has ${primaries})` });
      }
      // Azure SQL allows up to four geo-secondaries per primary, without chaining.
      const secondaries = p.members.length - primaries;
      if (p.kind === 'sql-tde' && secondaries > 4) {
        ctx.addIssue({ code: 'custom', path: ['protectors', i, 'members'], message: `has ${secondaries} secondaries; Azure SQL allows at most 4` });
      }
      if (p.alwaysEncrypted && p.kind !== 'cosmos-always-encrypted') {
        ctx.addIssue({ code: 'custom', path: ['protectors', i, 'alwaysEncrypted'], message: 'is only for protectors of kind cosmos-always-encrypted' });
      }
      const seen = new Set<string>();
      p.members.forEach((m, j) => {
        if (!vaults.has(m.vault.toLowerCase())) {
          ctx.addIssue({ code: 'custom', path: ['protectors', i, 'members', j, 'vault'], message: `names vault "${m.vault}", which is not in vaults[]` });
        }
        const rid = m.resourceId.toLowerCase();
        if (seen.has(rid)) ctx.addIssue({ code: 'custom', path: ['protectors', i, 'members', j, 'resourceId'], message: 'duplicate member' });
        seen.add(rid);
      });
    });
    for (const vault of Object.keys(estate.inventory ?? {})) {
      if (!vaults.has(vault.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['inventory', vault], message: `inventory names vault "${vault}", which is not in vaults[]` });
      }
    }
  });

export type EstateInput = z.input<typeof estateSchema>;
export type EstateDoc = z.output<typeof estateSchema>;
