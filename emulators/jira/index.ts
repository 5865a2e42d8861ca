// The Jira Cloud / Jira Service Management emulator: start it with the dev certificate, point keysteward's Jira
// adapter at `url` with a user's email and API token, seed issues with createIssue, and let fireWebhook play Jira's
// admin webhook against keysteward's receiver.
export { startJiraEmulator } from './server.js';
export type {
  ApiRequestLog,
  ApprovalDecision,
  CreateIssueInput,
  EmulatedComment,
  EmulatedIssue,
  FireWebhookInput,
  FireWebhookResult,
  JiraEmulator,
  JiraEmulatorOptions,
  JiraFieldDef,
  JiraProject,
  JiraUser,
  UpdateIssuePatch,
  WebhookDelivery,
} from './types.js';
export { adfFromText, adfText } from './adf.js';
