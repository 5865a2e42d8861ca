// The first thing to do for each cause: what an on-call engineer reads first in the alert.
import type { IncidentCause } from '../report.js';

export const FIRST_STEP: Readonly<Record<IncidentCause, string>> = {
  permission_revoked:
    "Give the member's identity get, wrapKey and unwrapKey on the key again (role 'Key Vault Crypto Service Encryption User' on the vault, or an access policy). RBAC changes take up to 10 minutes to apply.",
  firewall_blocked: "Let trusted Microsoft services through the vault firewall (networkAcls.bypass = AzureServices), or allow the server's network.",
  key_disabled: 'Re-enable the key version: az keyvault key set-attributes --vault-name <vault> --name <key> --version <version> --enabled true',
  key_expired: "Extend the key version's expiry (az keyvault key set-attributes --expires ...) or switch the protector to an in-date version.",
  key_deleted: 'Recover the soft-deleted key: az keyvault key recover --vault-name <vault> --name <key>. Do not purge it.',
  key_purged: 'The key is purged: restore it from a key backup into the vault, or import identical material from a geo-replica vault, then re-validate the key on the server.',
  vault_deleted: 'Recover the soft-deleted vault (az keyvault recover --name <vault>), then re-create its role assignments: recovery does not restore them.',
  identity_removed: "Re-assign the member's managed identity and grant it access to the key.",
  unknown_denial: "Read the member's failed calls in the Key Vault audit log (AZKVAuditLogs) and the server's TDE status.",
};

export const AFTER_AUTOHEAL = "The autoheal window has passed: once access is restored, run 'Re-validate key' on the server (az sql server tde-key revalidate).";

export const RESTORED_AFTER_AUTOHEAL =
  "Access returned after the autoheal deadline: the database does not heal itself. Run 'Re-validate key' on the server (az sql server tde-key revalidate).";
