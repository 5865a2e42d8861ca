// Jira Cloud error responses. The platform API answers `{"errorMessages":[…],"errors":{field: text}}`; the JSM
// servicedeskapi answers `{"errorMessage","i18nErrorMessage"}`. Texts are marked: [doc] = Atlassian's documentation;
// [observed] = seen in a real response; [inferred] = the emulator's best guess, which nothing may depend on.
// No text here ever carries a credential: only field names, keys, ids and the values a caller wrote to a field.

export class JiraError extends Error {
  constructor(
    readonly status: number,
    readonly payload: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`Jira ${status}`);
    this.name = 'JiraError';
  }
}

const platform = (status: number, errorMessages: readonly string[], errors: Readonly<Record<string, string>> = {}, headers: Readonly<Record<string, string>> = {}): JiraError =>
  new JiraError(status, { errorMessages, errors }, headers);

/** 400 with per-field errors (Jira reports every bad field of one request together). */
export const fieldErrors = (errors: Readonly<Record<string, string>>): JiraError => platform(400, [], errors);

/** [inferred] Jira Cloud answers anonymous reads of private sites this way; the realm is [observed]. */
export const notAuthenticated = (): JiraError =>
  platform(401, ['Client must be authenticated to access this resource.'], {}, { 'WWW-Authenticate': 'Basic realm="protected-area"' });

/** [observed] */
export const issueNotFound = (): JiraError => platform(404, ['Issue does not exist or you do not have permission to see it.']);

/** [inferred] */
export const commentNotFound = (id: string): JiraError => platform(404, [`Can not find a comment for the id: ${id}.`]);

/** [inferred] Field-level texts of create / edit. */
export const FIELD_TEXT = {
  /** [observed] */
  summaryRequired: 'You must specify a summary of the issue.',
  /** [observed] */
  summaryTooLong: 'Summary must be less than 255 characters.',
  /** [observed] */
  projectRequired: 'valid project is required',
  /** [observed] */
  issueTypeRequired: 'valid issue type is required',
  /** [observed] */
  notAdf: 'Operation value must be an Atlassian Document',
  /** [observed] */
  cannotBeSet: (field: string): string => `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`,
  /** [observed] */
  labelSpaces: (label: string): string => `The label '${label}' contains spaces which is invalid.`,
  /** [inferred] */
  labelsNotArray: 'data was not an array',
  /** [observed] */
  labelTooLong: 'The label must not exceed 255 characters.',
  /** [inferred] */
  notString: 'Operation value must be a string',
  /** [inferred] */
  badOption: (name: string): string => `Specify a valid 'id' or 'name' for ${name}`,
  /** [inferred] */
  badDate: (name: string, value: string): string => `${name}: Invalid date format. Please enter the date in the format "yyyy-MM-dd'T'HH:mm:ss.SSSZ". Value: ${value}`,
  /** [inferred] */
  badPriority: (name: string): string => `Priority name '${name}' is not valid`,
  /** [inferred] */
  badResolution: (name: string): string => `Resolution name '${name}' is not valid`,
} as const;

/** [inferred] */
export const commentNotValid = (): JiraError => platform(400, ['Comment body is not valid!']);

/** [observed] (the v2 text; v3 kept it) */
export const commentEmpty = (): JiraError => platform(400, [], { comment: 'Comment body can not be empty!' });

/** [inferred] */
export const transitionNotValid = (id: string): JiraError => platform(400, [`Transition id '${id}' is not valid for this issue.`]);

/** [inferred] */
export const transitionMissing = (): JiraError => platform(400, ["Missing 'transition' identifier"]);

/** [inferred] syntax and unsupported-clause errors of the JQL subset. */
export const jqlError = (detail: string): JiraError => platform(400, [`Error in the JQL Query: ${detail}`]);

/** [observed] a value that names nothing: Jira reports it without the "Error in the JQL Query" prefix. */
export const jqlNoValue = (value: string, field: string): JiraError => platform(400, [`The value '${value}' does not exist for the field '${field}'.`]);

/** [doc] the enhanced search refuses queries without a restriction. */
export const jqlUnbounded = (): JiraError => platform(400, ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']);

/** [inferred] */
export const badPageToken = (): JiraError => platform(400, ['The provided next page token is invalid or expired.']);

/** [inferred] */
export const badMaxResults = (): JiraError => platform(400, ["The value for 'maxResults' must be a positive integer."]);

/** [inferred] */
export const invalidJson = (): JiraError => platform(400, ['The request body is not valid JSON.']);

/** [inferred] */
export const bodyNotObject = (): JiraError => platform(400, ['The request body must be a JSON object.']);

/** [observed] Jira answers 415 without a JSON body when Content-Type is not application/json. */
export const unsupportedMediaType = (): JiraError => new JiraError(415, undefined);

/** [inferred] */
export const tooLarge = (): JiraError => platform(413, ['The request body is too large.']);

/** [inferred] */
export const noResource = (method: string, path: string): JiraError => platform(404, [`No REST resource at ${method} ${path}.`]);

/** [inferred] Jira answers 405 with an empty body and an Allow header. */
export const methodNotAllowed = (allow: readonly string[]): JiraError => new JiraError(405, undefined, { Allow: allow.join(', ') });

/** [inferred] */
export const rateLimited = (headers: Readonly<Record<string, string>>): JiraError => platform(429, ['Rate limit exceeded.'], {}, headers);

/** [inferred] The JSM text for a request that does not exist, is not in a service desk, or may not be seen. */
export const requestNotFound = (): JiraError =>
  new JiraError(404, {
    errorMessage: 'The request could not be found or you do not have permission to view it.',
    i18nErrorMessage: { i18nKey: 'sd.customerview.error.requestNotFound', parameters: [] },
  });

/** [inferred] */
export const approvalNotFound = (): JiraError =>
  new JiraError(404, {
    errorMessage: 'The approval could not be found.',
    i18nErrorMessage: { i18nKey: 'sd.approval.error.notfound', parameters: [] },
  });

/** [inferred] */
export const internalError = (): JiraError => platform(500, ['Internal server error']);

/** An injected outage: 503 is the HTML page Atlassian's edge serves [observed shape, inferred text]; others JSON [inferred]. */
export function outageResponse(status: number): { readonly status: number; readonly contentType: string; readonly body: string } {
  if (status === 503) {
    return {
      status,
      contentType: 'text/html; charset=utf-8',
      body: '<!DOCTYPE html><html><head><title>Service unavailable</title></head><body><h1>Service unavailable</h1><p>Atlassian is temporarily unavailable. Please try again later.</p></body></html>',
    };
  }
  return { status, contentType: 'application/json;charset=UTF-8', body: JSON.stringify({ errorMessages: [`The emulated site answers ${status} (injected outage).`], errors: {} }) };
}
