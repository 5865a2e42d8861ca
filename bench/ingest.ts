// Ingestion throughput: audit records through parse → normalise → match → fold, against bare JSON.parse of the
// same bytes, measured in the same run (DESIGN.md §7: ratio ≥ 0.5, ≥ 150k records/s per core).
import { performance } from 'node:perf_hooks';
import { buildEstate } from '../domain/estate/model.js';
import { indexEstate } from '../domain/estate/index.js';
import { createFoldState } from '../domain/health/fold.js';
import { emptyProcessed, ingestValue } from '../domain/health/ingest.js';

const PROTECTORS = 1000;
const RECORDS_PER_ENVELOPE = 100; // the Functions Event Hubs trigger's default batch (limits.md E7)
const SUB = '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourceGroups/rg-data-prod';

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const guid = (n: number): string => `${hex(n, 8)}-8f3b-4a6e-b9d0-${hex(n * 7919, 12).slice(-12)}`;

export function syntheticEstate(): unknown {
  const vaults = [];
  const protectors = [];
  for (let i = 0; i < PROTECTORS; i++) {
    vaults.push({ name: `kv-p${i}-eus`, region: 'eastus' }, { name: `kv-p${i}-wus`, region: 'westus' });
    protectors.push({
      id: `db-${i}`, kind: 'sql-tde', keyName: 'sql-tde-protector',
      members: [
        { role: 'primary', resourceId: `${SUB}/providers/Microsoft.Sql/servers/sql-${i}-eus`, vault: `kv-p${i}-eus`, principalId: guid(2 * i) },
        { role: 'secondary', resourceId: `${SUB}/providers/Microsoft.Sql/servers/sql-${i}-wus`, vault: `kv-p${i}-wus`, principalId: guid(2 * i + 1) },
      ],
    });
  }
  return { vaults, protectors };
}

/** A record shaped like the shared fixtures (~1 KB): mostly healthy unwraps, some strangers, some denials. */
export function auditRecord(n: number, baseMs: number): unknown {
  const p = n % PROTECTORS;
  const secondary = n % 2 === 1;
  const vault = `kv-p${p}-${secondary ? 'wus' : 'eus'}`;
  const stranger = n % 10 === 7;
  const denied = n % 97 === 0;
  const oid = stranger ? guid(9_000_000 + n) : guid(2 * p + (secondary ? 1 : 0));
  const op = n % 3 === 0 ? 'KeyGet' : 'KeyUnwrap';
  const version = hex(n % 4, 32);
  return {
    time: new Date(baseMs + n * 10).toISOString().replace('Z', '1937Z'),
    category: 'AuditEvent',
    operationName: op,
    resultType: 'Success',
    ...(denied ? { resultDescription: 'Caller is not authorized to perform action on resource.\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.' } : {}),
    correlationId: guid(n),
    callerIpAddress: '20.42.8.17',
    identity: { claim: { oid, appid: '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', appidacr: '2', idtyp: 'app', xms_az_nwperimid: [] } },
    properties: {
      id: `https://${vault}.vault.azure.net/keys/sql-tde-protector/${version}`,
      clientInfo: 'SqlServerAkvClient/1.0',
      httpStatusCode: denied ? 403 : 200,
      requestUri: `https://${vault}.vault.azure.net/keys/sql-tde-protector/${version}/${op === 'KeyGet' ? '' : 'unwrapkey'}?api-version=7.4`,
      isRbacAuthorized: !denied,
      trustedService: 'Microsoft.Sql',
      keyProperties: { type: 'RSA-HSM', attributes: { hsmPlatform: '2' } },
      tlsVersion: 'TLS1_2',
    },
    resourceId: `${SUB.toUpperCase()}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${vault.toUpperCase()}`,
    operationVersion: '7.4',
    resultSignature: denied ? 'Forbidden' : 'OK',
    durationMs: '9',
  };
}

export interface IngestBench {
  recordsPerSec: number;
  jsonParsePerSec: number;
  ratio: number;
  records: number;
  megabytes: number;
  matched: number;
}

/** Best time of `rounds` runs of each function, interleaved so drift on a shared machine hits both alike. */
function bestOf(rounds: number, fns: ReadonlyArray<() => void>): number[] {
  const best = fns.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      fn();
      best[i] = Math.min(best[i] as number, performance.now() - t0);
    });
  }
  return best.map((ms) => ms / 1000);
}

export function benchIngest(totalRecords = 200_000, rounds = 7): IngestBench {
  const built = buildEstate(syntheticEstate());
  if (!built.ok) throw new Error(`bench estate invalid: ${built.errors.join('; ')}`);
  const index = indexEstate(built.estate);
  const baseMs = Date.parse('2026-03-03T00:00:00Z');
  const messages: string[] = [];
  for (let i = 0; i < totalRecords; i += RECORDS_PER_ENVELOPE) {
    const records = [];
    for (let j = i; j < Math.min(i + RECORDS_PER_ENVELOPE, totalRecords); j++) records.push(auditRecord(j, baseMs));
    messages.push(JSON.stringify({ records }));
  }
  const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m), 0);

  let sink = 0;
  let matched = 0;
  const [parseSeconds, ingestSeconds] = bestOf(rounds, [
    () => {
      for (const m of messages) sink += (JSON.parse(m) as { records: unknown[] }).records.length;
    },
    () => {
      // A fresh state per round: every round folds the same records from scratch.
      const state = createFoldState(index);
      const processed = emptyProcessed();
      for (const m of messages) ingestValue(state, JSON.parse(m), processed);
      matched = processed.matched;
      sink += processed.records;
    },
  ]) as [number, number];
  if (sink === 0) throw new Error('nothing parsed');
  const recordsPerSec = Math.round(totalRecords / ingestSeconds);
  const jsonParsePerSec = Math.round(totalRecords / parseSeconds);
  return { recordsPerSec, jsonParsePerSec, ratio: Number((recordsPerSec / jsonParsePerSec).toFixed(3)), records: totalRecords, megabytes: Number((bytes / 1e6).toFixed(1)), matched };
}
