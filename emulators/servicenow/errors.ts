// ServiceNow REST error responses. The Table API answers `{"error":{"message","detail"},"status":"failure"}`;
// oauth_token.do answers `{"error_description","error"}`. Texts are marked: [doc] = ServiceNow's documentation;
// [observed] = seen in a real response; [inferred] = the emulator's best guess, which nothing may depend on.
// No text here ever carries a credential: only table and field names, sys_ids and numbers.

/** What the server writes: a JSON body, or (outage pages) a raw body with its content type. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly raw?: { readonly contentType: string; readonly text: string };
}

export const JSON_TYPE = 'application/json;charset=UTF-8';

export class SnowError extends Error {
  constructor(
    readonly status: number,
    readonly errorMessage: string,
    readonly detail: string | null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail === null ? errorMessage : `${errorMessage}: ${detail.trim()}`);
    this.name = 'SnowError';
  }

  reply(): Reply {
    return { status: this.status, body: { error: { message: this.errorMessage, detail: this.detail }, status: 'failure' }, headers: this.headers };
  }
}

const REALM = { 'WWW-Authenticate': 'BASIC realm="Service-now"' } as const;

/** [observed] no Authorization header. */
export const authMissing = (): SnowError => new SnowError(401, 'User Not Authenticated', 'Required to provide Auth information', REALM);

/** [observed] message; the header on this variant is [inferred]. Wrong password, unknown user, unknown or expired token. */
export const authFailed = (): SnowError => new SnowError(401, 'User is not authenticated', 'Required to provide Auth information', REALM);

/** [observed] */
export const invalidTable = (table: string): SnowError => new SnowError(400, `Invalid table ${table}`, null);

/** [observed] an unknown sys_id, or one the ACLs hide. */
export const noRecord = (): SnowError => new SnowError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");

/** [observed] */
export const aclWriteDenied = (): SnowError => new SnowError(403, 'Operation Failed', 'ACL Exception Update Failed due to security constraints');

/** [observed] */
export const invalidJson = (): SnowError => new SnowError(400, 'Exception while reading request', 'The payload is not valid JSON.');

/** [inferred] valid JSON that is not an object (ServiceNow's text for it is not known). */
export const bodyNotObject = (): SnowError => new SnowError(400, 'Exception while reading request', 'The payload is not a JSON object.');

/** [observed shape, inferred text] the incident data policy "close info mandatory when resolved or closed". */
export const resolutionMandatory = (): SnowError =>
  new SnowError(403, 'Operation Failed', 'Data Policy Exception: \n  The following fields are mandatory: Resolution code, Resolution notes\n');

/** [observed] ServiceNow's text for a REST path it does not serve. */
export const noResource = (): SnowError => new SnowError(400, 'Requested URI does not represent any resource', null);

/** [inferred] */
export const methodNotAllowed = (allow: readonly string[]): SnowError =>
  new SnowError(405, 'Method not Supported', 'The requested method is not supported by this resource', { Allow: allow.join(', ') });

/** [observed] message shape; detail [inferred]. */
export const rateLimited = (limit: number, headers: Readonly<Record<string, string>>): SnowError =>
  new SnowError(429, 'User Exceeded Rate Limit', `Rate limit of ${limit} requests per minute exceeded`, headers);

/** [inferred] */
export const tooLarge = (): SnowError => new SnowError(413, 'Exception while reading request', 'The payload is too large.');

/** [inferred] */
export const internalError = (): SnowError => new SnowError(500, 'Internal Server Error', 'The ServiceNow emulator failed.');

/** [observed] oauth_token.do for a bad client, a bad user, or any other refused grant. */
export const oauthDenied = (): Reply => ({ status: 401, body: { error_description: 'access_denied', error: 'server_error' } });

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/**
 * An injected outage. 503 is the HTML page a ServiceNow instance serves while unavailable (hibernating, upgrading)
 * [observed shape, inferred text]; any other status the JSON error body [inferred].
 */
export function outageReply(status: number): Reply {
  if (status === 503) {
    return {
      status,
      raw: {
        contentType: 'text/html;charset=UTF-8',
        text:
          '<!DOCTYPE html><html><head><title>ServiceNow - Instance Unavailable</title></head><body>' +
          '<h1>Instance Unavailable</h1><p>This instance is temporarily unavailable. Please try again later.</p></body></html>',
      },
    };
  }
  return { status, body: { error: { message: REASONS[status] ?? 'Error', detail: `The emulated instance answers ${status} (injected outage).` }, status: 'failure' } };
}
