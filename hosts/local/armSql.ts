// The ARM SQL emulator for the local stack: every sql-tde member as a server, geo partners linked, each geo-group a
// failover group named after its protector (so a failover can be simulated through the SDK), each server's
// protector and server keys set to the versions seeded in the vaults (as a real estate starts), and SQL's key
// check answered by the Key Vault emulator — with the server's own identity, and the material's thumbprint so
// the geo rule compares material, not URIs. Its activity-log records go to `onActivity`.
import { KeyClient } from '@azure/keyvault-keys';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { localPolicies } from '../../adapters/azure/localNetwork.js';
import { rsaThumbprint } from '../../adapters/keyvault/thumbprint.js';
import { parseKeyUri } from '../../domain/keyRef.js';
import type { Estate } from '../../domain/estate/model.js';
import { startArmSqlEmulator } from '../../emulators/armsql/index.js';
import type { ActivityRecord, ArmEmulator } from '../../emulators/arm/index.js';
import type { KeyVaultEmulator } from '../../emulators/keyvault/index.js';
import type { DevCertificate } from '../../emulators/certs.js';
import type { SeededVersions } from './seed.js';

export async function startLocalArmSql(kv: KeyVaultEmulator, estate: Estate, seeded: SeededVersions, cert: DevCertificate, onActivity?: (records: readonly ActivityRecord[]) => void): Promise<ArmEmulator> {
  const kid = (vault: string, key: string, version: string): string => `${kv.vaultUrl(vault).replace(/\/$/, '')}/keys/${key}/${version}`;
  const servers = estate.protectors
    .filter((p) => p.kind === 'sql-tde')
    .flatMap((p) => {
      const versions = seeded.get(p.id) ?? new Map<string, string>();
      const primary = p.members.find((m) => m.role === 'primary');
      return p.members.map((m) => {
        const own = versions.get(m.vault);
        return {
          resourceId: m.resourceId,
          ...(m.principalId ? { principalId: m.principalId } : {}),
          role: m.role === 'primary' ? ('Primary' as const) : ('Secondary' as const),
          ...(m.role === 'primary' ? { partners: p.members.filter((x) => x !== m).map((x) => x.resourceId) } : primary ? { partners: [primary.resourceId] } : {}),
          // Each server holds the key of its own region's vault; geo partners hold identical material in theirs.
          ...(own ? { keys: [kid(m.vault, p.keyName, own)], protector: kid(m.vault, p.keyName, own) } : {}),
        };
      });
    });
  const failoverGroups = estate.protectors.filter((p) => p.kind === 'sql-tde' && p.members.length > 1).map((p) => ({ name: p.id, servers: p.members.map((m) => m.resourceId) }));
  return startArmSqlEmulator({
    tls: { cert: cert.certPem, key: cert.keyPem },
    servers,
    failoverGroups,
    ...(onActivity ? { onActivity } : {}),
    keyExists: async (uri, caller) => {
      const ref = parseKeyUri(uri);
      if (!ref?.version || !caller.principalId) return { usable: false, reason: 'not_found' };
      const client = new KeyClient(kv.vaultUrl(ref.vault), new LocalEmulatorCredential({ oid: caller.principalId, mirid: caller.server }), { additionalPolicies: localPolicies(), retryOptions: { maxRetries: 0 } });
      try {
        const key = await client.getKey(ref.key, { version: ref.version });
        if (key.properties.enabled === false) return { usable: false, reason: 'disabled' };
        return key.key?.n && key.key.e ? { usable: true, thumbprint: rsaThumbprint({ n: key.key.n, e: key.key.e }) } : true;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        return { usable: false, reason: status === 403 ? 'forbidden' : status === 404 ? 'not_found' : 'unreachable' };
      }
    },
  });
}
