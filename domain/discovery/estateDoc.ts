// A discovered estate as an estate file document (DESIGN.md §4.1) with notes saying where each value came from, for
// the YAML comments (adapters/files/estateYaml.ts renders them). Pure.
// Invariants: the document always passes the estate validator (a protector that cannot be valid — more than four
// secondaries, a key URI with no vault — is left out and named in `skipped`, never written half right); its order
// is stable (vaults by name, protectors by id, members primary first then by resource id, keys in a fixed order), and
// it carries no time, so two runs over the same estate give the same bytes.
import { estateSchema, type EstateInput } from '../estate/schema.js';
import type { DiscoveryFacts, VaultFacts } from './facts.js';
import type { DiscoveredEstate, DiscoveredProtector, DiscoveryFinding } from './topology.js';

export type VaultDoc = EstateInput['vaults'][number];
export type ProtectorDoc = EstateInput['protectors'][number];
export type MemberDoc = ProtectorDoc['members'][number];

/** Comment lines, keyed by what they sit above. */
export interface EstateNotes {
  readonly header: readonly string[];
  /** By vault name. */
  readonly vaults: ReadonlyMap<string, readonly string[]>;
  /** By protector id. */
  readonly protectors: ReadonlyMap<string, readonly string[]>;
  /** By `<protector id> <member resource id, lower-case>`. */
  readonly members: ReadonlyMap<string, readonly string[]>;
  readonly footer: readonly string[];
}

