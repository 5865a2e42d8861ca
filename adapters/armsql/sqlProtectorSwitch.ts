// ProtectorSwitch over @azure/arm-sql 10: ARM server keys (api-version 2020-11-01-preview) and the encryption
// protector `current`. Both writes are long-running operations in the SDK; `…AndWait` follows Azure's
// Azure-AsyncOperation polling, and a refusal reported by the operation arrives as the same typed error as one
// reported on the PUT (errors.ts). Each write is preceded by a read so that a replayed step writes nothing.
import type { TokenCredential } from '@azure/core-auth';
import { SqlManagementClient, type SqlManagementClientOptionalParams } from '@azure/arm-sql';
import { ArmSqlError, ArmSqlNotFoundError, toArmSqlError } from './errors.js';
import { parseServerId, sameKid, serverKeyNameOf, type SqlServerRef } from './keyIds.js';
import type { ProtectorState, ProtectorSwitch } from './protectorSwitch.js';

export interface ProtectorSwitchOptions {
  readonly credential: TokenCredential;
  /** Default: the subscription of each server's resource id. When set, servers of other subscriptions are refused. */
  readonly subscriptionId?: string;
  /** Default `https://management.azure.com`; locally the ARM SQL emulator's endpoint. */
  readonly endpoint?: string;
  /** Local mode: `localPolicies()`. */
  readonly additionalPolicies?: SqlManagementClientOptionalParams['additionalPolicies'];
  /** The SDK's own retries of 408/429/5xx and network errors (default 3). The rotation queue also retries. */
  readonly maxRetries?: number;
  /** Interval between async-operation polls when ARM gives no Retry-After. Default the SDK's (2 s). */
  readonly pollIntervalMs?: number;
}

const ARM = 'https://management.azure.com';
const CURRENT = 'current';

export function createProtectorSwitch(o: ProtectorSwitchOptions): ProtectorSwitch {
  const endpoint = (o.endpoint ?? ARM).replace(/\/+$/, '');
  const clients = new Map<string, SqlManagementClient>();
  const lro = o.pollIntervalMs !== undefined ? { updateIntervalInMs: o.pollIntervalMs } : {};

  const target = (server: string): { ref: SqlServerRef; client: SqlManagementClient } => {
    const ref = parseServerId(server);
    if (o.subscriptionId && o.subscriptionId.toLowerCase() !== ref.subscriptionId.toLowerCase()) {
      const detail = `server is in subscription ${ref.subscriptionId}, this switch serves ${o.subscriptionId}`;
      throw new ArmSqlError({ server: ref.name, operation: 'resolve server' }, { status: null, code: 'SubscriptionMismatch', retryable: false, detail, via: 'input' });
    }
    const sub = ref.subscriptionId.toLowerCase();
    let client = clients.get(sub);
    if (!client) {
      client = new SqlManagementClient(o.credential, ref.subscriptionId, {
        endpoint,
        ...(o.additionalPolicies ? { additionalPolicies: o.additionalPolicies } : {}),
        ...(o.maxRetries !== undefined ? { retryOptions: { maxRetries: o.maxRetries } } : {}),
      });
      clients.set(sub, client);
    }
    return { ref, client };
  };

  const call = async <T>(ref: SqlServerRef, operation: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toArmSqlError(err, { server: ref.name, operation });
    }
  };

  const getProtector = async (server: string): Promise<ProtectorState> => {
    const { ref, client } = target(server);
    const p = await call(ref, 'encryptionProtectors.get', () => client.encryptionProtectors.get(ref.resourceGroup, ref.name, CURRENT));
    const akv = (p.serverKeyType ?? '').toLowerCase() === 'azurekeyvault';
    return { serverKeyName: p.serverKeyName ?? '', kid: p.uri ?? null, serverKeyType: akv ? 'AzureKeyVault' : 'ServiceManaged' };
  };

  const hasServerKey = async (server: string, kid: string): Promise<boolean> => {
    const { ref, client } = target(server);
    const keyName = serverKeyNameOf(kid, ref.name);
    try {
      const key = await call(ref, 'serverKeys.get', () => client.serverKeys.get(ref.resourceGroup, ref.name, keyName));
      return key.uri !== undefined && sameKid(key.uri, kid);
    } catch (err) {
      // A missing key is an answer; a missing server is not (ARM says ResourceNotFound / SubscriptionDoesNotHaveServer).
      if (err instanceof ArmSqlNotFoundError && err.code === 'ServerKeyNotFound') return false;
      throw err;
    }
  };

  return {
    getProtector,
    hasServerKey,
    addServerKey: async (server, kid) => {
      if (await hasServerKey(server, kid)) return;
      const { ref, client } = target(server);
      const keyName = serverKeyNameOf(kid, ref.name);
      await call(ref, 'serverKeys.createOrUpdate', () =>
        client.serverKeys.beginCreateOrUpdateAndWait(ref.resourceGroup, ref.name, keyName, { serverKeyType: 'AzureKeyVault', uri: kid }, lro),
      );
    },
    setProtector: async (server, kid) => {
      const { ref, client } = target(server);
      const keyName = serverKeyNameOf(kid, ref.name);
      const current = await getProtector(server);
      if (current.serverKeyType === 'AzureKeyVault' && current.serverKeyName.toLowerCase() === keyName.toLowerCase()) return;
      await call(ref, 'encryptionProtectors.createOrUpdate', () =>
        client.encryptionProtectors.beginCreateOrUpdateAndWait(
          ref.resourceGroup,
          ref.name,
          CURRENT,
          { serverKeyType: 'AzureKeyVault', serverKeyName: keyName, autoRotationEnabled: false },
          lro,
        ),
      );
    },
  };
}
