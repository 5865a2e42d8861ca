// Subscriptions as @azure/arm-resources-subscriptions 2 reads them (GET /subscriptions, api-version 2022-12-01), and
// who may read each: a subscription without the caller among its readers is missing from the caller's listing and
// answers 403 AuthorizationFailed to anything scoped to it, as a subscription without a Reader assignment does.
import { authorizationFailed, subscriptionNotFound } from './errors.js';
import { json, type ArmRequest } from './http.js';
import { page, type Paging } from './paging.js';
import type { ArmProvider, RoutedCall } from './provider.js';

export interface EmulatedSubscription {
  readonly subscriptionId: string;
  /** Default `Subscription <first 8 characters of the id>`. */
  readonly displayName?: string;
  /** Default `Enabled`. */
  readonly state?: 'Enabled' | 'Warned' | 'PastDue' | 'Disabled' | 'Deleted';
  /** Object ids holding a read role on the subscription; absent: every caller. */
  readonly readers?: readonly string[];
}

export class SubscriptionRegistry {
  private readonly byId = new Map<string, EmulatedSubscription>();

  constructor(
    configured: readonly EmulatedSubscription[],
    /** Subscriptions named by configured resources: they exist even when not configured. */
    implied: Iterable<string>,
    readonly tenantId: string,
  ) {
    for (const s of configured) this.byId.set(s.subscriptionId.toLowerCase(), s);
    for (const id of implied) if (!this.byId.has(id.toLowerCase())) this.byId.set(id.toLowerCase(), { subscriptionId: id });
  }

  /** Throws the ARM error a caller gets for `action` in this subscription, if any. */
  authorize(subscriptionId: string, caller: string, action: string): void {
    const s = this.byId.get(subscriptionId.toLowerCase());
    if (!s) throw subscriptionNotFound(subscriptionId);
    if (!this.canRead(s, caller)) throw authorizationFailed(caller, action, `/subscriptions/${subscriptionId}`);
  }

  visibleTo(caller: string): EmulatedSubscription[] {
    return [...this.byId.values()].filter((s) => this.canRead(s, caller)).sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1));
  }

  get(subscriptionId: string): EmulatedSubscription | undefined {
    return this.byId.get(subscriptionId.toLowerCase());
  }

  private canRead(s: EmulatedSubscription, caller: string): boolean {
    return s.readers === undefined || s.readers.some((r) => r.toLowerCase() === caller.toLowerCase());
  }

  json(s: EmulatedSubscription): unknown {
    return {
      id: `/subscriptions/${s.subscriptionId}`,
      authorizationSource: 'RoleBased',
      managedByTenants: [],
      subscriptionId: s.subscriptionId,
      tenantId: this.tenantId,
      displayName: s.displayName ?? `Subscription ${s.subscriptionId.slice(0, 8)}`,
      state: s.state ?? 'Enabled',
      subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'EnterpriseAgreement_2014-09-01', spendingLimit: 'Off' },
    };
  }
}

/** `GET /subscriptions` (tenant-level) and `GET /subscriptions/{id}`. */
export function subscriptionsProvider(registry: SubscriptionRegistry, paging: Paging): ArmProvider {
  return {
    route(req: ArmRequest): RoutedCall | null {
      if (req.method.toUpperCase() !== 'GET') return null;
      if (/^\/subscriptions\/?$/i.test(req.url.pathname)) {
        return { operation: 'subscriptions.list', action: 'Microsoft.Resources/subscriptions/read', subscriptionId: null, run: () => page(paging, req, registry.visibleTo(req.caller).map((s) => registry.json(s))) };
      }
      const m = /^\/subscriptions\/([^/]+)\/?$/i.exec(req.url.pathname);
      if (!m?.[1]) return null;
      const id = m[1];
      return {
        operation: 'subscriptions.get',
        action: 'Microsoft.Resources/subscriptions/read',
        subscriptionId: id,
        run: () => json(200, registry.json(registry.get(id) ?? { subscriptionId: id })),
      };
    },
  };
}
