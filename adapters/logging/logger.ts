// pino behind the app's Logger port. Redaction is a second line of defence: the code never logs secrets, and
// any field named like one is censored anyway (I8).
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino } from 'pino';
import type { Logger } from '../../app/ports.js';

const REDACT = [
  '*.connectionString', '*.accessKey', '*.secret', '*.token', '*.authorization', '*.password',
  '*.key_material', '*.plaintext', '*.value', '*.wrappedKey', 'connectionString', 'secret', 'token', 'authorization',
];

/**
 * The ids of the active span, so a log line can be found from its trace and back (`trace_id`, `span_id`, as the
 * OpenTelemetry log data model names them). Nothing without a recording span (telemetry off: one lookup, no fields).
 */
export function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ctx = span.spanContext();
  return isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const log = pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'keysteward' }, mixin: traceFields }, destination ?? process.stderr);
  return {
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
    error: (fields, message) => log.error(fields, message),
  };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
