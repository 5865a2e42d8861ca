// The managed-instance reads discovery makes besides the instance and its protector (armsql/): its databases
// (`managedDatabases.listByInstance`, api-version 2022-05-01-preview) and the instance failover groups of a resource
// group in one region (`instanceFailoverGroups.listByLocation`, 2022-05-01-preview). An instance failover group pairs
// one primary instance with one secondary; listed under a region, `replicationRole` is the role of the instance there.
import type { EmulatedManagedInstance } from '../armsql/types.js';
import { resourceNotFound } from './errors.js';
import type { ArmRequest } from './http.js';
import { page, type Paging } from './paging.js';
import { resourcePath, type ArmProvider, type RoutedCall } from './provider.js';

export interface EmulatedInstanceFailoverGroup {
  readonly name: string;
  /** Resource ids of the primary and the secondary managed instance. */
  readonly primary: string;
  readonly secondary: string;
}

const LOCATION_GROUPS = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/locations\/([^/]+)\/instanceFailoverGroups$/i;
const lower = (s: string): string => s.toLowerCase();
const rgOf = (id: string): string => lower(id.split('/')[4] ?? '');
const subOf = (id: string): string => lower(id.split('/')[2] ?? '');

export function managedInstanceReadsProvider(instances: readonly EmulatedManagedInstance[], groups: readonly EmulatedInstanceFailoverGroup[], paging: Paging): ArmProvider {
  const byId = new Map(instances.map((i) => [lower(i.resourceId), i]));
  const locationOf = (id: string): string => lower(byId.get(lower(id))?.location ?? 'eastus');
  return {
    route(req: ArmRequest): RoutedCall | null {
      if (req.method.toUpperCase() !== 'GET') return null;
      const at = LOCATION_GROUPS.exec(req.url.pathname);
      if (at?.[1] && at[2] && at[3]) {
        const [sub, rg, location] = [at[1], at[2], at[3]];
        const here = (id: string): boolean => subOf(id) === lower(sub) && rgOf(id) === lower(rg) && locationOf(id) === lower(location);
        const items = (): unknown[] =>
          groups
            .filter((g) => here(g.primary) || here(g.secondary))
            .map((g) => {
              const role = here(g.primary) ? 'Primary' : 'Secondary';
              const partner = here(g.primary) ? g.secondary : g.primary;
              return {
                id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Sql/locations/${location}/instanceFailoverGroups/${g.name}`,
                name: g.name,
                type: 'Microsoft.Sql/locations/instanceFailoverGroups',
                properties: {
                  readWriteEndpoint: { failoverPolicy: 'Automatic', failoverWithDataLossGracePeriodMinutes: 60 },
                  readOnlyEndpoint: { failoverPolicy: 'Disabled' },
                  replicationRole: role,
                  replicationState: 'CATCH_UP',
                  partnerRegions: [{ location: locationOf(partner), replicationRole: role === 'Primary' ? 'Secondary' : 'Primary' }],
                  managedInstancePairs: [{ primaryManagedInstanceId: g.primary, partnerManagedInstanceId: g.secondary }],
                },
              };
            });
        return { operation: 'instanceFailoverGroups.listByLocation', action: 'Microsoft.Sql/locations/instanceFailoverGroups/read', subscriptionId: sub, run: () => page(paging, req, items()) };
      }
      const r = resourcePath(req.url.pathname, 'Microsoft.Sql', 'managedInstances');
      if (!r || r.rest.length !== 1 || lower(r.rest[0] ?? '') !== 'databases') return null;
      return {
        operation: 'managedDatabases.listByInstance',
        action: 'Microsoft.Sql/managedInstances/databases/read',
        subscriptionId: r.subscriptionId,
        run: () => {
          const mi = byId.get(lower(r.resourceId));
          if (!mi) throw resourceNotFound('Microsoft.Sql/managedInstances', r.name, r.resourceGroup);
          const items = (mi.managedDatabases ?? []).map((db) => ({
            id: `${mi.resourceId}/databases/${db}`,
            name: db,
            type: 'Microsoft.Sql/managedInstances/databases',
            location: mi.location ?? 'eastus',
            properties: { status: 'Online', collation: 'SQL_Latin1_General_CP1_CI_AS', defaultSecondaryLocation: 'westus' },
          }));
          return page(paging, req, items);
        },
      };
    },
  };
}

