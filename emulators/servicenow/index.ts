// The ServiceNow Table API emulator: start it with the dev certificate, point keysteward's ServiceNow adapter at
// `url` with a user's name and password (or an OAuth client), seed change requests with createChange, approve them
// with updateRecord, and let sendRotationRequest play the business-rule script against keysteward's receiver.
export { startServiceNowEmulator } from './server.js';
export type {
  ApiRequestLog,
  JournalEntry,
  OutboundLogEntry,
  SendRotationRequestInput,
  SendRotationRequestResult,
  ServiceNowEmulator,
  ServiceNowEmulatorOptions,
  ServiceNowOAuthClient,
  ServiceNowRecord,
  ServiceNowUser,
} from './types.js';
