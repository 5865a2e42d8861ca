export { createAuditLogReader, DEFAULT_LOG_ANALYTICS_ENDPOINT, LogAnalyticsQueryError } from './auditLogReader.js';
export type { AuditLogReaderOptions } from './auditLogReader.js';
export { rowToAuditRecord } from './auditRows.js';
export { rowToActivityRecord } from './activityRows.js';
export type { ColumnRow } from './cells.js';
