// A generated estate served for `keysteward discover`: the ARM emulator with the topology's resources (paged, with
// ARM's token buckets and a 429 on every ninth read) and the Key Vault emulator holding its keys, discovery's identity
// granted only get and getrotationpolicy; and the environment the binary runs with against them (local mode).
import { startArmEmulator, type ArmEmulator } from '../../emulators/arm/index.js';
import { generateTopology, startTopologyKeyVault, type GeneratedTopology, type TopologyOptions } from '../../emulators/arm/topology/index.js';
import type { DevCertificate } from '../../emulators/certs.js';
import type { KeyVaultEmulator } from '../../emulators/keyvault/index.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../../hosts/composition.js';
import { sdkPolicies } from '../emulators/armsql/support.js';

export interface DiscoveryStack {
  readonly arm: ArmEmulator;
  readonly keyVault: KeyVaultEmulator;
  /** Vault and key URIs pointing at the Key Vault emulator. */
  readonly topology: GeneratedTopology;
  /** The whole environment of a `keysteward discover` child process. */
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startDiscoveryStack(cert: DevCertificate, o: TopologyOptions, serve: { pageSize: number; retryAfterSeconds?: number }): Promise<DiscoveryStack> {
  const tls = { cert: cert.certPem, key: cert.keyPem };
  const { keyVault, topology } = await startTopologyKeyVault(generateTopology(o), {
    tls,
    additionalPolicies: sdkPolicies(cert),
    // Reader of keys and rotation policies, nothing cryptographic: what the README asks for.
    grants: [{ principalId: LOCAL_SERVICE_PRINCIPAL.oid, permissions: ['get', 'getrotationpolicy'] }],
  });
  const throttling = { rejectEveryNthRead: 9, ...(serve.retryAfterSeconds !== undefined ? { retryAfterSeconds: serve.retryAfterSeconds } : {}) };
  const arm = await startArmEmulator({ ...topology.arm, tls, pageSize: serve.pageSize, throttling });
  return {
    arm,
    keyVault,
    topology,
    env: { NODE_EXTRA_CA_CERTS: process.env['NODE_EXTRA_CA_CERTS'] ?? '', KEYSTEWARD_MODE: 'local', ARM_ENDPOINT: arm.endpoint },
    close: async () => {
      await arm.close();
      await keyVault.close();
    },
  };
}
