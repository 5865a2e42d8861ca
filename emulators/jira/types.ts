// The public shapes of the Jira Cloud / Jira Service Management emulator (emulators/jira/index.ts re-exports them).
// Everything returned by the emulator is a copy: callers cannot change its state except through these methods.

export interface JiraUser {
  readonly email: string;
  /** A secret: never logged, never echoed in an error. */
  readonly apiToken: string;
  /** Default: a stable 24-hex id derived from the email (Jira Cloud account ids are opaque). */
  readonly accountId?: string;
  /** Default: the email's local part. */
  readonly displayName?: string;
}

/** Default issue types: ['Change', 'Incident', 'Task']. Only `serviceDesk` projects have JSM approvals. */
export interface JiraProject {
  readonly key: string;
  readonly name?: string;
  readonly serviceDesk?: boolean;
  readonly issueTypes?: readonly string[];
}

export interface JiraFieldDef {
  readonly id: string;
  readonly name: string;
  readonly type: 'string' | 'option' | 'datetime';
}

export type ApprovalDecision = 'pending' | 'approved' | 'declined';

export interface EmulatedComment {
  readonly id: string;
  /** The author's accountId. */
  readonly author: string;
  /** Plain text of the ADF body: text nodes concatenated, paragraphs separated by "\n". */
  readonly text: string;
  /** The ADF document as posted. */
  readonly body: unknown;
  readonly created: string;
}

export interface EmulatedIssue {
  readonly id: string;
  readonly key: string;
  readonly project: string;
  readonly issueType: string;
  readonly summary: string;
  readonly status: string;
  readonly labels: readonly string[];
  /** Custom fields by id, as GET issue renders them (options as `{self,value,id}`, datetimes in Jira format). */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly approvals: ReadonlyArray<{ readonly id: string; readonly name: string; readonly decision: ApprovalDecision }>;
  readonly comments: readonly EmulatedComment[];
  readonly created: string;
  readonly updated: string;
}

export interface ApiRequestLog {
  readonly at: number;
  readonly method: string;
  /** The path without its query string. */
  readonly path: string;
  /** The authenticated user's email; null when the request was not authenticated. */
  readonly user: string | null;
  readonly status: number;
}

export interface WebhookDelivery {
  readonly at: number;
  readonly url: string;
  readonly identifier: string;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  /** The receiver's status; null when the connection failed. */
  readonly status: number | null;
  readonly error?: string;
}

export interface JiraEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly users: readonly JiraUser[];
  readonly projects: readonly JiraProject[];
  readonly fields?: readonly JiraFieldDef[];
  /** Epoch milliseconds: timestamps, rate windows, webhook payload timestamps. */
  readonly clock?: () => number;
  /** REST requests per user per rolling minute before 429. Off when absent. */
  readonly rateLimitPerMinute?: number;
  /** Pause between webhook delivery attempts (default 1000 ms; tests set it short). */
  readonly webhookRetryDelayMs?: number;
}

export interface CreateIssueInput {
  readonly project: string;
  readonly issueType?: string;
  readonly summary: string;
  readonly status?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly labels?: readonly string[];
  readonly approvals?: ReadonlyArray<{ readonly name?: string; readonly decision?: ApprovalDecision }>;
}

export interface UpdateIssuePatch {
  readonly status?: string;
  readonly summary?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export interface FireWebhookInput {
  readonly url: string;
  /** A secret: it signs the body and is never logged. */
  readonly secret: string;
  readonly issueKey: string;
  readonly event?: string;
  readonly identifier?: string;
  readonly retries?: number;
}

export type FireWebhookResult = { readonly status: number; readonly body: string } | { readonly error: string };

export interface JiraEmulator {
  /** https://localhost:<port> (no trailing slash). */
  readonly url: string;
  readonly port: number;
  createIssue(input: CreateIssueInput): { readonly id: string; readonly key: string };
  updateIssue(key: string, patch: UpdateIssuePatch): void;
  /** Records a decision on approval `index` (default the first pending one). */
  decide(key: string, decision: 'approved' | 'declined', index?: number): void;
  issue(key: string): EmulatedIssue | null;
  issues(): EmulatedIssue[];
  comments(key: string): EmulatedComment[];
  /** The next `count` REST requests (all until cleared when absent) answer `status`; null clears. */
  outage(fault: { readonly status: number; readonly count?: number } | null): void;
  requests(): ApiRequestLog[];
  /** Posts an admin webhook as Jira Cloud does; retries 5xx / connection failures up to `retries` times (default 0) with the same identifier. */
  fireWebhook(input: FireWebhookInput): Promise<FireWebhookResult>;
  deliveries(): WebhookDelivery[];
  close(): Promise<void>;
}
