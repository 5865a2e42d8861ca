// Traces and metrics of ingestion and alerting, read back from the SDK's in-memory exporter and an on-demand metric
// reader through the real setup (adapters/telemetry/setup.ts): one Event Hubs batch is one trace — the batch span,
// its state-write span and the alert-send span — with the documented attributes; an alert the sweep delivers later
// joins the trace of the batch that raised it; the record counters, the alert latency, the open-incident gauge are
// exact for a known input; a log line written inside a span carries its trace and span ids.
import { Writable } from 'node:stream';
import { SpanKind, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../adapters/logging/logger.js';
import { dispatchPending } from '../../app/alerts.js';
import { ingestMessages } from '../../app/ingestion.js';
import { sweep } from '../../app/sweep.js';
import { IncidentTally, inSpan, observeOpenIncidents } from '../../app/telemetry.js';
import { OPEN_STAGES } from '../../domain/alerts/policy.js';
import { harness, message } from '../support/appHarness.js';
import { contoso, readFixture } from '../support/estates.js';
import { useTelemetry } from '../support/telemetry.js';

const telemetry = useTelemetry('serve');
const estate = contoso();
const denial = readFixture('keyvault-audit/unwrap-forbidden-rbac.envelope.json');
const roleDelete = readFixture('activity-log/role-assignment-delete.envelope.json');

/** A pino logger writing JSON lines into an array (the production logger, another destination). */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}

describe('a batch is one trace: batch → state write → alert send', () => {
  it('the spans, their parentage and attributes; the "alert sent" log line carries the send span ids', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    const { log, lines } = capturedLogger();
    const deps = { ...h.deps, log, alerts: { ...h.alerts, log } };
    const summary = await ingestMessages(deps, [message(roleDelete, '3'), message(denial, '3'), message('not json {', '3')]);
    expect(summary).toMatchObject({ records: 3, matched: 2, rejected: 1, protectorsChanged: 1, alertsClaimed: 1 });

    const t = telemetry();
    const [batch] = t.spans('keysteward.ingest.batch');
    const [write] = t.spans('keysteward.state.write');
    const [send] = t.spans('keysteward.alert.send');
    expect(t.spans().map((s) => s.name).sort()).toEqual(['keysteward.alert.send', 'keysteward.ingest.batch', 'keysteward.state.write']);
    if (!batch || !write || !send) throw new Error('missing spans');

    const traceId = batch.spanContext().traceId;
    expect(batch.parentSpanContext).toBeUndefined();
    expect(batch.kind).toBe(SpanKind.CONSUMER);
    expect(batch.attributes).toEqual({
      'keysteward.batch.messages': 3,
      'keysteward.batch.partition': '3',
      'keysteward.batch.records': 3,
      'keysteward.batch.matched': 2,
      'keysteward.batch.ignored': 0,
      'keysteward.batch.rejected': 1,
      'keysteward.batch.protectors_changed': 1,
      'keysteward.batch.conflicts': 0,
      'keysteward.batch.alerts_claimed': 1,
    });
    expect(write.spanContext().traceId).toBe(traceId);
    expect(write.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    expect(write.attributes).toEqual({ 'keysteward.state.protectors': 1, 'keysteward.state.changed': 1, 'keysteward.state.conflicts': 0 });
    expect(send.spanContext().traceId).toBe(traceId);
    expect(send.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.attributes).toEqual({ 'keysteward.alert.channel': 'capture', 'keysteward.alert.kind': 'opened', 'keysteward.alert.incidents': 1, 'keysteward.alert.outcome': 'sent' });
    expect(send.resource.attributes).toMatchObject({ 'service.name': 'keysteward', 'service.instance.id': 'test-instance', 'keysteward.host.role': 'serve' });

    const sent = lines.find((l) => l['msg'] === 'alert sent');
    expect(sent).toMatchObject({ trace_id: traceId, span_id: send.spanContext().spanId });
    const rejected = lines.find((l) => l['msg'] === 'records rejected to the poison table');
    expect(rejected).toMatchObject({ trace_id: traceId, span_id: batch.spanContext().spanId });
  });

  it('an alert left pending (its channel down) is sent by a later sweep under the trace of the batch that raised it', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    h.notifier.failNext = 1;
    await ingestMessages(h.deps, [message(roleDelete), message(denial)]);
    const t = telemetry();
    const [batch] = t.spans('keysteward.ingest.batch');
    const stored = (await h.ledger.pending(10))[0];
    expect(stored?.traceparent).toBe(`00-${batch?.spanContext().traceId}-${batch?.spanContext().spanId}-01`);

    h.setNow('2026-03-03T02:19:00Z');
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    const sends = t.spans('keysteward.alert.send');
    expect(sends.map((s) => s.attributes['keysteward.alert.outcome'])).toEqual(['failed', 'sent']);
    for (const s of sends) {
      expect(s.spanContext().traceId).toBe(batch?.spanContext().traceId);
      expect(s.parentSpanContext?.spanId).toBe(batch?.spanContext().spanId);
    }
    expect(sends[0]?.status.code).toBe(0); // a failed send is an outcome, recorded as such, not a thrown error
  });
});

