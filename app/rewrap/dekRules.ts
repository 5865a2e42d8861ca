// The rules every DekStore applies before writing or filtering, so the memory fake and the Table adapter agree
// (one contract suite): kids canonical, fingerprints shaped like a SHA-256, wrapped values base64url.
import { canonicalKid } from '../../domain/rewrap/kid.js';
import { isFingerprint } from '../../domain/rewrap/fingerprint.js';
import type { DekFilter, NewDek, Rewrapped } from './ports.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MAX_ID = 512;

function check(ok: boolean, what: string): void {
  // Never echoes the value: it may be a wrapped DEK (I8).
  if (!ok) throw new RangeError(`invalid DEK ${what}`);
}

export function normaliseRewrapped(next: Rewrapped): Rewrapped {
  check(next.alg.length > 0 && next.alg.length <= 64, 'alg');
  check(BASE64URL.test(next.wrapped) && next.wrapped.length <= 4096, 'wrapped value (base64url, at most 4096 characters)');
  return { kid: canonicalKid(next.kid), alg: next.alg, wrapped: next.wrapped };
}

/** Throws RangeError on a DEK no store may hold; returns it with its kid canonical. */
export function normaliseNewDek(dek: NewDek): NewDek {
  check(dek.id.length > 0 && dek.id.length <= MAX_ID, 'id');
  check(isFingerprint(dek.fingerprint), 'fingerprint (base64url SHA-256)');
  return { id: dek.id, ...normaliseRewrapped(dek), fingerprint: dek.fingerprint };
}

export function normaliseFilter(filter: DekFilter): DekFilter {
  return {
    ...(filter.kidPrefix !== undefined ? { kidPrefix: filter.kidPrefix.toLowerCase() } : {}),
    ...(filter.notKid !== undefined ? { notKid: canonicalKid(filter.notKid) } : {}),
  };
}

/** For a normalised filter and a canonical kid. */
export function matchesFilter(kid: string, filter: DekFilter): boolean {
  if (filter.kidPrefix !== undefined && !kid.startsWith(filter.kidPrefix)) return false;
  if (filter.notKid !== undefined && kid === filter.notKid) return false;
  return true;
}
