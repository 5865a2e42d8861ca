// An estate of N SQL TDE protectors (1 primary + 1 secondary each) with realistic ids, and the state a running
// keysteward keeps for each: built by the real normalise → fold path from records in the Azure formats (Event Grid
// KeyNewVersionCreated for the last two rotations, Key Vault AuditEvent denials for protectors in trouble), plus
// the successful unwraps every server makes (what the fold keeps of those is their instants, at the stored cap).
// Used by `npm run bench -- --only scale` (10,000 protectors) and by the sweep tests (a few hundred).
import { createHash } from 'node:crypto';
import type { EstateIndex } from '../domain/estate/index.js';
import { buildEstate, type Estate, type Protector } from '../domain/estate/model.js';
import { compactState } from '../domain/health/compact.js';
import { createFoldState, protectorState, type FoldState } from '../domain/health/fold.js';
import { emptyProcessed, ingestValue } from '../domain/health/ingest.js';
import { MAX_SUCCESSES_PER_MEMBER, toSnapshot, type ProtectorSnapshot } from '../domain/health/snapshot.js';

const TENANT = '7d3f1c2a-5b4e-4c6d-9a8b-0e1f2a3b4c5d';
const SUBSCRIPTIONS = ['3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f', '8a1f4c2e-6d3b-4e5a-9c7f-0b2d4e6f8a1c', 'c27e9d41-5f3a-4b8c-a6d2-e9f1b3c5d7e0', '51b8e3a6-0c9d-4f2e-b7a4-d3c6e9f2a5b8'];
const APPS = ['orders', 'billing', 'ledger', 'payments', 'catalog', 'identity', 'claims', 'inventory', 'pricing', 'shipping'];
const REGIONS = { primary: { name: 'eastus', short: 'eus' }, secondary: { name: 'westus', short: 'wus' } } as const;
/** Protectors per vault pair: well under the ~500 General Purpose databases a vault should serve (failover storms). */
const PER_VAULT_PAIR = 50;
/** Successful unwraps are about 10 minutes apart per server. */
const UNWRAP_EVERY_MS = 10 * 60_000;
const DAY = 86_400_000;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
/** A stable GUID per name (version-4 layout), so ids look like Azure's and two runs build the same estate. */
function guid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] ?? '0', 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
/** A Key Vault version id: 32 lower-case hex characters. */
const versionId = (name: string): string => createHash('sha256').update(name).digest('hex').slice(0, 32);

interface Names {
  readonly id: string;
  readonly key: string;
  readonly sub: string;
  readonly rg: Record<'primary' | 'secondary', string>;
  readonly server: Record<'primary' | 'secondary', string>;
  readonly vault: Record<'primary' | 'secondary', string>;
}

function names(i: number): Names {
  const app = APPS[i % APPS.length] as string;
  const n = pad(i, 5);
  const pair = pad(Math.floor(i / PER_VAULT_PAIR), 3);
  const sub = SUBSCRIPTIONS[i % SUBSCRIPTIONS.length] as string;
  const role = (r: 'primary' | 'secondary'): string => REGIONS[r].short;
  return {
    id: `${app}-${n}-sql`,
    key: `tde-${app}-${n}`,
    sub,
    rg: { primary: `rg-${app}-prod-${role('primary')}`, secondary: `rg-${app}-prod-${role('secondary')}` },
    server: { primary: `sql-${app}-${n}-${role('primary')}`, secondary: `sql-${app}-${n}-${role('secondary')}` },
    vault: { primary: `kv-tde-${role('primary')}-${pair}`, secondary: `kv-tde-${role('secondary')}-${pair}` },
  };
}

const vaultResourceId = (sub: string, vault: string, region: 'primary' | 'secondary'): string =>
  `/subscriptions/${sub}/resourceGroups/rg-keys-prod-${REGIONS[region].short}/providers/Microsoft.KeyVault/vaults/${vault}`;

/** The estate document (DESIGN.md §4.1) of `count` protectors. */
export function scaleEstateDoc(count: number): Record<string, unknown> {
  const vaults = new Map<string, Record<string, unknown>>();
  const protectors = Array.from({ length: count }, (_, i) => {
    const n = names(i);
    for (const role of ['primary', 'secondary'] as const) {
      vaults.set(n.vault[role], {
        name: n.vault[role],
        region: REGIONS[role].name,
        resourceId: vaultResourceId(SUBSCRIPTIONS[0] as string, n.vault[role], role),
        properties: { enableSoftDelete: true, enablePurgeProtection: true, softDeleteRetentionInDays: 90, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } },
      });
    }
    return {
      id: n.id,
      kind: 'sql-tde',
      keyName: n.key,
      members: (['primary', 'secondary'] as const).map((role) => ({
        role,
        resourceId: `/subscriptions/${n.sub}/resourceGroups/${n.rg[role]}/providers/Microsoft.Sql/servers/${n.server[role]}`,
        vault: n.vault[role],
        principalId: guid(`principal/${n.server[role]}`),
      })),
      autohealWindow: 'PT30M',
      inaccessibleAfter: 'PT10M',
      rotation: { every: 'P180D', strategy: 'import', keySize: 2048 },
    };
  });
  return { vaults: [...vaults.values()], protectors, notifications: { email: { to: ['secops@contoso.example'] } } };
}

