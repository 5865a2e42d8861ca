// Reconcile reader (DESIGN.md §2, app/ports.ts AuditLogReader): re-reads recent Key Vault audit and activity
// records from Log Analytics with @azure/monitor-query-logs and returns them in the raw Event Hubs shapes, so
// reconcile feeds them through the same ingestion as the live stream and the fold dedupes what it already saw.
// The endpoint replaces the client's whole base URL: it must include `/v1` (azure-formats.md §6.2, §8.9).
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { isRestError } from '@azure/core-rest-pipeline';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import type { LogsQueryClientOptions, LogsTable } from '@azure/monitor-query-logs';
import type { AuditLogReader, Logger } from '../../app/ports.js';
import { createLogger } from '../logging/logger.js';
import { rowToActivityRecord } from './activityRows.js';
import { rowToAuditRecord } from './auditRows.js';
import type { ColumnRow } from './cells.js';

export const DEFAULT_LOG_ANALYTICS_ENDPOINT = 'https://api.loganalytics.io/v1';

export interface AuditLogReaderOptions {
  readonly credential: TokenCredential;
  /** Base URL including the API version segment; default https://api.loganalytics.io/v1. */
  readonly endpoint?: string;
  readonly workspaceId: string;
  readonly additionalPolicies?: ReadonlyArray<{ readonly policy: PipelinePolicy; readonly position: 'perCall' | 'perRetry' }>;
  /** Receives the PartialFailure warnings; default: the service logger at warn level. */
  readonly log?: Logger;
  readonly serverTimeoutInSeconds?: number;
  /** SDK retries per query (default: the SDK's 3, exponential back-off). */
  readonly maxRetries?: number;
}

export class LogAnalyticsQueryError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'LogAnalyticsQueryError';
  }
}

const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const safe = (v: unknown): string | undefined => (typeof v === 'string' && SAFE_CODE.test(v) ? v : undefined);

/**
 * A query failure without the request: SDK errors hold the request, whose Authorization header carries the
 * bearer token (I8). Keeps the status, the service's error code and its inner code (e.g. SemanticError).
 */
function normalise(table: string, err: unknown): LogAnalyticsQueryError {
  if (isRestError(err)) {
    const details = (err as { details?: { error?: { code?: unknown; innererror?: { code?: unknown } } } }).details;
    const code = safe(err.code) ?? safe(details?.error?.code);
    const inner = safe(details?.error?.innererror?.code);
    const what = err.statusCode === undefined ? `request failed${code ? ` (${code})` : ''}` : `HTTP ${err.statusCode}${code ? ` ${code}` : ''}${inner ? `/${inner}` : ''}`;
    return new LogAnalyticsQueryError(`Log Analytics query of ${table} failed: ${what}`, err.statusCode, code);
  }
  const name = err instanceof Error ? err.name : typeof err;
  return new LogAnalyticsQueryError(`Log Analytics query of ${table} failed: ${name}`, undefined, undefined);
}

function rowsOf(table: LogsTable | undefined): ColumnRow[] {
  if (!table) return [];
  const names = table.columnDescriptors.map((c) => c.name ?? '');
  return table.rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
}

/** A KQL datetime literal; ISO with milliseconds, as Kusto reads it. */
const kqlTime = (ms: number): string => `datetime(${new Date(ms).toISOString()})`;

export function createAuditLogReader(options: AuditLogReaderOptions): AuditLogReader {
  const clientOptions: LogsQueryClientOptions = {
    endpoint: options.endpoint ?? DEFAULT_LOG_ANALYTICS_ENDPOINT,
    ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies.map((p) => ({ policy: p.policy, position: p.position })) } : {}),
    ...(options.maxRetries !== undefined ? { retryOptions: { maxRetries: options.maxRetries } } : {}),
  };
  const client = new LogsQueryClient(options.credential, clientOptions);
  const log = options.log ?? createLogger('warn');

  async function query(table: 'AZKVAuditLogs' | 'AzureActivity', sinceMs: number, untilMs: number): Promise<ColumnRow[]> {
    if (!Number.isFinite(sinceMs) || !Number.isFinite(untilMs) || sinceMs > untilMs) throw new RangeError('sinceMs and untilMs must be finite with sinceMs <= untilMs');
    // Both bounds inclusive: `between` is, and the timespan (end-exclusive) ends one millisecond after untilMs.
    // Overlapping windows of successive runs are harmless: the fold dedupes by event id.
    const kql = `${table} | where TimeGenerated between (${kqlTime(sinceMs)} .. ${kqlTime(untilMs)}) | order by TimeGenerated asc`;
    let result;
    try {
      result = await client.queryWorkspace(options.workspaceId, kql, { startTime: new Date(sinceMs), endTime: new Date(untilMs + 1) }, {
        ...(options.serverTimeoutInSeconds !== undefined ? { serverTimeoutInSeconds: options.serverTimeoutInSeconds } : {}),
      });
    } catch (err) {
      throw normalise(table, err);
    }
    if (result.status === LogsQueryResultStatus.PartialFailure) {
      // Partial data is still data: reconcile is a gap-filler, and what is missing now is re-read next run.
      log.warn({ table, code: safe(result.partialError.code) ?? 'unknown', rows: result.partialTables[0]?.rows.length ?? 0 }, 'Log Analytics returned a partial result; using the partial tables');
      return rowsOf(result.partialTables[0]);
    }
    return rowsOf(result.tables[0]);
  }

  return {
    async recentAuditRecords(sinceMs, untilMs) {
      return (await query('AZKVAuditLogs', sinceMs, untilMs)).map(rowToAuditRecord);
    },
    async recentActivityRecords(sinceMs, untilMs) {
      return (await query('AzureActivity', sinceMs, untilMs)).map(rowToActivityRecord);
    },
  };
}
