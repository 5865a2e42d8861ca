// Cosmos DB error responses: body `{"code","message"}` (what @azure/cosmos reads: RequestHandler.js builds its
// ErrorResponse from `result.message`, and keeps `code` = HTTP status, `substatus` from `x-ms-substatus`,
// `retryAfterInMs` from `x-ms-retry-after-ms`). Texts: [doc] from the Cosmos DB documentation; [observed] seen in
// real responses quoted in public issues; [inferred] the emulator's best guess, which nothing may depend on.
// No text ever carries a token, a signature or a key.

export class CosmosError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly substatus?: number,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'CosmosError';
  }
}

const GATEWAY = 'Microsoft.Azure.Documents.Common/2.14.0';

/**
 * The response body. Resource errors come in the backend's `{"Errors":[…]}` envelope, authorization errors as plain
 * text; both end with the activity id and the gateway version (the observed forms).
 */
export function errorBody(e: CosmosError, activityId: string): { code: string; message: string } {
  const text = e.status === 401 || e.status === 403 ? e.message : `Message: ${JSON.stringify({ Errors: [e.message] }).replace(/\//g, '\\/')}`;
  return { code: e.code, message: `${text}\r\nActivityId: ${activityId}, ${GATEWAY}` };
}

export const RBAC_HELP = 'Learn more: https://aka.ms/cosmos-native-rbac.';

/** [observed] Azure/azure-cli#12025. */
export const missingAuthorization = (): CosmosError =>
  new CosmosError(401, 'Unauthorized', 'Required Header authorization is missing. Ensure a valid Authorization token is passed.');

/**
 * [doc: troubleshoot-unauthorized "The MAC signature found in the HTTP request is not the same as the computed
 * signature"]. The service adds the payload it signed; it holds no secret (verb, resource type, link, date).
 */
export const macMismatch = (payload: string): CosmosError =>
  new CosmosError(
    401,
    'Unauthorized',
    `The MAC signature found in the HTTP request is not the same as the computed signature. Server used following string to sign - '${payload}'`,
  );

/** [inferred] */
export const malformedAuthorization = (): CosmosError =>
  new CosmosError(401, 'Unauthorized', "The authorization header is malformed. Expected 'type={typeoftoken}&ver={tokenversion}&sig={hashsignature}'.");

/** [inferred] */
export const missingDate = (): CosmosError =>
  new CosmosError(401, 'Unauthorized', "The request must carry 'x-ms-date' (or 'date') when it is signed with the account key.");

/** [inferred] (recalled wording). */
export const invalidDate = (): CosmosError =>
  new CosmosError(401, 'Unauthorized', 'The input date header is invalid format. Please pass in RFC 1123 style date format.');

/** [inferred] (recalled wording and status): Cosmos accepts a signed date within 15 minutes of its own time. */
export const dateOutOfRange = (date: string, now: string): CosmosError =>
  new CosmosError(403, 'Forbidden', `The authorization token is not valid at the current time. Please create another token and retry (token date: ${date}; current server time: ${now}).`);

/** [inferred] */
export const unsupportedTokenType = (type: string): CosmosError =>
  new CosmosError(401, 'Unauthorized', `Authorization token type '${type}' is not supported by the emulator (master and aad only).`);

/** [inferred] The emulator reads LocalEmulatorCredential tokens only. */
export const invalidAadToken = (): CosmosError =>
  new CosmosError(401, 'Unauthorized', 'The AAD token is not valid: the emulator accepts LocalEmulatorCredential tokens naming an oid.');

/** [inferred] */
export const wrongAudience = (aud: string, expected: string): CosmosError =>
  new CosmosError(401, 'Unauthorized', `The AAD token audience '${aud}' is not valid for this account. Expected '${expected}' or 'https://cosmos.azure.com'.`);

/** [observed] azure-cosmos-dotnet-v3#2891 (substatus 5301). */
export const rbacDenied = (account: string, oid: string, action: string, resource: string): CosmosError =>
  new CosmosError(
    403,
    'Forbidden',
    `Request blocked by Auth ${account} : Request is blocked because principal [${oid}] does not have required RBAC permissions to perform action [${action}] on resource [${resource}]. ${RBAC_HELP}`,
    5301,
  );

/** [observed] microsoft/vscode-cosmosdb#2446 and dotnet/efcore#32197 (substatus 5300). */
export const notAuthorizableByAad = (account: string, method: string, path: string): CosmosError =>
  new CosmosError(403, 'Forbidden', `Request blocked by Auth ${account} : The given request [${method} ${path}] cannot be authorized by AAD token in data plane. ${RBAC_HELP}`, 5300);

/** [observed] the gateway's not-found text. */
export const notFound = (): CosmosError => new CosmosError(404, 'NotFound', 'Resource Not Found. Learn more: https://aka.ms/cosmosdb-tsg-not-found');

/** [observed] */
export const conflict = (): CosmosError => new CosmosError(409, 'Conflict', 'Entity with the specified id already exists in the system.');

/** [inferred] (recalled wording; the status and code are certain). */
export const preconditionFailed = (): CosmosError =>
  new CosmosError(412, 'PreconditionFailed', 'Operation cannot be performed because one of the specified precondition is not met.');

export const badRequest = (text: string): CosmosError => new CosmosError(400, 'BadRequest', text);

/** [observed] the 429 text; substatus 3200 = RU budget exceeded. */
export const tooManyRequests = (retryAfterMs: number): CosmosError =>
  new CosmosError(
    429,
    'TooManyRequests',
    'Request rate is large. More Request Units may be needed, so no changes were made. Please retry this request later. Learn more: http://aka.ms/cosmosdb-error-429',
    3200,
    { 'x-ms-retry-after-ms': String(retryAfterMs) },
  );

/** [inferred] */
export const serviceUnavailable = (): CosmosError =>
  new CosmosError(503, 'ServiceUnavailable', 'Service is currently unavailable. Learn more: https://aka.ms/cosmosdb-tsg-service-unavailable');

/** [inferred] for paths outside the emulated subset. */
export const notServed = (method: string, path: string): CosmosError =>
  new CosmosError(404, 'NotFound', `The Cosmos DB emulator does not serve ${method} ${path}.`);

/** [inferred] */
export const methodNotAllowed = (): CosmosError => new CosmosError(405, 'MethodNotAllowed', 'Request method is not supported for this resource.');

/** [inferred] */
export const entityTooLarge = (): CosmosError => new CosmosError(413, 'RequestEntityTooLarge', 'Request size is too large.');

export const internalError = (): CosmosError => new CosmosError(500, 'InternalServerError', 'The Cosmos DB emulator failed.');
