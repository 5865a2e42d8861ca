// Rotation preflight (DESIGN.md §4.5, reliability.md K-4/K-5): small named predicates, each returning a
// result with a reason whether it passes or not. A preflight never throws and never short-circuits: the
// plan lists every result so an operator sees all blockers at once.
//
// Rule for missing facts: a check passes only on a fact known to be good. Anything not known (no vault
// properties, no inventory, access not observed) fails with a reason starting "unknown:", so an offline plan
// cannot be mistaken for a verified one. Observed (live) facts override the estate's snapshot.
import type { Estate, Protector, VaultProperties } from '../estate/model.js';
import { checkGeoKeyMaterial, inventoryKnown } from '../findings/geoMaterial.js';
import type { Incident } from '../report.js';
import type { Millis } from '../time.js';
import { toIso } from '../time.js';
import { currentVersion } from './currentVersion.js';
import { distinctVaults, primaryOf } from './replicas.js';

export interface PreflightResult {
  readonly check: string;
  readonly ok: boolean;
  readonly reason: string;
}

export interface PreflightObserved {
  /** Live vault properties by lower-case vault name; a non-null field overrides the estate snapshot. */
  readonly vaultProperties?: ReadonlyMap<string, VaultProperties>;
  /** Incidents currently known; when absent, identities' access is unknown. */
  readonly openIncidents?: readonly Incident[];
  readonly runningRotation?: boolean;
}

export interface PreflightContext {
  readonly estate: Estate;
  readonly protector: Protector;
  readonly now: Millis;
  readonly observed?: PreflightObserved | undefined;
}

export type PreflightCheck =
  | { readonly name: string; readonly perVault: false; readonly run: (ctx: PreflightContext) => PreflightResult }
  | { readonly name: string; readonly perVault: true; readonly run: (ctx: PreflightContext, vault: string) => PreflightResult };

/** Azure SQL allows at most four geo-secondaries per primary, without chaining (DESIGN.md §1). */
const MAX_SQL_SECONDARIES = 4;
const SUPPORTED_KTY = new Set(['RSA', 'RSA-HSM']);
const SUPPORTED_SIZES = new Set([2048, 3072]);

const pass = (check: string, reason: string): PreflightResult => ({ check, ok: true, reason });
const fail = (check: string, reason: string): PreflightResult => ({ check, ok: false, reason });
const unknown = (check: string, reason: string): PreflightResult => ({ check, ok: false, reason: `unknown: ${reason}` });

export function checkMembers(ctx: PreflightContext): PreflightResult {
  const { protector } = ctx;
  const primaries = protector.members.filter((m) => m.role === 'primary').length;
  const secondaries = protector.members.length - primaries;
  if (primaries !== 1) return fail('members', `must have exactly one primary member (has ${primaries})`);
  if (protector.kind === 'sql-tde' && secondaries > MAX_SQL_SECONDARIES) {
    return fail('members', `has ${secondaries} secondaries; Azure SQL allows at most ${MAX_SQL_SECONDARIES}`);
  }
  return pass('members', `1 primary and ${secondaries} secondar${secondaries === 1 ? 'y' : 'ies'}`);
}

export function checkStrategy(ctx: PreflightContext): PreflightResult {
  const { protector } = ctx;
  const vaults = distinctVaults(protector);
  if (!protector.rotation) return fail('strategy', `no rotation configured for protector "${protector.id}"; planned with the default strategy "import"`);
  if (protector.rotation.strategy === 'rotate') {
    // rotateKey creates new material inside one vault; it cannot put identical material into several vaults.
    if (vaults.length !== 1) return fail('strategy', `"rotate" needs all members in one vault; members use ${vaults.join(', ')} (use "import")`);
    return pass('strategy', `"rotate": all members share vault ${vaults[0] ?? ''}`);
  }
  return pass('strategy', `"import": identical material imported into ${vaults.length} vault(s): ${vaults.join(', ')}`);
}

/** Snapshot properties with each non-null observed field laid over them. */
function vaultProperties(ctx: PreflightContext, vault: string): VaultProperties {
  const snapshot = ctx.estate.vaults.get(vault)?.properties;
  const live = ctx.observed?.vaultProperties?.get(vault);
  return {
    softDelete: live?.softDelete ?? snapshot?.softDelete ?? null,
    purgeProtection: live?.purgeProtection ?? snapshot?.purgeProtection ?? null,
    softDeleteRetentionDays: live?.softDeleteRetentionDays ?? snapshot?.softDeleteRetentionDays ?? null,
    networkAcls: live?.networkAcls ?? snapshot?.networkAcls ?? null,
  };
}

export function checkSoftDelete(ctx: PreflightContext, vault: string): PreflightResult {
  const check = `soft-delete:${vault}`;
  const value = vaultProperties(ctx, vault).softDelete;
  if (value === null) return unknown(check, `soft-delete of vault ${vault} not known`);
  return value ? pass(check, `soft-delete is enabled on vault ${vault}`) : fail(check, `soft-delete is disabled on vault ${vault}`);
}

export function checkPurgeProtection(ctx: PreflightContext, vault: string): PreflightResult {
  const check = `purge-protection:${vault}`;
  const value = vaultProperties(ctx, vault).purgeProtection;
  if (value === null) return unknown(check, `purge protection of vault ${vault} not known`);
  return value ? pass(check, `purge protection is enabled on vault ${vault}`) : fail(check, `purge protection is disabled on vault ${vault}`);
}

