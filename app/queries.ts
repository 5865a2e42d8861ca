// Read side of the HTTP API: protectors with their state, findings and incidents, derived at `now`.
import type { EstateIndex } from '../domain/estate/index.js';
import type { Protector } from '../domain/estate/model.js';
import { deriveProtector } from '../domain/health/report.js';
import type { Finding, Incident } from '../domain/report.js';
import { loadState } from './persist.js';
import type { Clock, StateStore } from './ports.js';

export type Health = 'healthy' | 'at_risk' | 'access_lost' | 'inaccessible' | 'autoheal_expired';

export interface ProtectorSummary {
  readonly id: string;
  readonly kind: Protector['kind'];
  readonly keyName: string;
  readonly health: Health;
  readonly members: ReadonlyArray<{ readonly role: string; readonly resourceId: string; readonly vault: string }>;
  readonly openIncidents: number;
  readonly findings: number;
}

export interface ProtectorDetail extends ProtectorSummary {
  readonly incidents: readonly Incident[];
  readonly findingList: readonly Finding[];
  readonly evaluatedAt: string;
}

const SEVERITY: readonly Health[] = ['healthy', 'at_risk', 'access_lost', 'inaccessible', 'autoheal_expired'];

function healthOf(incidents: readonly Incident[]): Health {
  let worst = 0;
  for (const i of incidents) if (i.stage !== 'resolved') worst = Math.max(worst, SEVERITY.indexOf(i.stage as Health));
  return SEVERITY[worst] ?? 'healthy';
}

export interface QueryDeps {
  readonly index: EstateIndex;
  readonly state: StateStore;
  readonly clock: Clock;
}

export async function describeProtector(deps: QueryDeps, id: string): Promise<ProtectorDetail | null> {
  const protector = deps.index.estate.protectors.find((p) => p.id === id);
  if (!protector) return null;
  const now = deps.clock.now();
  const { incidents, findings } = deriveProtector(deps.index.estate, await loadState(deps.state, protector), now);
  return {
    id: protector.id,
    kind: protector.kind,
    keyName: protector.keyName,
    health: healthOf(incidents),
    members: protector.members.map((m) => ({ role: m.role, resourceId: m.resourceId, vault: m.vault })),
    openIncidents: incidents.filter((i) => i.stage !== 'resolved').length,
    findings: findings.length,
    incidents,
    findingList: findings,
    evaluatedAt: new Date(now).toISOString(),
  };
}

export async function listProtectors(deps: QueryDeps): Promise<ProtectorSummary[]> {
  const out: ProtectorSummary[] = [];
  for (const p of deps.index.estate.protectors) {
    const detail = await describeProtector(deps, p.id);
    if (detail) {
      const { incidents: _i, findingList: _f, evaluatedAt: _e, ...summary } = detail;
      out.push(summary);
    }
  }
  return out;
}
