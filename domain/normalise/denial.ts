// Why Key Vault refused a call. Key Vault reports every failure with resultType "Success"; the reason
// is only in the status code, the free-text resultDescription (azure-formats.md §1.4, §4.5) and the
// isRbacAuthorized / isAccessPolicyMatch flags.
import type { DenialReason } from '../events/keyEvent.js';

export interface DenialFacts {
  readonly status: number;
  /** resultDescription, or '' when absent. */
  readonly text: string;
  readonly rbacAuthorized: boolean | undefined;
  readonly accessPolicyMatch: boolean | undefined;
}

const FIREWALL = /client address is not authorized|not a trusted service|forbiddenbyfirewall|firewall/i;
const DISABLED = /disabled/i;
const EXPIRED = /expired|not yet valid|not valid yet/i;
const RBAC = /caller is not authorized to perform action|forbiddenbyrbac/i;
const ACCESS_POLICY = /does not have keys?\b[^.]*\bpermission/i;

/**
 * First match wins. Status codes are unambiguous, so they go first; then the specific texts (a
 * firewall or disabled-key denial may still carry an authorization flag); the flags alone come last
 * because they say which model the vault uses, not necessarily why this call failed; and they count
 * only on a 403, the one status that means the authorization check refused the call.
 */
const RULES: ReadonlyArray<readonly [DenialReason, (f: DenialFacts) => boolean]> = [
  ['not_found', (f) => f.status === 404],
  ['unauthenticated', (f) => f.status === 401],
  ['firewall', (f) => FIREWALL.test(f.text)],
  ['disabled', (f) => DISABLED.test(f.text)],
  ['expired', (f) => EXPIRED.test(f.text)],
  ['rbac', (f) => RBAC.test(f.text)],
  ['access_policy', (f) => ACCESS_POLICY.test(f.text)],
  ['rbac', (f) => f.status === 403 && f.rbacAuthorized === false],
  ['access_policy', (f) => f.status === 403 && f.accessPolicyMatch === false],
];

export function classifyDenial(facts: DenialFacts): DenialReason {
  for (const [reason, applies] of RULES) {
    if (applies(facts)) return reason;
  }
  return 'other';
}

/** Throttling (429) and server errors are not a loss of access: the caller will retry. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
