// Discovered protectors in the generator's terms (ExpectedProtector): what a discovery test or bench compares with the
// topology's `expected.protectors`.
import type { DiscoveredProtector } from '../../../domain/discovery/topology.js';
import type { ExpectedProtector } from './types.js';

export function asExpected(protectors: readonly DiscoveredProtector[]): ExpectedProtector[] {
  return protectors.map((p) => ({
    id: p.id,
    kind: p.kind,
    keyName: p.keyName,
    autoRotation: p.autoRotation,
    alwaysEncrypted: p.alwaysEncrypted,
    members: p.members.map((m) => ({ role: m.role, resourceId: m.resourceId, vault: m.vault, principalId: m.principalId })),
  }));
}
