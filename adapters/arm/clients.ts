// What every ARM SDK client of discovery is built with (hosts/ passes the credential and endpoint as for the ARM SQL
// client), a per-subscription client cache, and the count of requests sent and throttled (the run's summary and
// `npm run bench` report them). The SDKs' own retry policy waits out a 429 for as long as Retry-After says; maxRetries
// is raised above the SDK's 3 because a full-tenant listing meets ARM's throttling as a matter of course.
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

export type AdditionalPolicies = ReadonlyArray<{ readonly policy: PipelinePolicy; readonly position: 'perCall' | 'perRetry' }>;

export interface ArmClientOptions {
  readonly credential: TokenCredential;
  /** Default `https://management.azure.com`; a sovereign cloud's, or locally the ARM emulator's. */
  readonly endpoint?: string;
  /** Local mode: `localPolicies()`. */
  readonly additionalPolicies?: AdditionalPolicies;
  /** Retries of 408/429/5xx and network errors per request (default 6), each after Retry-After when ARM gives one. */
  readonly maxRetries?: number;
  /** Counts every request sent, retries included. */
  readonly counter?: RequestCounter;
}

export const ARM_ENDPOINT = 'https://management.azure.com';

/** The options object every ARM SDK client takes. */
export function sdkOptions(o: ArmClientOptions): { endpoint: string; additionalPolicies: Array<{ policy: PipelinePolicy; position: 'perCall' | 'perRetry' }>; retryOptions: { maxRetries: number } } {
  return {
    endpoint: (o.endpoint ?? ARM_ENDPOINT).replace(/\/+$/, ''),
    additionalPolicies: [...(o.additionalPolicies ?? []), ...(o.counter ? o.counter.policies() : [])],
    retryOptions: { maxRetries: o.maxRetries ?? 6 },
  };
}

/** One client per subscription, made on first use. */
export function perSubscription<C>(make: (subscriptionId: string) => C): (subscriptionId: string) => C {
  const clients = new Map<string, C>();
  return (subscriptionId) => {
    const key = subscriptionId.toLowerCase();
    let c = clients.get(key);
    if (!c) clients.set(key, (c = make(subscriptionId)));
    return c;
  };
}

/** Counts an SDK client's requests: calls (each page of a listing is one) and the attempts sent for them. */
export class RequestCounter {
  /** Requests the SDK made. */
  calls = 0;
  /** HTTP requests sent: the calls and their retries. */
  sent = 0;
  /** Sent requests answered 429 (then retried after Retry-After). */
  throttled = 0;

  policies(): Array<{ policy: PipelinePolicy; position: 'perCall' | 'perRetry' }> {
    return [
      {
        position: 'perCall',
        policy: {
          name: 'keystewardCallCounter',
          sendRequest: (request, next) => {
            this.calls += 1;
            return next(request);
          },
        },
      },
      {
        position: 'perRetry',
        policy: {
          name: 'keystewardAttemptCounter',
          sendRequest: async (request, next) => {
            this.sent += 1;
            const response = await next(request);
            if (response.status === 429) this.throttled += 1;
            return response;
          },
        },
      },
    ];
  }
}

/** Every item of an SDK listing, across its pages (`nextLink`). */
export async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of pages) out.push(item);
  return out;
}
