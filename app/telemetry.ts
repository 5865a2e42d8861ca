// Traces and metrics of the use cases, through the OpenTelemetry API only. The API is a no-op until a host
// registers an SDK (adapters/telemetry/setup.ts): with nothing configured every call here returns at once and
// records nothing. What is emitted is listed in README.md "Observability"; a name or attribute changed here must be
// changed there. Invariant (I8): attributes carry ids, names, counts and outcomes only — never key material, wrapped
// DEKs, tokens, secrets or message bodies.
import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Link,
  type MeterProvider,
  type ObservableGauge,
  type ObservableResult,
  type Span,
} from '@opentelemetry/api';

export { SpanKind };

/** Instrumentation scope of every span and instrument. */
export const INSTRUMENTATION_SCOPE = 'keysteward';

/** W3C trace-context `traceparent` (version 00): an id, not a secret; it may travel in job data and ledger rows. */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && TRACEPARENT.test(value);
}

/** The active span's context as a `traceparent`, or undefined when no span is recording (no SDK, not sampled). */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return isTraceparent(carrier['traceparent']) ? carrier['traceparent'] : undefined;
}

/** A context whose parent is the span a stored `traceparent` names; the root context when it names none. */
export function contextOf(traceparent: string | undefined): Context {
  return isTraceparent(traceparent) ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** A link to the span a stored `traceparent` names (an alert sent later by a sweep links to the batch that raised it). */
export function linkTo(traceparent: string | undefined): Link | null {
  if (!isTraceparent(traceparent)) return null;
  const spanContext = trace.getSpanContext(contextOf(traceparent));
  return spanContext ? { context: spanContext } : null;
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: readonly Link[];
  /** The parent (default: the active context). */
  readonly parent?: Context;
}

/**
 * Runs `fn` inside a span made active for it (so its log lines and child spans carry its ids). A thrown error sets
 * the span's status to ERROR with the error's class as `error.type` and is rethrown; the span always ends.
 */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(INSTRUMENTATION_SCOPE);
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}), ...(options.links ? { links: [...options.links] } : {}) },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.setAttribute('error.type', err instanceof Error ? err.name : typeof err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err instanceof Error ? err.message : String(err)).slice(0, 200) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Adds attributes to the active span, if any is recording (a use case annotating the span its host opened). */
export function annotate(attributes: Attributes): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.setAttributes(attributes);
}

/** The instruments, created once per registered MeterProvider (before any is registered, the API's no-ops). */
interface Instruments {
  readonly recordsIngested: Counter;
  readonly recordsRejected: Counter;
  readonly alertLatency: Histogram;
  readonly stepDuration: Histogram;
  readonly keyVaultThrottled: Counter;
}

const byProvider = new WeakMap<MeterProvider, Instruments>();

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  let found = byProvider.get(provider);
  if (!found) {
    const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
    found = {
      recordsIngested: meter.createCounter('keysteward.records.ingested', { unit: '{record}', description: 'Records read from a delivery and accepted (applied, or ignored as not ours), by source' }),
      recordsRejected: meter.createCounter('keysteward.records.rejected', { unit: '{record}', description: 'Records stored in the poison table, by source and reason' }),
      alertLatency: meter.createHistogram('keysteward.alert.latency', {
        unit: 's',
        description: 'From the time a transition took effect (incident opened, stage reached, resolved) to the channel accepting its alert',
        advice: { explicitBucketBoundaries: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800] },
      }),
      stepDuration: meter.createHistogram('keysteward.rotation.step.duration', {
        unit: 's',
        description: 'One execution of a rotation step by a worker, by step kind and outcome',
        advice: { explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] },
      }),
      keyVaultThrottled: meter.createCounter('keysteward.keyvault.throttled', { unit: '{response}', description: 'HTTP 429 responses from Key Vault, by vault' }),
    };
    byProvider.set(provider, found);
  }
  return found;
}

/** The bounded label of a rejection reason: its text before any detail (`normaliser error: …` → `normaliser error`). */
export function reasonLabel(reason: string): string {
  return (reason.split(':')[0] ?? reason).trim().slice(0, 60) || 'unknown';
}

