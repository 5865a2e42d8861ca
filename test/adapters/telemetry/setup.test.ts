// The telemetry setup of a host process: with no exporter configured nothing is registered (the API stays a no-op:
// no recording span, no context propagation, no trace ids in logs); with an OTLP endpoint the spans and metrics reach
// an OTLP/HTTP receiver (a local server standing in for a collector) on shutdown's flush; with an Application
// Insights connection string they reach its ingestion endpoint (a local server standing in). Settings are validated.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { context, createContextKey, metrics, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { traceFields } from '../../../adapters/logging/logger.js';
import { exportTarget, startTelemetry, type Telemetry } from '../../../adapters/telemetry/setup.js';
import { countKeyVaultThrottled, currentTraceparent, inSpan } from '../../../app/telemetry.js';
import { ConfigError, loadConfig } from '../../../hosts/config.js';
import { ensureDevCertificate, DEFAULT_CERT_DIR, type DevCertificate } from '../../../emulators/certs.js';

const BASE = { KEYSTEWARD_ESTATE: 'estate.json', STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' };

let running: Telemetry | null = null;
let server: Server | null = null;
afterEach(async () => {
  await running?.shutdown();
  running = null;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

interface Received {
  readonly path: string;
  readonly body: string;
}

/** A local HTTP(S) receiver that answers 200 and keeps each request's path and (decompressed) body. */
async function receiver(answer: (path: string) => unknown = () => ({}), tls?: DevCertificate): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(req.url ?? '')));
    });
  };
  const s: Server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handle) : createServer(handle);
  server = s;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${(s.address() as AddressInfo).port}`, received };
}

describe('no exporter configured', () => {
  it('registers nothing: spans do not record, no traceparent, no context, no trace ids in logs, no-op meters', async () => {
    const config = loadConfig(BASE);
    expect(exportTarget(config)).toBe('none');
    running = await startTelemetry(config, 'serve');
    expect(running.target).toBe('none');
    expect(running.resource).toBeNull();
    await inSpan('keysteward.test.noop', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(currentTraceparent()).toBeUndefined();
      expect(traceFields()).toEqual({});
    });
    const key = createContextKey('probe');
    expect(context.with(ROOT_CONTEXT.setValue(key, 1), () => context.active().getValue(key))).toBeUndefined();
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
    expect(trace.getTracer('x').startSpan('y').spanContext().traceId).toBe('00000000000000000000000000000000');
  });
});

describe('OTLP/HTTP', () => {
  it('spans and metrics reach the collector on the endpoint (traces at /v1/traces, metrics at /v1/metrics), with the resource', async () => {
    const collector = await receiver();
    const config = loadConfig({ ...BASE, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    expect(exportTarget(config)).toBe('otlp');
    running = await startTelemetry(config, 'worker');
    await inSpan('keysteward.test.exported', { attributes: { 'keysteward.protector': 'orders' } }, async () => undefined);
    countKeyVaultThrottled('kv-eus');
    await running.shutdown();
    const traces = collector.received.filter((r) => r.path === '/v1/traces');
    const metricPosts = collector.received.filter((r) => r.path === '/v1/metrics');
    expect(traces).toHaveLength(1);
    expect(metricPosts.length).toBeGreaterThanOrEqual(1);
    const spans = JSON.parse(traces[0]?.body ?? '{}') as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
    const resource = Object.fromEntries(spans.resourceSpans[0]?.resource.attributes.map((a) => [a.key, a.value.stringValue]) ?? []);
    expect(resource).toMatchObject({ 'service.name': 'keysteward', 'keysteward.host.role': 'worker' });
    expect(resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(spans.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)))).toEqual(['keysteward.test.exported']);
    expect(metricPosts.map((m) => m.body).join('')).toContain('keysteward.keyvault.throttled');
    // Unregistered after shutdown: the API is a no-op again.
    await inSpan('keysteward.test.after', {}, async (span) => expect(span.isRecording()).toBe(false));
  });

  it('a signal-specific endpoint is used as given', async () => {
    const collector = await receiver();
    running = await startTelemetry(loadConfig({ ...BASE, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/traces` }), 'serve');
    await inSpan('keysteward.test.custom', {}, async () => undefined);
    await running.shutdown();
    expect(collector.received.map((r) => r.path)).toEqual(['/custom/traces']);
  });
});

describe('Application Insights', () => {
  it('with a connection string, spans are sent to its ingestion endpoint by the Azure Monitor exporter', async () => {
    // The exporter sends over HTTPS only: a receiver with the dev certificate (trusted through NODE_EXTRA_CA_CERTS).
    const ingestion = await receiver(() => ({ itemsReceived: 1, itemsAccepted: 1, errors: [] }), await ensureDevCertificate(DEFAULT_CERT_DIR));
    const config = loadConfig({ ...BASE, APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=${ingestion.url}/` });
    expect(exportTarget(config)).toBe('azure-monitor');
    running = await startTelemetry(config, 'functions');
    await inSpan('keysteward.test.appinsights', {}, async () => undefined);
    await running.shutdown();
    const tracked = ingestion.received.filter((r) => r.path.startsWith('/v2.1/track')).map((r) => r.body).join('\n');
    expect(tracked).toContain('keysteward.test.appinsights');
  });
});

describe('settings', () => {
  it('are validated like every other setting, naming the variable', () => {
    expect(() => loadConfig({ ...BASE, APPLICATIONINSIGHTS_CONNECTION_STRING: 'not-a-connection-string' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, APPLICATIONINSIGHTS_CONNECTION_STRING: 'x' })).toThrow(/APPLICATIONINSIGHTS_CONNECTION_STRING/);
    expect(() => loadConfig({ ...BASE, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadConfig({ ...BASE, OTEL_METRIC_EXPORT_INTERVAL: '0' })).toThrow(/OTEL_METRIC_EXPORT_INTERVAL/);
    expect(loadConfig(BASE).OTEL_METRIC_EXPORT_INTERVAL).toBe(60_000);
  });
});
