// How to simulate a failover on the local ARM emulator by hand: the request @azure/arm-sql's
// `failoverGroups.beginFailover` sends (POST on the secondary that becomes primary), with a bearer token of the demo
// operator (an unsigned local token: the emulators' only kind). `npm start` prints it as a curl command; the tests
// send the same request. The token is no secret: it is unsigned, only the local emulators accept it, and anyone on
// the machine can mint the same; nothing in Azure would.
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { LOCAL_ADMIN } from './seed.js';

/** The api-version @azure/arm-sql 10 sends for a failover group failover. */
const FAILOVER_API_VERSION = '2020-11-01-preview';

export interface FailoverRequest {
  readonly url: string;
  readonly authorization: string;
  /** The same as a curl command line. */
  readonly curl: string;
}

/** A planned failover of failover group `group` to `newPrimary` (a server resource id). */
export async function failoverRequest(armEndpoint: string, newPrimary: string, group: string): Promise<FailoverRequest> {
  const token = await new LocalEmulatorCredential(LOCAL_ADMIN).getToken('https://management.azure.com/.default');
  const url = `${armEndpoint.replace(/\/$/, '')}${newPrimary}/failoverGroups/${group}/failover?api-version=${FAILOVER_API_VERSION}`;
  const authorization = `Bearer ${token.token}`;
  return { url, authorization, curl: `curl -sk -X POST '${url}' -H 'authorization: ${authorization}' -H 'content-length: 0'` };
}