export interface EstateDraft {
  readonly doc: EstateInput;
  readonly notes: EstateNotes;
  /** Discovered protectors left out because no valid estate protector can be made of them. */
  readonly skipped: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

export const memberNoteKey = (protectorId: string, resourceId: string): string => `${protectorId} ${resourceId.toLowerCase()}`;

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const VAULT_KEYS = ['name', 'region', 'resourceId', 'uri', 'properties'] as const;
const PROTECTOR_KEYS = ['id', 'kind', 'keyName', 'members', 'autohealWindow', 'inaccessibleAfter', 'backupRetention', 'rotation', 'alwaysEncrypted'] as const;
const MEMBER_KEYS = ['role', 'resourceId', 'vault', 'principalId'] as const;

/** The object with `order`'s keys first, in that order, then any others by name; undefined values dropped. */
export function ordered<T extends object>(value: T, order: readonly string[]): T {
  const rec = value as Record<string, unknown>;
  const keys = [...order.filter((k) => k in rec), ...Object.keys(rec).filter((k) => !order.includes(k)).sort(byString)];
  return Object.fromEntries(keys.filter((k) => rec[k] !== undefined).map((k) => [k, rec[k]])) as T;
}

const roleRank = (role: string): number => (role === 'primary' ? 0 : 1);

/** Canonical form of a protector: keys in contract order, members primary first then by resource id. */
export function canonicalProtector(p: ProtectorDoc): ProtectorDoc {
  const members = [...p.members]
    .sort((a, b) => roleRank(a.role) - roleRank(b.role) || byString(a.resourceId.toLowerCase(), b.resourceId.toLowerCase()))
    .map((m) => ordered(m, MEMBER_KEYS));
  return ordered({ ...p, members }, PROTECTOR_KEYS);
}

export function canonicalEstate(doc: EstateInput): EstateInput {
  return ordered(
    {
      ...doc,
      vaults: [...doc.vaults].sort((a, b) => byString(a.name.toLowerCase(), b.name.toLowerCase())).map((v) => ordered(v, VAULT_KEYS)),
      protectors: [...doc.protectors].sort((a, b) => byString(a.id, b.id)).map(canonicalProtector),
    },
    ['vaults', 'protectors', 'notifications', 'inventory'],
  );
}

const defaultVaultUri = (name: string): string => `https://${name}.vault.azure.net/`;

/** A vault as the estate holds it: the properties the estate schema knows, the URI only when not the default. */
export function vaultDoc(v: VaultFacts): VaultDoc {
  const retention = v.softDeleteRetentionDays !== null && v.softDeleteRetentionDays >= 7 && v.softDeleteRetentionDays <= 90 ? v.softDeleteRetentionDays : undefined;
  const uri = v.uri.endsWith('/') ? v.uri : `${v.uri}/`;
  return ordered(
    {
      name: v.name,
      region: v.location || undefined,
      resourceId: v.id,
      uri: uri === defaultVaultUri(v.name) ? undefined : uri,
      properties: ordered(
        {
          enableSoftDelete: v.softDelete ?? undefined,
          enablePurgeProtection: v.purgeProtection ?? undefined,
          softDeleteRetentionInDays: retention,
          networkAcls: v.networkAcls ?? undefined,
        },
        ['enableSoftDelete', 'enablePurgeProtection', 'softDeleteRetentionInDays', 'networkAcls'],
      ),
    },
    VAULT_KEYS,
  );
}

function vaultNote(v: VaultFacts): string[] {
  const kind = v.managedHsm ? 'Managed HSM' : 'key vault';
  const access = v.rbac === null ? 'access model not stated' : v.rbac ? 'Azure RBAC' : 'access policies';
  return [`${kind}, ${access}: Microsoft.KeyVault/${v.managedHsm ? 'managedHSMs' : 'vaults'} of subscription ${v.subscriptionId}`];
}

export function protectorDoc(p: DiscoveredProtector): ProtectorDoc {
  return canonicalProtector({
    id: p.id,
    kind: p.kind,
    keyName: p.keyName,
    members: p.members.map((m) => ({ role: m.role, resourceId: m.resourceId, vault: m.vault, principalId: m.principalId ?? undefined })),
    alwaysEncrypted: p.alwaysEncrypted ? { endpoint: p.alwaysEncrypted.endpoint, databases: [...p.alwaysEncrypted.databases] } : undefined,
  });
}

function findingLine(f: DiscoveryFinding): string {
  const detail = Object.entries(f.detail)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `finding ${f.code}: ${f.resource}${detail ? ` ${detail}` : ''} (${f.source})`;
}

function protectorNote(p: DiscoveredProtector, findings: readonly DiscoveryFinding[]): string[] {
  const lines = [`${p.kind} from ${p.source}; key ${p.keyName}${p.keyVersioned ? ' (a versioned key URI)' : ' (versionless)'}${p.autoRotation === true ? ', auto-rotation on' : ''}`];
  return [...lines, ...findings.filter((f) => f.protector === p.id).map(findingLine)];
}

/** Skips every protector the validator refuses, until the document is valid (ids of refused protectors, with why). */
function dropInvalid(doc: EstateInput): { doc: EstateInput; skipped: Array<{ id: string; reason: string }> } {
  const skipped: Array<{ id: string; reason: string }> = [];
  let current = doc;
  for (;;) {
    const parsed = estateSchema.safeParse(current);
    if (parsed.success) return { doc: current, skipped };
    const bad = new Map<number, string>();
    for (const issue of parsed.error.issues) {
      const [top, index] = issue.path;
      if (top === 'protectors' && typeof index === 'number' && !bad.has(index)) bad.set(index, `${issue.path.slice(2).join('.') || 'protector'}: ${issue.message}`);
    }
    // Only protectors are built from discovery's facts alone; anything else invalid is a defect here, not a skip.
    if (bad.size === 0) throw new Error(`discovered estate is invalid outside its protectors: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    for (const [i, reason] of bad) skipped.push({ id: current.protectors[i]?.id ?? `#${i}`, reason });
    current = { ...current, protectors: current.protectors.filter((_, i) => !bad.has(i)) };
  }
}

/** The estate document discovery writes: every vault a written protector names, its protectors, and the notes. */
export function discoveredEstateDoc(estate: DiscoveredEstate, facts: Pick<DiscoveryFacts, 'subscriptions' | 'gaps'>): EstateDraft {
  const vaultsByName = new Map(estate.vaults.map((v) => [v.name, v]));
  // A group whose roles are a guess (part of it unread, its links disagreeing) is not written: --merge then keeps the
  // file's protector as it is rather than move its primary on a guess.
  const uncertain = estate.protectors.filter((p) => !p.rolesCertain).map((p) => ({ id: p.id, reason: 'roles not certain: part of its geo-group could not be read, or its links disagree (see the findings)' }));
  const protectors = estate.protectors.filter((p) => p.rolesCertain).map(protectorDoc);
  // Every vault a protector names must be in vaults[]: an unread one (another tenant, no Reader) by name only.
  const named = [...new Set(protectors.flatMap((p) => p.members.map((m) => m.vault)))].filter((n) => /^[a-z][a-z0-9-]{1,46}[a-z0-9]$/.test(n));
  const vaults = named.map((n) => {
    const v = vaultsByName.get(n);
    return v ? vaultDoc(v) : { name: n };
  });
  const { doc, skipped: invalid } = dropInvalid(canonicalEstate({ vaults, protectors }));
  const skipped = [...uncertain, ...invalid];
  // A vault only a skipped protector named is dropped with it.
  const used = new Set(doc.protectors.flatMap((p) => p.members.map((m) => m.vault)));
  const kept = canonicalEstate({ ...doc, vaults: doc.vaults.filter((v) => used.has(v.name)) });

  const vaultNotes = new Map<string, string[]>();
  for (const v of kept.vaults) {
    const facts = vaultsByName.get(v.name);
    vaultNotes.set(v.name, facts ? vaultNote(facts) : [`not read: no subscription read holds this vault (another tenant, or no Reader on it); check its uri`]);
  }
  const protectorNotes = new Map<string, string[]>();
  const memberNotes = new Map<string, string[]>();
  for (const p of estate.protectors) {
    protectorNotes.set(p.id, protectorNote(p, estate.findings));
    for (const m of p.members) memberNotes.set(memberNoteKey(p.id, m.resourceId), [m.principalId === null ? `${m.source}; principal id not known to ARM` : m.source]);
  }
  const subs = facts.subscriptions.length;
  const footer = [
    ...skipped.map((s) => `not written: protector ${s.id} — ${s.reason}`),
    ...estate.findings.filter((f) => f.protector === null).map(findingLine),
    ...facts.gaps.map((g) => `not read: ${g.scope} — ${g.reason}`),
  ];
  return {
    doc: kept,
    notes: {
      header: [`Estate discovered by keysteward discover from ${subs} subscription${subs === 1 ? '' : 's'} (Azure Resource Manager and Key Vault).`, 'Edit freely: `keysteward discover --merge <this file>` keeps hand-edited fields and protector ids.'],
      vaults: vaultNotes,
      protectors: protectorNotes,
      members: memberNotes,
      footer,
    },
    skipped,
  };
}
