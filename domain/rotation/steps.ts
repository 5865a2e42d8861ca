// The rotation plan as data (DESIGN.md §4.5). The JSON printed by `plan rotate` is exactly this shape, keys in
// this order: { protector, strategy, preflight: [{ check, ok, reason }], steps: [{ n, kind, role, member, vault }] }.
// role/member/vault are present only on steps acting on one replica's vault or server — never set to undefined.
import type { MemberRole } from '../estate/model.js';
import type { PreflightResult } from './preflight.js';

export type RotationStrategy = 'import' | 'rotate';

export type StepKind =
  | 'preflight'
  | 'create-material'
  | 'install-version'
  | 'rotate-key'
  | 'verify-thumbprints'
  | 'switch-protector'
  | 'rewrap-deks'
  | 'verify'
  | 'retain-previous';

export interface PlanStep {
  /** 1-based position in the plan. */
  readonly n: number;
  readonly kind: StepKind;
  readonly role?: MemberRole;
  /** Lower-case ARM resource id of the member. */
  readonly member?: string;
  /** Lower-case vault name. */
  readonly vault?: string;
}

export interface RotationPlan {
  readonly protector: string;
  readonly strategy: RotationStrategy;
  readonly preflight: readonly PreflightResult[];
  readonly steps: readonly PlanStep[];
}