describe('metrics', () => {
  it('records ingested by source, rejected by source and reason (the reason before any detail)', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    await ingestMessages(h.deps, [message(roleDelete), message(denial), message('not json {'), message({ records: [{ what: 'nothing we know' }, { what: 'still nothing' }] })]);
    await ingestMessages(h.deps, [message(denial)]);
    const t = telemetry();
    const byAttrs = (points: Array<{ attributes: Record<string, unknown>; value: number }>) => points.map((p) => [p.attributes, p.value]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(byAttrs(await t.points('keysteward.records.ingested'))).toEqual([
      [{ 'keysteward.source': 'activity-log' }, 1],
      [{ 'keysteward.source': 'keyvault-audit' }, 2],
    ]);
    expect(byAttrs(await t.points('keysteward.records.rejected'))).toEqual([
      [{ 'keysteward.source': 'unknown', 'keysteward.reason': 'invalid JSON' }, 1],
      [{ 'keysteward.source': 'unknown', 'keysteward.reason': 'unrecognised record' }, 2],
    ]);
    expect((await t.metric('keysteward.records.ingested'))?.descriptor.unit).toBe('{record}');
  });

  it('alert latency: from the moment access was lost to the channel accepting the alert, per channel and kind', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    await ingestMessages(h.deps, [message(roleDelete), message(denial)]);
    const t = telemetry();
    // accessLostAt is the denial's time, 02:17:45.903Z (the fixture); the alert went out at the clock's 02:18:30Z.
    expect(h.notifier.sent[0]?.incidents[0]?.accessLostAt).toBe('2026-03-03T02:17:45.903Z');
    expect(await t.histogram('keysteward.alert.latency')).toEqual([{ attributes: { 'keysteward.alert.channel': 'capture', 'keysteward.alert.kind': 'opened' }, value: { count: 1, sum: 44.097 } }]);
    expect((await t.metric('keysteward.alert.latency'))?.descriptor.unit).toBe('s');

    // Sent late (the channel was down until a sweep 90 s later): the wait is part of the latency.
    const late = harness(estate, '2026-03-03T02:18:30Z');
    late.notifier.failNext = 1;
    await ingestMessages(late.deps, [message(roleDelete), message(denial)]);
    late.setNow('2026-03-03T02:20:00Z');
    await dispatchPending(late.alerts);
    expect(await t.histogram('keysteward.alert.latency')).toEqual([{ attributes: { 'keysteward.alert.channel': 'capture', 'keysteward.alert.kind': 'opened' }, value: { count: 2, sum: 44.097 + 134.097 } }]);
  });

  it('open incidents by stage: set by ingestion, moved on by the sweep as time passes, every stage reported', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    const tally = new IncidentTally();
    const gauge = observeOpenIncidents(() => tally.byStage(), OPEN_STAGES);
    const t = telemetry();
    const stages = async () => Object.fromEntries((await t.points('keysteward.incidents.open')).map((p) => [p.attributes['keysteward.stage'], p.value]));
    expect(await stages()).toEqual({ at_risk: 0, access_lost: 0, inaccessible: 0, autoheal_expired: 0 });
    await ingestMessages({ ...h.deps, incidentTally: tally }, [message(roleDelete), message(denial)]);
    expect(await stages()).toEqual({ at_risk: 0, access_lost: 1, inaccessible: 0, autoheal_expired: 0 });
    // inaccessibleAfter PT10M after 02:17:45.903Z.
    h.setNow('2026-03-03T02:28:00Z');
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts, incidentTally: tally });
    expect(await stages()).toEqual({ at_risk: 0, access_lost: 0, inaccessible: 1, autoheal_expired: 0 });
    gauge.stop();
  });
});

describe('log lines', () => {
  it('a line logged inside a span carries its trace_id and span_id; outside any span, neither', async () => {
    const { log, lines } = capturedLogger();
    let ids: { traceId: string; spanId: string } | undefined;
    await inSpan('keysteward.test.operation', {}, async () => {
      ids = trace.getActiveSpan()?.spanContext();
      log.info({ step: 1 }, 'inside');
    });
    log.info({ step: 2 }, 'outside');
    expect(ids?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]).toMatchObject({ msg: 'inside', trace_id: ids?.traceId, span_id: ids?.spanId });
    expect(lines[1]?.['msg']).toBe('outside');
    expect(lines[1]).not.toHaveProperty('trace_id');
    expect(telemetry().spans('keysteward.test.operation')).toHaveLength(1);
  });
});
