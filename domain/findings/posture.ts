// Vault posture findings: what Azure SQL / Cosmos CMK requires of every vault holding a protector
// (soft-delete, purge protection, a firewall that lets trusted services through).
import type { Finding } from '../report.js';
import type { ProtectorView } from '../health/view.js';

export function postureFindings(view: ProtectorView): Finding[] {
  const out: Finding[] = [];
  for (const vault of view.vaults.values()) {
    const p = vault.properties;
    const base = { protector: view.protector.id, vault: vault.name };
    if (p.softDelete === false) out.push({ ...base, code: 'soft_delete_disabled', detail: { required: 'Azure SQL and Cosmos DB refuse a CMK in a vault without soft-delete' } });
    if (p.purgeProtection === false) out.push({ ...base, code: 'purge_protection_disabled', detail: { required: 'a protector vault must have purge protection on' } });
    if (p.networkAcls && p.networkAcls.defaultAction === 'deny' && !p.networkAcls.bypassAzureServices) {
      out.push({ ...base, code: 'vault_firewall_blocks_trusted_services', detail: { defaultAction: 'Deny', bypass: 'None' } });
    }
  }
  return out;
}
