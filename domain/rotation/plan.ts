// Builds the rotation plan for one protector (DESIGN.md §4.5). Pure: the plan is data, printed by
// `plan rotate` and executed step by step by the run. Preflight failures are data too: the steps are listed
// anyway so an operator sees what would run; the run refuses to start while any preflight result is not ok.
//
// Step order (I2: secondaries before the primary; I3: nothing disabled or deleted):
//   import: preflight → create-material → install-version per distinct vault → verify-thumbprints → tail
//   rotate: preflight → rotate-key per distinct vault (one when valid)    → verify-thumbprints → tail
//   tail:   sql-tde: switch-protector per member | cosmos-always-encrypted: rewrap-deks | cosmos-cmk: none
//           → verify → retain-previous
import type { Estate, Member, Protector } from '../estate/model.js';
import type { Millis } from '../time.js';
import type { PreflightObserved } from './preflight.js';
import { runPreflight } from './preflight.js';
import { membersInRoleOrder, vaultOwners } from './replicas.js';
import type { PlanStep, RotationPlan, RotationStrategy, StepKind } from './steps.js';

export type { PlanStep, RotationPlan, RotationStrategy, StepKind } from './steps.js';
export { planInvariantViolations } from './invariants.js';

export interface RotationPlanInput {
  readonly estate: Estate;
  readonly protectorId: string;
  readonly now: Millis;
  readonly observed?: PreflightObserved | undefined;
}

export type PlanResult = { readonly ok: true; readonly plan: RotationPlan } | { readonly ok: false; readonly error: string };

/** A step before numbering; `member` set when the step acts on one replica. */
type Draft = { readonly kind: StepKind; readonly member?: Member };

export function buildRotationPlan(input: RotationPlanInput): PlanResult {
  const protector = input.estate.protectors.find((p) => p.id === input.protectorId);
  if (!protector) return { ok: false, error: `unknown protector "${input.protectorId}"` };
  // Without rotation config the plan still shows what "import" (the safe default for geo-replicas) would do;
  // the failing `strategy` preflight keeps it from running.
  const strategy: RotationStrategy = protector.rotation?.strategy ?? 'import';
  const preflight = runPreflight({ estate: input.estate, protector, now: input.now, observed: input.observed });
  return { ok: true, plan: { protector: protector.id, strategy, preflight, steps: number(draftSteps(protector, strategy)) } };
}

function draftSteps(protector: Protector, strategy: RotationStrategy): Draft[] {
  // One material step per distinct vault (I1: one new version per vault). For "rotate" that is a single
  // vault when the strategy is valid; with several vaults the steps are still listed and preflight fails.
  const material: Draft[] =
    strategy === 'import'
      ? [{ kind: 'create-material' }, ...vaultOwners(protector).map((member): Draft => ({ kind: 'install-version', member }))]
      : vaultOwners(protector).map((member): Draft => ({ kind: 'rotate-key', member }));
  return [{ kind: 'preflight' }, ...material, { kind: 'verify-thumbprints' }, ...activation(protector), { kind: 'verify' }, { kind: 'retain-previous' }];
}

/** How members start using the new version once every vault holds it. */
function activation(protector: Protector): Draft[] {
  switch (protector.kind) {
    case 'sql-tde':
      // Each server sets its own encryption protector; secondaries first (I2).
      return membersInRoleOrder(protector).map((member): Draft => ({ kind: 'switch-protector', member }));
    case 'cosmos-always-encrypted':
      // DEKs are wrapped by a CMK version: rewrap them; the old version stays enabled until it is done.
      return [{ kind: 'rewrap-deks' }];
    case 'cosmos-cmk':
      // The account uses a versionless key URI and picks up the new version by itself.
      return [];
  }
}

function number(drafts: readonly Draft[]): PlanStep[] {
  return drafts.map(({ kind, member }, i): PlanStep => {
    const n = i + 1;
    // Lower-cased again so a hand-built Protector prints the same identities as one from buildEstate.
    return member ? { n, kind, role: member.role, member: member.resourceId.toLowerCase(), vault: member.vault.toLowerCase() } : { n, kind };
  });
}