/** One batch's record counts: `accepted` by source, `rejected` by source and reason. One add per label set. */
export function countRecords(accepted: ReadonlyMap<string, number>, rejected: ReadonlyMap<string, number>): void {
  const i = instruments();
  for (const [source, n] of accepted) i.recordsIngested.add(n, { 'keysteward.source': source });
  for (const [key, n] of rejected) {
    const [source, reason] = key.split('\u0000') as [string, string];
    i.recordsRejected.add(n, { 'keysteward.source': source, 'keysteward.reason': reason });
  }
}

/** The key `countRecords` reads a rejection under. */
export const rejectionKey = (source: string, reason: string): string => `${source}\u0000${reasonLabel(reason)}`;

export function recordAlertLatency(seconds: number, channel: string, kind: string): void {
  instruments().alertLatency.record(Math.max(0, seconds), { 'keysteward.alert.channel': channel, 'keysteward.alert.kind': kind });
}

export function recordStepDuration(seconds: number, kind: string, outcome: string): void {
  instruments().stepDuration.record(Math.max(0, seconds), { 'keysteward.step.kind': kind, 'keysteward.step.outcome': outcome });
}

export function countKeyVaultThrottled(vault: string): void {
  instruments().keyVaultThrottled.add(1, { 'keysteward.vault': vault });
}

/** An observation registered with the current MeterProvider; `stop` removes its callback. */
export interface Observation {
  stop(): void;
}

function observe(name: string, options: { unit: string; description: string }, callback: (result: ObservableResult) => void | Promise<void>): Observation {
  const gauge: ObservableGauge = metrics.getMeterProvider().getMeter(INSTRUMENTATION_SCOPE).createObservableGauge(name, options);
  gauge.addCallback(callback);
  return { stop: () => gauge.removeCallback(callback) };
}

/** `keysteward.incidents.open`: open incidents by stage, read from what the service last judged (IncidentTally). */
export function observeOpenIncidents(byStage: () => ReadonlyMap<string, number>, stages: readonly string[]): Observation {
  return observe('keysteward.incidents.open', { unit: '{incident}', description: 'Open incidents by stage, as this instance last judged them (ingestion and sweep)' }, (result) => {
    const counts = byStage();
    // Every stage is reported, 0 included: a stage that emptied must drop to 0, not keep its last value.
    for (const stage of stages) result.observe(counts.get(stage) ?? 0, { 'keysteward.stage': stage });
  });
}

export interface QueueDepth {
  readonly queue: string;
  readonly state: 'waiting' | 'active' | 'delayed';
  readonly count: number;
}

/** `keysteward.queue.depth`: jobs per queue and state, read from the queue at each collection. */
export function observeQueueDepth(read: () => Promise<readonly QueueDepth[]>): Observation {
  return observe('keysteward.queue.depth', { unit: '{job}', description: 'BullMQ jobs waiting, active and delayed, per queue' }, async (result) => {
    // An unreachable Redis is reported by health; here it means no observation this time, not a failed export.
    const depths = await read().catch(() => []);
    for (const d of depths) result.observe(d.count, { 'keysteward.queue': d.queue, 'keysteward.queue.state': d.state });
  });
}

/**
 * Open incidents per protector as last judged by this instance: ingestion sets a protector's when it changes, the
 * sweep when it judges it. The gauge sums them at collection. Holds only protectors with an open incident.
 */
export class IncidentTally {
  private readonly byProtector = new Map<string, ReadonlyMap<string, number>>();

  /** Records a protector's incidents as just derived (all of them: resolved ones count for nothing). */
  set(protector: string, incidents: readonly { readonly stage: string }[]): void {
    const open = new Map<string, number>();
    for (const i of incidents) if (i.stage !== 'resolved') open.set(i.stage, (open.get(i.stage) ?? 0) + 1);
    if (open.size === 0) this.byProtector.delete(protector);
    else this.byProtector.set(protector, open);
  }

  byStage(): Map<string, number> {
    const total = new Map<string, number>();
    for (const stages of this.byProtector.values()) for (const [stage, n] of stages) total.set(stage, (total.get(stage) ?? 0) + n);
    return total;
  }
}
