// SQL reads the key from Key Vault with the server's identity before accepting it as a server key or protector.
// The emulator asks the `keyExists` hook instead and answers with the error Azure gives for each failure.
import {
  connectionFailed,
  invalidExpirationDate,
  keyDisabled,
  keyNameNotFound,
  missingPermissions,
  noServerIdentity,
  rsaKeyNotSupported,
} from './errors.js';
import type { ArmError } from '../arm/errors.js';
import type { KeyCheckCaller, KeyLookup, KeyUnusableReason } from './types.js';

const ERRORS: Readonly<Record<KeyUnusableReason, () => ArmError>> = {
  not_found: keyNameNotFound,
  forbidden: missingPermissions,
  no_identity: noServerIdentity,
  disabled: keyDisabled,
  expired: invalidExpirationDate,
  unsupported: rsaKeyNotSupported,
  unreachable: connectionFailed,
};

/** The key's thumbprint (null when unknown), or throws the ArmError for an unusable key. */
export async function checkKey(lookup: KeyLookup | undefined, kid: string, caller: KeyCheckCaller): Promise<string | null> {
  if (!lookup) return null;
  let check;
  try {
    check = await lookup(kid, caller);
  } catch {
    throw connectionFailed();
  }
  if (check === true) return null;
  if (check === false) throw keyNameNotFound();
  if (!check.usable) throw ERRORS[check.reason]();
  return check.thumbprint ?? null;
}
