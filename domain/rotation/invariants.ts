// Structural invariants of a rotation plan (DESIGN.md §4.5, §8 I1–I3). The property tests assert them over
// generated estates and the runtime asserts them again before a run starts, so a plan that breaks them —
// built here or read back from storage — never executes. Inputs are typed loosely (kind: string) on purpose:
// a stored or hand-edited plan may hold kinds the builder never emits.

export interface StepLike {
  readonly n: number;
  readonly kind: string;
  readonly role?: string | undefined;
  readonly member?: string | undefined;
}

export interface PlanLike {
  readonly steps: readonly StepLike[];
}

/** Steps that put new key material into a vault. */
const MATERIAL_KINDS = new Set(['install-version', 'rotate-key']);
/** I3: a rotation never deletes, disables, purges or revokes anything; retirement is a separate, gated act. */
const DESTRUCTIVE = /delete|disable|purge|revoke|remove|retire/i;

const label = (s: StepLike): string => `step ${s.n} ${s.kind}${s.role ? ` (${s.role}${s.member ? ` ${s.member}` : ''})` : ''}`;

/** Human-readable violations; [] when the plan is well-formed. */
export function planInvariantViolations(plan: PlanLike): string[] {
  return [...secondariesFirst(plan), ...primarySwitchLast(plan), ...numbering(plan), ...bookends(plan), ...nothingDestructive(plan)];
}

/** (a) I2: within each step kind, no primary step precedes a secondary step. */
function secondariesFirst({ steps }: PlanLike): string[] {
  const out: string[] = [];
  const firstPrimary = new Map<string, StepLike>();
  for (const s of steps) {
    const primary = firstPrimary.get(s.kind);
    if (s.role === 'secondary' && primary) out.push(`secondaries first: ${label(s)} comes after ${label(primary)}`);
    if (s.role === 'primary' && !primary) firstPrimary.set(s.kind, s);
  }
  return out;
}

/**
 * (b) The primary never switches to a version every vault does not hold: each primary switch-protector (and
 * each rewrap-deks, which also moves data onto the new version) comes after every material step and after
 * every verify-thumbprints step, of which there must be at least one.
 */
function primarySwitchLast({ steps }: PlanLike): string[] {
  const out: string[] = [];
  const guarded = steps.map((s, i) => ({ s, i })).filter(({ s }) => (s.kind === 'switch-protector' && s.role === 'primary') || s.kind === 'rewrap-deks');
  const hasVerify = steps.some((s) => s.kind === 'verify-thumbprints');
  for (const { s, i } of guarded) {
    if (!hasVerify) out.push(`verified material: ${label(s)} has no verify-thumbprints step before it`);
    steps.forEach((other, j) => {
      if (j > i && (MATERIAL_KINDS.has(other.kind) || other.kind === 'verify-thumbprints')) {
        out.push(`verified material: ${label(s)} comes before ${label(other)}`);
      }
    });
  }
  return out;
}

/** (c) Steps are numbered 1..n in order. */
function numbering({ steps }: PlanLike): string[] {
  return steps.flatMap((s, i) => (s.n === i + 1 ? [] : [`numbering: step at position ${i + 1} is numbered ${s.n}`]));
}

/** (d) preflight is the first step and retain-previous the last. */
function bookends({ steps }: PlanLike): string[] {
  const out: string[] = [];
  const first = steps[0];
  const last = steps[steps.length - 1];
  if (first?.kind !== 'preflight') out.push(`bookends: first step is ${first ? label(first) : 'missing'}, not preflight`);
  if (last?.kind !== 'retain-previous') out.push(`bookends: last step is ${last ? label(last) : 'missing'}, not retain-previous`);
  return out;
}

/** (e) I3: nothing is deleted, disabled or purged by a rotation. */
function nothingDestructive({ steps }: PlanLike): string[] {
  return steps.filter((s) => DESTRUCTIVE.test(s.kind)).map((s) => `destructive: ${label(s)} deletes, disables or purges`);
}
