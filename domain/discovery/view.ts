// What the service shows of the last discovery (issue 8): the estate decided from its facts, the drift of the estate
// FILE against it (the overlay makes the estate in use follow the discovered roles, so drift against the estate in use
// would hide exactly what an operator must write back with `keysteward discover --merge`), and per estate protector
// every finding about it — drift, and discovery's own findings about the protector it was matched to.
import type { Estate } from '../estate/model.js';
import { driftFindings, matchOf, type DriftCode, type DriftFinding } from './drift.js';
import type { DiscoveryFacts } from './facts.js';
import { decideDiscovery } from './findings.js';
import { subscriptionsReadInFull } from './factsMerge.js';
import type { DiscoveredEstate, DiscoveryFindingCode } from './topology.js';

/** A finding about an estate protector, in the shape of the API's other findings (`protector` is the estate's id). */
export interface ProtectorDiscoveryFinding {
  readonly code: DriftCode | DiscoveryFindingCode;
  readonly protector: string;
  readonly vault: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface DiscoveryView {
  readonly discovered: DiscoveredEstate;
  /** The estate file against the discovered estate, sorted (driftFindings). */
  readonly drift: readonly DriftFinding[];
  /** Estate protector id → its findings (drift first, then discovery's), for GET /api/protectors/{id}. */
  readonly byProtector: ReadonlyMap<string, readonly ProtectorDiscoveryFinding[]>;
}

export function discoveryView(file: Estate, facts: DiscoveryFacts): DiscoveryView {
  const discovered = decideDiscovery(facts);
  const drift = driftFindings({ estate: file, discovered, readSubscriptions: subscriptionsReadInFull(facts) });
  const byProtector = new Map<string, ProtectorDiscoveryFinding[]>();
  const add = (id: string, f: ProtectorDiscoveryFinding): void => {
    const list = byProtector.get(id);
    if (list) list.push(f);
    else byProtector.set(id, [f]);
  };
  const estateIds = new Set(file.protectors.map((p) => p.id));
  for (const f of drift) if (f.code !== 'unmanaged_cmk_resource' && estateIds.has(f.protector)) add(f.protector, f);
  for (const p of file.protectors) {
    const match = matchOf(p, discovered.protectors);
    const members = new Set(p.members.map((m) => m.resourceId));
    for (const f of discovered.findings) {
      const about = (match !== null && f.protector === match.id) || (f.protector === null && members.has(f.resource));
      if (!about) continue;
      add(p.id, { code: f.code, protector: p.id, vault: f.vault ?? '', detail: { ...f.detail, resource: f.resource, source: f.source, ...(match ? { discoveredAs: match.id } : {}) } });
    }
  }
  return { discovered, drift, byProtector };
}