/** SQL and Cosmos reach the vault as trusted Azure services: Deny without the AzureServices bypass cuts them off. */
export function checkFirewall(ctx: PreflightContext, vault: string): PreflightResult {
  const check = `firewall:${vault}`;
  const acls = vaultProperties(ctx, vault).networkAcls;
  if (acls === null) return unknown(check, `network ACLs of vault ${vault} not known`);
  if (acls.defaultAction === 'allow') return pass(check, `vault ${vault} allows public network access`);
  if (acls.bypassAzureServices) return pass(check, `vault ${vault} denies by default but lets trusted Azure services through`);
  return fail(check, `vault ${vault} denies by default without the AzureServices bypass: SQL/Cosmos cannot reach the key`);
}

/** K-4: the protector's current version must be an enabled, active, unexpired RSA 2048/3072 key. */
export function checkKeyType(ctx: PreflightContext): PreflightResult {
  const check = 'key-type';
  const { estate, protector, now } = ctx;
  const vault = primaryOf(protector)?.vault;
  const versions = vault === undefined ? undefined : estate.inventory.get(vault)?.get(protector.keyName);
  if (vault === undefined || versions === undefined || versions.length === 0) {
    return unknown(check, `no inventory of key ${protector.keyName} in the primary's vault ${vault ?? '(no primary)'}`);
  }
  const current = currentVersion(versions);
  if (!current) return fail(check, `no enabled version of key ${protector.keyName} in vault ${vault}`);

  const problems: string[] = [];
  const unknowns: string[] = [];
  if (current.kty === null) unknowns.push('key type not in inventory');
  else if (!SUPPORTED_KTY.has(current.kty)) problems.push(`key type ${current.kty} is not RSA or RSA-HSM`);
  if (current.size === null) unknowns.push('key size not in inventory');
  else if (!SUPPORTED_SIZES.has(current.size)) problems.push(`key size ${current.size} is not 2048 or 3072`);
  const wanted = protector.rotation?.keySize ?? null;
  if (wanted !== null && !SUPPORTED_SIZES.has(wanted)) problems.push(`rotation.keySize ${wanted} is not 2048 or 3072`);
  if (!current.enabled) problems.push('current version is disabled');
  if (current.nbf !== null && current.nbf > now) problems.push(`current version not active before ${toIso(current.nbf)}`);
  if (current.exp !== null && current.exp <= now) problems.push(`current version expired at ${toIso(current.exp)}`);

  const subject = `key ${protector.keyName} version ${current.version} in vault ${vault}`;
  if (problems.length > 0) return fail(check, `${subject}: ${[...problems, ...unknowns].join('; ')}`);
  if (unknowns.length > 0) return unknown(check, `${subject}: ${unknowns.join('; ')}`);
  return pass(check, `${subject} is an enabled, active, unexpired ${current.kty ?? ''} ${current.size ?? ''}-bit key`);
}

/** Access of every member's identity: an open incident means the member cannot use the key now. */
export function checkAccess(ctx: PreflightContext): PreflightResult {
  const check = 'access';
  const incidents = ctx.observed?.openIncidents;
  if (incidents === undefined) return unknown(check, 'access not verified offline; verified live before install');
  const members = new Set(ctx.protector.members.map((m) => m.resourceId));
  const open = incidents
    .filter((i) => i.stage !== 'resolved' && i.protector === ctx.protector.id && members.has(i.member.toLowerCase()))
    .map((i) => `${i.member.toLowerCase()} (${i.cause}, ${i.stage})`)
    .sort();
  if (open.length > 0) return fail(check, `open incident(s) on ${open.join(', ')}`);
  return pass(check, `no open incident for any of ${members.size} member(s)`);
}

export function checkGeoConsistency(ctx: PreflightContext): PreflightResult {
  const check = 'geo-consistency';
  const { estate, protector } = ctx;
  if (!inventoryKnown(estate, protector)) return unknown(check, `no inventory of key ${protector.keyName} in any member vault`);
  const vaults = distinctVaults(protector);
  if (vaults.length < 2) return pass(check, `single vault ${vaults[0] ?? ''}: nothing to compare`);
  const findings = checkGeoKeyMaterial(estate, protector);
  if (findings.length > 0) {
    return fail(check, `geo_key_material_missing in ${findings.map((f) => f.vault).join(', ')}`);
  }
  return pass(check, `${vaults.length} vaults hold identical enabled material for every needed version`);
}

/** Invariant: at most one running rotation per protector (DESIGN.md §4.5). */
export function checkNoRunningRotation(ctx: PreflightContext): PreflightResult {
  const check = 'no-running-rotation';
  if (ctx.observed?.runningRotation === true) return fail(check, `a rotation of protector "${ctx.protector.id}" is already running`);
  return pass(check, 'no running rotation observed; the run still takes the per-protector lock');
}

/** The checks in the order their results are reported. Per-vault checks run once per distinct member vault. */
export const PREFLIGHT_CHECKS: readonly PreflightCheck[] = [
  { name: 'members', perVault: false, run: checkMembers },
  { name: 'strategy', perVault: false, run: checkStrategy },
  { name: 'soft-delete', perVault: true, run: checkSoftDelete },
  { name: 'purge-protection', perVault: true, run: checkPurgeProtection },
  { name: 'firewall', perVault: true, run: checkFirewall },
  { name: 'key-type', perVault: false, run: checkKeyType },
  { name: 'access', perVault: false, run: checkAccess },
  { name: 'geo-consistency', perVault: false, run: checkGeoConsistency },
  { name: 'no-running-rotation', perVault: false, run: checkNoRunningRotation },
];

export function runPreflight(ctx: PreflightContext): PreflightResult[] {
  const vaults = distinctVaults(ctx.protector);
  return PREFLIGHT_CHECKS.flatMap((c) => (c.perVault ? vaults.map((v) => c.run(ctx, v)) : [c.run(ctx)]));
}
