// What tracing costs ingestion: the same Event Hubs batches through the app's ingestion use case (parse → normalise →
// match → fold → state writes → alert claims, over the in-memory stores) with telemetry off (the API's no-ops) and on
// (the real SDK setup: batch span processor and metric reader, exporting to a sink), interleaved in the same run.
// In-memory stores make this the worst case: what is left to weigh tracing against is CPU, and the AsyncLocalStorage
// context manager taxes every promise; against Table Storage's milliseconds per write the share is far smaller.
import { performance } from 'node:perf_hooks';
import type { ExportResult } from '@opentelemetry/core';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { silentLogger } from '../adapters/logging/logger.js';
import { startTelemetry } from '../adapters/telemetry/setup.js';
import { fixedEstate } from '../app/estateSource.js';
import { MemoryAlertLedger } from '../app/fakes/memoryAlertLedger.js';
import { MemoryPoisonStore } from '../app/fakes/memoryPoisonStore.js';
import { MemoryStateStore } from '../app/fakes/memoryStateStore.js';
import { ingestMessages, type IngestDeps, type IngestMessage } from '../app/ingestion.js';
import { buildEstate, type Estate } from '../domain/estate/model.js';
import { auditRecord, syntheticEstate } from './ingest.js';

const RECORDS_PER_BATCH = 100;

/** Counts what it is given and drops it: the cost measured is keysteward's and the SDK's, not a network's. */
class SinkExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

class CollectOnShutdown extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface TracingBench {
  /** Records per second through the ingestion use case with telemetry off and on; best round of each. */
  offRecordsPerSec: number;
  onRecordsPerSec: number;
  /** 1 − on/off: the share of ingestion throughput tracing and metrics take. */
  overhead: number;
  records: number;
  batches: number;
  spansExported: number;
}

async function ingestAll(estate: Estate, batches: readonly IngestMessage[][]): Promise<number> {
  const clock = { now: () => Date.parse('2026-03-03T01:00:00Z') };
  const deps: IngestDeps = {
    estates: fixedEstate(estate),
    state: new MemoryStateStore(),
    poison: new MemoryPoisonStore(),
    alerts: { ledger: new MemoryAlertLedger(), notifiers: [], recipients: [], clock, log: silentLogger },
    clock,
    log: silentLogger,
  };
  const t0 = performance.now();
  for (const batch of batches) await ingestMessages(deps, batch);
  return (performance.now() - t0) / 1000;
}

export async function benchTracing(totalRecords = 20_000, rounds = 8): Promise<TracingBench> {
  const built = buildEstate(syntheticEstate());
  if (!built.ok) throw new Error(`bench estate invalid: ${built.errors.join('; ')}`);
  const baseMs = Date.parse('2026-03-03T00:00:00Z');
  const batches: IngestMessage[][] = [];
  for (let i = 0, seq = 0; i < totalRecords; i += RECORDS_PER_BATCH, seq++) {
    const records = [];
    for (let j = i; j < Math.min(i + RECORDS_PER_BATCH, totalRecords); j++) records.push(auditRecord(j, baseMs));
    batches.push([{ body: JSON.stringify({ records }), partitionId: '0', offset: String(seq), sequenceNumber: seq }]);
  }
  const sink = new SinkExporter();
  let off = Infinity;
  let on = Infinity;
  // Interleaved rounds, fresh stores each: drift on a shared machine hits both alike.
  const traced = async (): Promise<number> => {
    const telemetry = await startTelemetry({ OTEL_METRIC_EXPORT_INTERVAL: 60_000 }, 'serve', { spanProcessors: [new BatchSpanProcessor(sink)], metricReaders: [new CollectOnShutdown()] });
    try {
      return await ingestAll(built.estate, batches);
    } finally {
      await telemetry.shutdown();
    }
  };
  // Which goes first alternates: the garbage one round leaves behind must not always fall on the same side.
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      off = Math.min(off, await ingestAll(built.estate, batches));
      on = Math.min(on, await traced());
    } else {
      on = Math.min(on, await traced());
      off = Math.min(off, await ingestAll(built.estate, batches));
    }
  }
  const offRecordsPerSec = Math.round(totalRecords / off);
  const onRecordsPerSec = Math.round(totalRecords / on);
  return { offRecordsPerSec, onRecordsPerSec, overhead: Number((1 - onRecordsPerSec / offRecordsPerSec).toFixed(3)), records: totalRecords, batches: batches.length, spansExported: sink.spans };
}
