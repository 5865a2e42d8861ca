// One ARM request → one response, in the order Azure Resource Manager applies its checks: the bearer token (ARM has
// no challenge round: the SDK's bearerTokenAuthenticationPolicy sends the token on the first request), the
// api-version (any value is accepted), the route, the caller's access to the subscription, then throttling — a
// request answered 429 still counts as a call — and finally the resource provider.
import { readLocalToken } from '../../adapters/azure/localCredential.js';
import type { CallCounter } from './calls.js';
import { ArmError, invalidToken, missingApiVersion, missingAuthorization, noRoute } from './errors.js';
import { failure, type ArmRequest, type ArmResponse } from './http.js';
import type { ArmProvider } from './provider.js';
import type { SubscriptionRegistry } from './subscriptions.js';
import type { ArmThrottle } from './throttle.js';

export interface FrontDoorDeps {
  readonly providers: readonly ArmProvider[];
  readonly subscriptions: SubscriptionRegistry;
  readonly throttle: ArmThrottle;
  readonly calls: CallCounter;
}

export type IncomingArmRequest = Omit<ArmRequest, 'caller'>;

function callerOf(authorization: string | undefined): string {
  if (!authorization || !/^Bearer\s/i.test(authorization)) throw missingAuthorization();
  const claims = readLocalToken(authorization);
  if (!claims) throw invalidToken();
  return typeof claims['oid'] === 'string' ? claims['oid'] : '';
}

export async function handleArmRequest(d: FrontDoorDeps, incoming: IncomingArmRequest): Promise<ArmResponse> {
  try {
    const caller = callerOf(incoming.authorization);
    if (!incoming.url.searchParams.get('api-version')) throw missingApiVersion();
    const req: ArmRequest = { ...incoming, caller };
    let call = null;
    for (const p of d.providers) {
      call = p.route(req);
      if (call) break;
    }
    if (!call) throw noRoute(req.method, req.url.pathname);
    if (call.subscriptionId !== null) d.subscriptions.authorize(call.subscriptionId, caller, call.action);
    const admission = d.throttle.admit(call.subscriptionId, req.method);
    d.calls.record(call.operation, admission.throttled !== null);
    if (admission.throttled) return failure(admission.throttled, admission.headers);
    const res = await call.run();
    return { ...res, headers: { ...admission.headers, ...res.headers } };
  } catch (e) {
    if (e instanceof ArmError) return failure(e);
    throw e;
  }
}
