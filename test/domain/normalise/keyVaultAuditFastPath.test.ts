// The plain-record shortcut of the audit normaliser (it skips zod's copy when every field already has the type the
// schema would give) must never change a result: for any record — well-formed, oddly typed, or broken — it
// normalises exactly as the schema-only path does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseAuditRecord, normaliseAuditRecordBySchema } from '../../../domain/normalise/keyVaultAudit.js';

const LONG_OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const V = '0123456789abcdef0123456789abcdef';

/** A field as Azure writes it, or as something that is not quite it. */
const odd = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.boolean(), fc.string({ maxLength: 8 }), fc.constant({}), fc.constant([]), fc.constant('200'));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: odd });

const record = fc.record(
  {
    time: maybe(fc.constantFrom('2026-03-03T03:00:01.1234567Z', '2026-03-03T03:00:01Z', 'yesterday')),
    operationName: maybe(fc.constantFrom('KeyUnwrap', 'KeyGet', 'KeyUpdate', 'VaultPatch', 'KeyCreate', 'SecretGet', 'KeyDelete')),
    correlationId: maybe(fc.constantFrom('A1B2C3D4-0000-4000-8000-000000000001', 'x')),
    resultDescription: maybe(fc.constantFrom('Caller is not authorized to perform action on resource.', 'Operation returned an invalid status code \'Forbidden\'', 'Key not found')),
    resourceId: maybe(fc.constant('/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-A')),
    identity: maybe(
      fc.record({ claim: maybe(fc.record({ oid: maybe(fc.constant('5E2A7C1D-8F3B-4A6E-B9D0-1C2E3F4A5B6C')), [LONG_OID]: maybe(fc.constant('6f3b8d2e-9a4c-4b7f-8ae1-2d3f4a5b6c7d')), xms_mirid: maybe(fc.constant('/subscriptions/s/resourcegroups/rg/providers/Microsoft.Sql/servers/sql-a')) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
    ),
    properties: maybe(
      fc.record(
        {
          id: maybe(fc.constantFrom(`https://kv-a.vault.azure.net/keys/k/${V}`, 'https://kv-a.vault.azure.net/keys/k', 'https://kv-a.vault.azure.net/')),
          requestUri: maybe(fc.constantFrom(`https://kv-a.vault.azure.net/keys/k/${V}/unwrapkey?api-version=7.4`, 'https://kv-a.vault.azure.net/?api-version=7.4')),
          httpStatusCode: maybe(fc.constantFrom(200, 401, 403, 404, 429, 500)),
          isRbacAuthorized: maybe(fc.boolean()),
          isAccessPolicyMatch: maybe(fc.boolean()),
          keyProperties: maybe(fc.record({ attributes: maybe(fc.record({ enabled: maybe(fc.boolean()), exp: maybe(fc.integer({ min: 1_700_000_000, max: 1_900_000_000 })) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
          properties: maybe(fc.record({ enableSoftDelete: maybe(fc.boolean()), enablePurgeProtection: maybe(fc.boolean()) }, { requiredKeys: [] })),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

describe('normaliseAuditRecord plain-record shortcut', () => {
  it('gives exactly the schema path\'s result for any record', () => {
    fc.assert(
      fc.property(record, (raw) => {
        expect(normaliseAuditRecord(raw)).toEqual(normaliseAuditRecordBySchema(raw));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes non-objects and arrays to the schema too', () => {
    for (const raw of [null, 7, 'x', [], [{}]]) expect(normaliseAuditRecord(raw)).toEqual(normaliseAuditRecordBySchema(raw));
  });
});
