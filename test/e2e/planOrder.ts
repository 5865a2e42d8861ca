// The order a rotation of a protector would switch its members in, as the host's dry run plans it now
// (`POST /api/protectors/{id}/rotations {"dryRun":true}`): `<role> <server name>` per switch-protector step.
import { expect } from 'vitest';

export async function switchOrder(url: string, protector = 'orders-sql', headers: Record<string, string> = {}): Promise<string[]> {
  const res = await fetch(`${url}/api/protectors/${protector}/rotations`, { method: 'POST', body: JSON.stringify({ dryRun: true }), headers });
  const plan = (await res.json()) as { steps: Array<{ kind: string; role?: string; member?: string }> };
  expect(res.status, JSON.stringify(plan)).toBe(200);
  return plan.steps.filter((s) => s.kind === 'switch-protector').map((s) => `${s.role} ${s.member?.slice(s.member.lastIndexOf('/') + 1) ?? ''}`);
}

export const sameOrder = (expected: readonly string[]) => (got: readonly string[]): boolean => JSON.stringify(got) === JSON.stringify(expected);
