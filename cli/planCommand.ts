import { buildRotationPlan } from '../domain/rotation/plan.js';
import { loadEstateOrUsage, parseNowOption, printJson } from './common.js';
import { UsageError } from './usageError.js';

/** Prints the plan; a failing preflight is part of the plan (exit 0), an unknown protector is a bad argument. */
export async function runPlanRotate(opts: { estate: string; protector: string; now?: string }): Promise<void> {
  const estate = await loadEstateOrUsage(opts.estate);
  const now = parseNowOption(opts.now) ?? Date.now();
  const result = buildRotationPlan({ estate, protectorId: opts.protector, now });
  if (!result.ok) {
    const known = estate.protectors.map((p) => p.id).join(', ') || '(none)';
    throw new UsageError(`${result.error}; the estate has: ${known}`);
  }
  printJson(result.plan);
}
