// In-process alert latency (DESIGN.md §7): from a denial record handed to ingestion to the email request
// received by the ACS Email emulator — through normalisation, Table Storage compare-and-set on Azurite, the
// alert ledger, Redis and the real @azure/communication-email client over HTTPS. Each sample is a new incident
// episode (deny, then restore), so every sample is a real transition.
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../adapters/logging/logger.js';
import { startLocalStack } from '../hosts/local/stack.js';

const ESTATE = fileURLToPath(new URL('../../demo/service-estate.json', import.meta.url));
const MEMBER = { oid: '11111111-1111-4111-8111-111111111111', vault: 'kv-demo-eus', key: 'orders-tde' };

function auditRecord(time: number, status: number, seq: number): unknown {
  return {
    time: new Date(time).toISOString().replace('Z', '0000Z'),
    category: 'AuditEvent',
    operationName: 'KeyUnwrap',
    resultType: 'Success',
    ...(status >= 400 ? { resultDescription: 'Caller is not authorized to perform action on resource.' } : {}),
    correlationId: `bench-${seq}`,
    callerIpAddress: '127.0.0.1',
    identity: { claim: { oid: MEMBER.oid, appid: MEMBER.oid, idtyp: 'app' } },
    properties: {
      id: `https://${MEMBER.vault}.vault.azure.net/keys/${MEMBER.key}/0a9b8c7d6e5f40312233445566778899`,
      httpStatusCode: status,
      requestUri: `https://${MEMBER.vault}.vault.azure.net/keys/${MEMBER.key}/0a9b8c7d6e5f40312233445566778899/unwrapkey?api-version=7.4`,
      isRbacAuthorized: status < 400,
    },
    resourceId: `/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${MEMBER.vault.toUpperCase()}`,
    operationVersion: '7.4',
    resultSignature: status >= 400 ? 'Forbidden' : 'OK',
    durationMs: '5',
  };
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

export async function benchAlertLatency(samples = 60): Promise<{ p50: number; p99: number; max: number; samples: number }> {
  const stack = await startLocalStack({
    estatePath: ESTATE,
    port: 0,
    log: silentLogger,
    trafficEveryMs: 0,
    timers: false,
    feedIntervalMs: 3_600_000,
    env: { EMAIL_RATE_PER_MINUTE: '100000', EMAIL_RATE_PER_HOUR: '1000000' },
  });
  const latencies: number[] = [];
  try {
    let seq = 0;
    for (let i = 0; i < samples + 3; i++) {
      const deniedAt = Date.now();
      const before = stack.email.messages().length;
      const t0 = performance.now();
      const arrived = stack.email.waitFor((m) => m.subject.includes('KEY ACCESS LOST') && stack.email.messages().indexOf(m) >= before, 10_000).then(() => performance.now());
      await stack.host.services.ingest([{ body: { records: [auditRecord(deniedAt, 403, ++seq)] }, partitionId: 'bench', offset: String(seq), sequenceNumber: seq }]);
      const t1 = await arrived;
      if (i >= 3) latencies.push(t1 - t0); // the first few warm up connections and JIT
      // Restore access so the next denial opens a new episode (and wait for its alert, outside the measurement).
      const resolvedBefore = stack.email.messages().filter((m) => m.subject.includes('RESOLVED')).length;
      await stack.host.services.ingest([{ body: { records: [auditRecord(Math.max(Date.now(), deniedAt + 1), 200, ++seq)] }, partitionId: 'bench', offset: String(seq), sequenceNumber: seq }]);
      await stack.email.waitFor(() => stack.email.messages().filter((m) => m.subject.includes('RESOLVED')).length > resolvedBefore, 10_000);
      await new Promise((r) => setTimeout(r, 2)); // the next episode must open after this resolution
    }
  } finally {
    await stack.close();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1] ?? NaN), samples: sorted.length };
}
