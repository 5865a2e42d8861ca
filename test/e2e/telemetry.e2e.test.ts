// Traces and metrics through the real local stack (composition as a host builds it): a revoked member identity's
// denials go from the Event Hubs stand-in through ingestion (Table Storage on Azurite) to the ACS Email capture, and
// the batch, its state write and the email / ITSM sends are one trace; the open-incident gauge the host registers
// reads access_lost; the alert latency is recorded per channel; the host's log lines carry the trace id; and no
// attribute carries a setting's secret (ACS access key, ITSM secrets and passwords).
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../adapters/logging/logger.js';
import { startTelemetry, type Telemetry } from '../../adapters/telemetry/setup.js';
import { startLocalStack, type LocalStack } from '../../hosts/local/stack.js';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { attributeTexts, NO_EXPORT, OnDemandMetricReader } from '../support/telemetry.js';

const ESTATE = fileURLToPath(new URL('../../demo/service-estate.json', import.meta.url));
const PRIMARY = { vault: 'kv-demo-eus', principalId: '11111111-1111-4111-8111-111111111111', server: 'sql-orders-eus' };

let stack: LocalStack;
let telemetry: Telemetry;
const exporter = new InMemorySpanExporter();
const reader = new OnDemandMetricReader();
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  // Started before the host, as the hosts do: the host's gauges register with this provider.
  telemetry = await startTelemetry(NO_EXPORT, 'serve', { spanProcessors: [new SimpleSpanProcessor(exporter)], metricReaders: [reader] });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  stack = await startLocalStack({ estatePath: ESTATE, port: 0, log: createLogger('info', sink), trafficEveryMs: 0, timers: false, feedIntervalMs: 60_000 });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await telemetry?.shutdown();
});

async function points(name: string): Promise<Array<{ attributes: Record<string, unknown>; value: unknown }>> {
  const { resourceMetrics } = await reader.collect();
  return (resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }));
}

describe('observability through the local stack', () => {
  it('a revocation: batch → state write → email and ITSM sends in one trace; gauge, latency, log lines', async () => {
    await stack.traffic.tick();
    await stack.flush();
    exporter.reset();
    stack.kv.revoke(PRIMARY.vault, PRIMARY.principalId);
    await stack.traffic.tick();
    await stack.flush();
    await stack.email.waitFor((m) => m.subject.includes(PRIMARY.server), 10_000);

    const spans = exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === 'keysteward.alert.send');
    expect(sends.map((s) => s.attributes['keysteward.alert.channel']).sort()).toEqual(['email', 'itsm']);
    const batch = spans.find((s) => s.name === 'keysteward.ingest.batch' && s.spanContext().traceId === sends[0]?.spanContext().traceId);
    if (!batch) throw new Error('no batch span in the sends’ trace');
    // Every member's traffic is in the batch: the revoked one's denials, the others' successes.
    expect(batch.attributes).toMatchObject({ 'keysteward.batch.partition': 'local-0', 'keysteward.batch.alerts_claimed': 1, 'keysteward.batch.rejected': 0, 'keysteward.batch.matched': batch.attributes['keysteward.batch.records'] });
    const write = spans.find((s) => s.name === 'keysteward.state.write' && s.parentSpanContext?.spanId === batch.spanContext().spanId);
    expect(write?.attributes['keysteward.state.changed']).toBe(batch.attributes['keysteward.batch.protectors_changed']);
    for (const s of sends) {
      expect(s.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
      expect(s.attributes).toMatchObject({ 'keysteward.alert.kind': 'opened', 'keysteward.alert.incidents': 1, 'keysteward.alert.outcome': 'sent' });
    }
    expect(batch.resource.attributes).toMatchObject({ 'service.name': 'keysteward', 'keysteward.host.role': 'serve' });

    const open = Object.fromEntries((await points('keysteward.incidents.open')).map((p) => [p.attributes['keysteward.stage'], p.value]));
    expect(open).toEqual({ at_risk: 0, access_lost: 1, inaccessible: 0, autoheal_expired: 0 });
    const latency = await points('keysteward.alert.latency');
    expect(latency.map((p) => [p.attributes['keysteward.alert.channel'], (p.value as { count: number }).count]).sort()).toEqual([
      ['email', 1],
      ['itsm', 1],
    ]);
    const ingested = await points('keysteward.records.ingested');
    expect(ingested.map((p) => p.attributes['keysteward.source'])).toEqual(['keyvault-audit']);

    const sent = lines.filter((l) => l['msg'] === 'alert sent');
    expect(sent.map((l) => l['trace_id'])).toEqual(sends.map(() => batch.spanContext().traceId));

    // No setting's secret in any attribute (I8).
    const c = stack.config;
    const secrets = [c.ACS_CONNECTION_STRING?.match(/accesskey=([^;]+)/i)?.[1], c.ITSM_STANDARD_SECRETS, c.ITSM_JIRA_SECRETS, c.ITSM_JSM_TOKENS, c.SERVICENOW_PASSWORD, c.JIRA_API_TOKEN].filter((s): s is string => typeof s === 'string' && s.length > 8);
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const metricData = (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const texts = attributeTexts(spans, metricData);
    for (const secret of secrets) expect(texts.some((t) => t.includes(secret))).toBe(false);

    stack.kv.grant(PRIMARY.vault, PRIMARY.principalId, ['get', 'wrapKey', 'unwrapKey']);
    await stack.traffic.tick();
    await stack.flush();
    await stack.email.waitFor((m) => m.subject.includes('RESOLVED'), 10_000);
    const after = Object.fromEntries((await points('keysteward.incidents.open')).map((p) => [p.attributes['keysteward.stage'], p.value]));
    expect(after).toEqual({ at_risk: 0, access_lost: 0, inaccessible: 0, autoheal_expired: 0 });
  });
});
