// The replay report (DESIGN.md §4.3) from a fold state at `now`: incidents and findings of every protector,
// sorted so that two runs over the same events compare byte for byte.
import { emptyProtectorState, type FoldState, type ProtectorState } from './fold.js';
import { withLiveInventory, type Estate } from '../estate/model.js';
import { deriveIncidents } from './incidents.js';
import { buildProtectorView } from './view.js';
import { deriveFindings } from '../findings/index.js';
import type { Finding, Incident, Processed, ReplayReport } from '../report.js';
import type { Millis } from '../time.js';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function compareIncidents(a: Incident, b: Incident): number {
  return cmp(a.protector, b.protector) || cmp(a.member, b.member) || cmp(a.cause, b.cause);
}

export function compareFindings(a: Finding, b: Finding): number {
  return cmp(a.protector, b.protector) || cmp(a.code, b.code) || cmp(a.vault, b.vault);
}

/** The estate as this protector's decisions see it: its live inventory (when read) in place of the estate's. */
function effectiveEstate(estate: Estate, ps: ProtectorState): Estate {
  return ps.liveInventory ? withLiveInventory(estate, ps.protector.keyName, ps.liveInventory) : estate;
}

/** Incidents and findings of one protector at `now`, with its live inventory (when read) in place of the estate's. */
export function deriveProtector(estate: Estate, ps: ProtectorState, now: Millis): { incidents: Incident[]; findings: Finding[] } {
  const effective = effectiveEstate(estate, ps);
  const view = buildProtectorView(effective, ps, now);
  return { incidents: deriveIncidents(effective, ps, now, view), findings: deriveFindings(effective, view, now).sort(compareFindings) };
}

/** deriveProtector's incidents without its findings (a third of the cost): what alerting needs. */
export function deriveProtectorIncidents(estate: Estate, ps: ProtectorState, now: Millis): Incident[] {
  return deriveIncidents(effectiveEstate(estate, ps), ps, now);
}

export function buildReport(state: FoldState, processed: Processed, now: Millis): ReplayReport {
  const incidents: Incident[] = [];
  const findings: Finding[] = [];
  const estate = state.index.estate;
  for (const protector of estate.protectors) {
    const ps = state.protectors.get(protector.id) ?? emptyProtectorState(protector);
    const { incidents: i, findings: f } = deriveProtector(estate, ps, now);
    incidents.push(...i);
    findings.push(...f);
  }
  return { processed: { ...processed }, incidents: incidents.sort(compareIncidents), findings: findings.sort(compareFindings) };
}
