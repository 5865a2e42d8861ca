// The OpenTelemetry SDK for a host process: tracer and meter providers, the AsyncLocalStorage context manager and
// the W3C trace-context propagator, registered globally so app/telemetry.ts (API only) records into them. Where to:
// - APPLICATIONINSIGHTS_CONNECTION_STRING set → Azure Monitor (Application Insights) exporters, from
//   @azure/monitor-opentelemetry-exporter — the exporter package, not the @azure/monitor-opentelemetry distro: the
//   distro's Node-20 releases need an sdk-node line that conflicts with the SDK pinned here, and it brings
//   auto-instrumentation keysteward does not want (HTTP bodies, Redis commands: noise, and a risk for I8);
// - else OTEL_EXPORTER_OTLP_ENDPOINT (or the traces / metrics endpoints) set → OTLP over HTTP (protobuf JSON);
// - else nothing: no provider is registered and the API stays a no-op (a span costs one function call).
// Must run before the Azure SDK clients and the logger are created, and be shut down (flushed) on exit.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/** Which host this process is: the Function App, `keysteward serve`, or `keysteward worker`. */
export type HostRole = 'functions' | 'serve' | 'worker';

/** The settings read (validated in hosts/config.ts). */
export interface TelemetrySettings {
  readonly APPLICATIONINSIGHTS_CONNECTION_STRING?: string | undefined;
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  readonly OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  readonly OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?: string | undefined;
  /** Milliseconds between metric exports. */
  readonly OTEL_METRIC_EXPORT_INTERVAL: number;
}

export type ExportTarget = 'azure-monitor' | 'otlp' | 'none';

export interface Telemetry {
  readonly target: ExportTarget;
  readonly resource: Resource | null;
  /** Flushes what is buffered and unregisters the providers (the API is a no-op again). Idempotent. */
  shutdown(): Promise<void>;
}

/** Instead of, or beside, the configured exporters (tests: an InMemorySpanExporter, an in-memory metric reader). */
export interface TelemetryOverrides {
  readonly spanProcessors?: readonly SpanProcessor[];
  readonly metricReaders?: readonly IMetricReader[];
  readonly instanceId?: string;
}

export function exportTarget(s: TelemetrySettings): ExportTarget {
  if (s.APPLICATIONINSIGHTS_CONNECTION_STRING) return 'azure-monitor';
  if (s.OTEL_EXPORTER_OTLP_ENDPOINT || s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || s.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) return 'otlp';
  return 'none';
}

/** OTLP/HTTP signal URL: the signal-specific endpoint as given, else the base endpoint + `/v1/<signal>` (the spec's rule). */
function otlpUrl(base: string | undefined, specific: string | undefined, signal: 'traces' | 'metrics'): string | undefined {
  if (specific) return specific;
  return base ? `${base.replace(/\/$/, '')}/v1/${signal}` : undefined;
}

async function exportersFor(s: TelemetrySettings, target: ExportTarget): Promise<{ spans: SpanExporter[]; metrics: PushMetricExporter[] }> {
  if (target === 'azure-monitor') {
    // Loaded only when used: the exporter package is large and most test and local runs export nothing.
    const { AzureMonitorTraceExporter, AzureMonitorMetricExporter } = await import('@azure/monitor-opentelemetry-exporter');
    const connectionString = s.APPLICATIONINSIGHTS_CONNECTION_STRING as string;
    return { spans: [new AzureMonitorTraceExporter({ connectionString })], metrics: [new AzureMonitorMetricExporter({ connectionString })] };
  }
  if (target === 'otlp') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    const tracesUrl = otlpUrl(s.OTEL_EXPORTER_OTLP_ENDPOINT, s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'traces');
    const metricsUrl = otlpUrl(s.OTEL_EXPORTER_OTLP_ENDPOINT, s.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, 'metrics');
    return {
      spans: tracesUrl ? [new OTLPTraceExporter({ url: tracesUrl })] : [],
      metrics: metricsUrl ? [new OTLPMetricExporter({ url: metricsUrl })] : [],
    };
  }
  return { spans: [], metrics: [] };
}

const NOTHING: Telemetry = { target: 'none', resource: null, shutdown: async () => undefined };

/**
 * Starts telemetry for this process as the settings say. With no exporter configured (and no overrides) nothing is
 * registered: the returned handle's shutdown does nothing and the API stays a no-op.
 */
export async function startTelemetry(settings: TelemetrySettings, role: HostRole, overrides: TelemetryOverrides = {}): Promise<Telemetry> {
  const target = exportTarget(settings);
  const injected = (overrides.spanProcessors?.length ?? 0) + (overrides.metricReaders?.length ?? 0) > 0;
  if (target === 'none' && !injected) return NOTHING;

  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: 'keysteward',
    [ATTR_SERVICE_VERSION]: process.env['npm_package_version'] ?? '0.1.0',
    [ATTR_SERVICE_INSTANCE_ID]: overrides.instanceId ?? randomUUID(),
    'host.name': hostname(),
    'keysteward.host.role': role,
  });
  const exporters = await exportersFor(settings, target);
  const spanProcessors = [...exporters.spans.map((e) => new BatchSpanProcessor(e)), ...(overrides.spanProcessors ?? [])];
  const readers: IMetricReader[] = [
    ...exporters.metrics.map((exporter) => new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: settings.OTEL_METRIC_EXPORT_INTERVAL })),
    ...(overrides.metricReaders ?? []),
  ];

  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // Sampling follows the SDK's standard variables (OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG; default parent-based always-on).
  const tracerProvider = spanProcessors.length > 0 ? new BasicTracerProvider({ resource, spanProcessors }) : null;
  if (tracerProvider) trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = readers.length > 0 ? new MeterProvider({ resource, readers }) : null;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);

  let stopped: Promise<void> | null = null;
  return {
    target,
    resource,
    shutdown: () =>
      (stopped ??= (async () => {
        // Flush first (a failing exporter must not keep the process from exiting), then unregister.
        await Promise.allSettled([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
      })()),
  };
}
