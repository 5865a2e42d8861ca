// Telemetry for tests: the real setup (adapters/telemetry/setup.ts) with the SDK's in-memory span exporter and a
// metric reader collected on demand, started before each test and shut down after it, so each test sees its own
// spans and cumulative metrics from zero. Spans are exported as each ends (SimpleSpanProcessor).
import { afterEach, beforeEach } from 'vitest';
import type { Attributes } from '@opentelemetry/api';
import { MetricReader, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type HostRole, type Telemetry } from '../../adapters/telemetry/setup.js';

/** Collects only when asked (no timer): a test reads exact cumulative values at the point it chooses. */
export class OnDemandMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface Point<V> {
  readonly attributes: Attributes;
  readonly value: V;
}

export interface TestTelemetry {
  readonly telemetry: Telemetry;
  readonly exporter: InMemorySpanExporter;
  spans(name?: string): ReadableSpan[];
  metric(name: string): Promise<MetricData | undefined>;
  /** A counter's or gauge's points, as `{ attributes, value }`. */
  points(name: string): Promise<Array<Point<number>>>;
  /** A histogram's points: count and sum per attribute set. */
  histogram(name: string): Promise<Array<Point<{ count: number; sum: number }>>>;
}

export const NO_EXPORT = { OTEL_METRIC_EXPORT_INTERVAL: 60_000 } as const;

export function useTelemetry(role: HostRole = 'serve'): () => TestTelemetry {
  let current: TestTelemetry | null = null;
  beforeEach(async () => {
    const exporter = new InMemorySpanExporter();
    const reader = new OnDemandMetricReader();
    const telemetry = await startTelemetry(NO_EXPORT, role, { spanProcessors: [new SimpleSpanProcessor(exporter)], metricReaders: [reader], instanceId: 'test-instance' });
    const metric = async (name: string): Promise<MetricData | undefined> => {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`metric collection failed: ${errors.map(String).join('; ')}`);
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    };
    current = {
      telemetry,
      exporter,
      spans: (name) => exporter.getFinishedSpans().filter((s) => name === undefined || s.name === name),
      metric,
      points: async (name) => ((await metric(name))?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: (p as DataPoint<number>).value })),
      histogram: async (name) =>
        ((await metric(name))?.dataPoints ?? []).map((p) => {
          const h = (p as DataPoint<Histogram>).value;
          return { attributes: p.attributes, value: { count: h.count, sum: h.sum ?? 0 } };
        }),
    };
  });
  afterEach(async () => {
    await current?.telemetry.shutdown();
    current = null;
  });
  return () => {
    if (current === null) throw new Error('useTelemetry(): call the getter inside a test');
    return current;
  };
}

/** Every attribute value of the spans (their events and links too), the metric points and the resource, as text. */
export function attributeTexts(spans: readonly ReadableSpan[], metrics: readonly MetricData[] = []): string[] {
  const values = (a: Attributes | undefined): string[] => Object.values(a ?? {}).map((v) => (Array.isArray(v) ? v.join(' ') : String(v)));
  return [
    ...spans.flatMap((s) => [s.name, ...values(s.attributes), ...values(s.resource.attributes), ...s.events.flatMap((e) => values(e.attributes)), ...s.links.flatMap((l) => values(l.attributes)), s.status.message ?? '']),
    ...metrics.flatMap((m) => m.dataPoints.flatMap((p) => values(p.attributes))),
  ];
}
