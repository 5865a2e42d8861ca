// Local mode only: emulated vaults live at https://<vault>.vault.localhost:<port>/ so that, as in Azure, the
// vault name is the first label of every kid. `*.localhost` does not resolve through the system resolver here,
// so SDK clients get an https.Agent that resolves it to loopback. Production clients never get this policy.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent } from 'node:https';

const loopbackLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options.all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dnsLookup(hostname, options, callback);
};

export const localAgent = new Agent({ keepAlive: true, lookup: loopbackLookup });

/** Pipeline policy giving every request the loopback-resolving agent. */
export const localNetworkPolicy: PipelinePolicy = {
  name: 'keystewardLocalNetwork',
  sendRequest: (request, next) => {
    request.agent = localAgent;
    return next(request);
  },
};

export function localPolicies(): Array<{ policy: PipelinePolicy; position: 'perCall' }> {
  return [{ policy: localNetworkPolicy, position: 'perCall' }];
}
