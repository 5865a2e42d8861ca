// Stands in for the SQL servers and Cosmos accounts of the local demo: each member identity reads its key at an
// interval, as Azure SQL re-checks its protector. After an access change the next read is denied, and the
// emulator's audit record of that denial is what keysteward detects — the same path as production.
import { KeyClient } from '@azure/keyvault-keys';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { localPolicies } from '../../adapters/azure/localNetwork.js';
import type { Estate } from '../../domain/estate/model.js';
import type { KeyVaultEmulator } from '../../emulators/keyvault/index.js';

export interface Traffic {
  /** One read by every member now (tests call it instead of waiting for the interval). */
  tick(): Promise<void>;
  stop(): void;
}

export function simulateMemberTraffic(kv: KeyVaultEmulator, estate: Estate, everyMs: number): Traffic {
  const readers = estate.protectors.flatMap((p) =>
    p.members
      .filter((m) => m.principalId)
      .map((m) => ({
        keyName: p.keyName,
        client: new KeyClient(kv.vaultUrl(m.vault), new LocalEmulatorCredential({ oid: m.principalId as string, mirid: m.resourceId }), {
          additionalPolicies: localPolicies(),
          retryOptions: { maxRetries: 0 },
        }),
      })),
  );
  const tick = async (): Promise<void> => {
    // A denial is the point of the exercise: it lands in the audit log; nothing to handle here.
    await Promise.all(readers.map((r) => r.client.getKey(r.keyName).catch(() => undefined)));
  };
  const timer = everyMs > 0 ? setInterval(() => void tick(), everyMs) : null;
  timer?.unref();
  return { tick, stop: () => timer && clearInterval(timer) };
}
