// The public shapes of the ServiceNow Table API emulator (emulators/servicenow/index.ts re-exports them).
// Everything the emulator returns is a copy: callers change its state only through these methods.

export interface ServiceNowUser {
  /** The user_name, also the name recorded in sys_created_by / sys_updated_by and the request log. */
  readonly name: string;
  /** A secret: never logged, never echoed in an error. */
  readonly password: string;
  /** 'itil' or 'admin' may read and write change_request / incident; 'admin' may also write cmdb_ci / sys_user. */
  readonly roles?: readonly string[];
}

/** An OAuth application registry entry; its tokens act as `user` (which must be one of `users`). */
export interface ServiceNowOAuthClient {
  readonly clientId: string;
  /** A secret: never logged, never echoed in an error. */
  readonly clientSecret: string;
  readonly user: string;
}

/** Every field a string, as the Table API returns them with sysparm_display_value=false (journal fields read ""). */
export type ServiceNowRecord = Readonly<Record<string, string>>;

export interface JournalEntry {
  readonly element: 'work_notes' | 'comments';
  readonly value: string;
  /** `YYYY-MM-DD HH:mm:ss` UTC, as sys_created_on. */
  readonly createdOn: string;
  readonly createdBy: string;
}

export interface ApiRequestLog {
  readonly at: number;
  readonly method: string;
  /** The path without its query string. */
  readonly path: string;
  /** The acting user's name; null when the request was not authenticated. Never a password or token. */
  readonly user: string | null;
  readonly status: number;
}

export interface OutboundLogEntry {
  readonly at: number;
  readonly url: string;
  readonly webhookId: string;
  /** The receiver's status; null when the request failed (connection refused, timeout). */
  readonly status: number | null;
  readonly error?: string;
}

export interface ServiceNowEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** 0 / absent: a free port; 127.0.0.1 only. */
  readonly port?: number;
  /** At least one. Each also gets a sys_user row (user_name = name). */
  readonly users: readonly ServiceNowUser[];
  readonly oauthClients?: readonly ServiceNowOAuthClient[];
  /** Epoch ms, default Date.now: record times, token expiry, rate windows, the sender's timestamps. */
  readonly clock?: () => number;
  /** Table API requests per user per rolling minute before 429; off when absent. */
  readonly rateLimitPerMinute?: number;
  /** OAuth access token lifetime, default 1799. */
  readonly tokenTtlSeconds?: number;
}

export interface SendRotationRequestInput {
  readonly url: string;
  /** A secret (`whsec_<base64>` or any other string): it signs the body and is never logged. */
  readonly secret: string;
  /** The change_request's number or sys_id. */
  readonly change: string;
  readonly protector: string;
  readonly action?: 'rotate' | 'dry-run';
  readonly webhookId?: string;
  /** Unix seconds for webhook-timestamp; default the clock's. */
  readonly timestamp?: number;
}

export type SendRotationRequestResult = { readonly status: number; readonly body: string } | { readonly error: string };

export interface ServiceNowEmulator {
  /** https://localhost:<port> (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /**
   * Inserts a record (any supported table but sys_journal_field); sys_id (32 lower-hex) and number assigned when
   * absent; sys_created_on/sys_updated_on set. Stricter than the Table API: an unknown field, an invalid choice,
   * date or reference, or a sys_* field other than sys_id / sys_created_by / sys_updated_by / sys_created_on /
   * sys_updated_on throws. Acts as sys_created_by (default 'admin').
   */
  createRecord(table: string, fields: Readonly<Record<string, string>>): ServiceNowRecord;
  /** Shorthand for createRecord('change_request', …): numbers CHG0030001, CHG0030002, … unless given. */
  createChange(fields: Readonly<Record<string, string>>): ServiceNowRecord;
  /**
   * Sets fields (work_notes/comments values append journal entries instead, by 'admin' or the given
   * sys_updated_by); throws for an unknown record and for what createRecord refuses.
   */
  updateRecord(table: string, numberOrSysId: string, fields: Readonly<Record<string, string>>): ServiceNowRecord;
  /** By sys_id, else number (cmdb_ci: name, sys_user: user_name); null when none. */
  record(table: string, numberOrSysId: string): ServiceNowRecord | null;
  records(table: string): ServiceNowRecord[];
  /** Journal (work notes and comments) of a record, oldest first. */
  journal(table: string, numberOrSysId: string): JournalEntry[];
  /**
   * From now on the next `count` API requests (Table API and oauth_token.do; default: all, until outage(null))
   * answer `status` (503: ServiceNow's HTML "instance unavailable" page; other statuses: the JSON error body).
   */
  outage(fault: { readonly status: number; readonly count?: number } | null): void;
  requests(): ApiRequestLog[];
  /** Posts a rotation request exactly as the documented business-rule script does, once, no retry; logs the outcome. */
  sendRotationRequest(input: SendRotationRequestInput): Promise<SendRotationRequestResult>;
  outboundLog(): OutboundLogEntry[];
  close(): Promise<void>;
}