export function scaleEstate(count: number): Estate {
  const built = buildEstate(scaleEstateDoc(count));
  if (!built.ok) throw new Error(`scale estate invalid: ${built.errors.join('; ')}`);
  return built.estate;
}

/** Event Grid KeyNewVersionCreated as Key Vault sends it (PascalCase data, EXP/NBF in epoch seconds). */
function keyNewVersion(vault: string, vaultId: string, key: string, version: string, at: number): unknown {
  return {
    id: guid(`eg/${vault}/${key}/${version}`),
    topic: vaultId,
    subject: key,
    eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
    eventTime: new Date(at).toISOString(),
    data: { Id: `https://${vault}.vault.azure.net/keys/${key}/${version}`, VaultName: vault, ObjectType: 'Key', ObjectName: key, Version: version, NBF: null, EXP: Math.floor((at + 2 * 365 * DAY) / 1000) },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

/** A Key Vault AuditEvent record of an RBAC-denied KeyUnwrap by a SQL server's identity. */
function deniedUnwrap(vault: string, vaultId: string, key: string, version: string, oid: string, at: number, n: number): unknown {
  return {
    time: new Date(at).toISOString(),
    category: 'AuditEvent',
    operationName: 'KeyUnwrap',
    resultType: 'Success',
    resultDescription: `Caller is not authorized to perform action on resource.\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\nCaller: appid=${guid(`app/${oid}`)};oid=${oid};iss=https://sts.windows.net/${TENANT}/\nAction: 'Microsoft.KeyVault/vaults/keys/unwrap/action'\nResource: '${vaultId.toLowerCase()}/keys/${key}'\nAssignment: (not found)\nDenyAssignmentId: null\nDecisionReason: null \nVault: ${vault};location=eastus`,
    correlationId: guid(`corr/${oid}/${n}`),
    callerIpAddress: '20.42.8.17',
    identity: { claim: { oid, appid: guid(`app/${oid}`), appidacr: '2', idtyp: 'app' } },
    properties: {
      id: `https://${vault}.vault.azure.net/keys/${key}/${version}`,
      clientInfo: 'SqlServerAkvClient/1.0',
      httpStatusCode: 403,
      requestUri: `https://${vault}.vault.azure.net/keys/${key}/${version}/unwrapkey?api-version=7.4`,
      isRbacAuthorized: true,
      tlsVersion: 'TLS1_2',
    },
    resourceId: vaultId.toUpperCase(),
    operationVersion: '7.4',
    resultSignature: 'Forbidden',
    durationMs: '6',
  };
}

export interface ScaleStateOptions {
  /** The primary lost access `lostMinutesAgo` before `now` and retries every minute since (an open incident). */
  readonly incident?: { readonly lostMinutesAgo: number };
}

/**
 * The records of one protector's recent history: the last two rotations (one new version per vault each,
 * 180 days apart), and for a protector in trouble the primary's denied unwraps, one a minute.
 */
export function scaleRecords(estate: Estate, protector: Protector, now: number, opts: ScaleStateOptions = {}): unknown[] {
  const records: unknown[] = [];
  const current = versionId(`${protector.id}/current`);
  protector.members.forEach((m) => {
    const vaultId = estate.vaults.get(m.vault)?.resourceId ?? '';
    records.push(keyNewVersion(m.vault, vaultId, protector.keyName, versionId(`${protector.id}/previous`), now - 200 * DAY));
    records.push(keyNewVersion(m.vault, vaultId, protector.keyName, current, now - 20 * DAY));
  });
  const primary = protector.members[0];
  if (opts.incident && primary?.principalId) {
    const vaultId = estate.vaults.get(primary.vault)?.resourceId ?? '';
    for (let k = opts.incident.lostMinutesAgo; k >= 1; k--) records.push(deniedUnwrap(primary.vault, vaultId, protector.keyName, current, primary.principalId, now - k * 60_000, k));
  }
  return records;
}

/** Folds every protector's records and successes into one fold state, as ingestion would have over time. */
export function scaleFold(index: EstateIndex, now: number, incidentOf: (i: number) => ScaleStateOptions['incident'] | undefined): FoldState {
  const fold = createFoldState(index);
  const processed = emptyProcessed();
  index.estate.protectors.forEach((p, i) => {
    const incident = incidentOf(i);
    ingestValue(fold, scaleRecords(index.estate, p, now, incident ? { incident } : {}), processed);
    const ps = protectorState(fold, p);
    // Successful unwraps, as many as the stored state keeps; a server in trouble has none since it lost access.
    const lastOk = incident ? now - (incident.lostMinutesAgo + 1) * 60_000 : now - 60_000;
    ps.successes.forEach((list, m) => {
      for (let k = MAX_SUCCESSES_PER_MEMBER - 1; k >= 0; k--) list.push(lastOk - k * UNWRAP_EVERY_MS - m * 7_000);
    });
  });
  if (processed.rejected > 0) throw new Error(`scale records rejected by normalisation: ${processed.rejected}`);
  return fold;
}

/** The snapshot persistDelta would store for the protector (compacted at `now`). */
export function scaleSnapshot(fold: FoldState, protector: Protector, now: number): ProtectorSnapshot {
  const ps = fold.protectors.get(protector.id);
  if (!ps) throw new Error(`no state for ${protector.id}`);
  return toSnapshot(compactState(fold.index.estate, ps, now));
}

