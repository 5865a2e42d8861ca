// The Log Analytics query emulator (DESIGN.md §6) and the row mappings that feed it from raw records.
export { startLogAnalyticsEmulator } from './server.js';
export type { LogAnalyticsEmulator, LogAnalyticsEmulatorOptions } from './server.js';
export { auditRecordToAzkvRow, AZKV_AUDIT_COLUMNS } from './azkvRows.js';
export { activityRecordToAzureActivityRow, AZURE_ACTIVITY_COLUMNS } from './activityRows.js';
export { kustoDatetime, rowValues, wireValue } from './columns.js';
export type { ColumnType, LogCell, LogColumn, LogRow } from './columns.js';
export { applySteps, KqlSyntaxError, parseQuery } from './kql.js';
export type { ParsedQuery, QueryStep, TimeExpr } from './kql.js';
export { parseTimespan } from './timespan.js';
