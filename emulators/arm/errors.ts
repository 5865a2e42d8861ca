// ARM error responses shared by every resource provider the emulator serves: body `{"error":{"code","message"}}`.
// Texts: [observed] = seen in a real response; [doc] = from Azure's documentation; [inferred] = the emulator's best
// guess, which nothing may depend on. Provider-specific codes live with their provider (armsql/errors.ts).

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ArmError';
  }

  body(): unknown {
    return { error: { code: this.code, message: this.message } };
  }
}

/** [observed] ARM front door texts. */
export const missingAuthorization = (): ArmError =>
  new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
    'WWW-Authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
  });

export const invalidToken = (): ArmError =>
  new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
    'WWW-Authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The access token is invalid."',
  });

export const missingApiVersion = (): ArmError =>
  new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");

/** [observed] generic ARM text for an unknown resource, e.g. type `Microsoft.Sql/servers`. */
export const resourceNotFound = (type: string, name: string, rg: string): ArmError =>
  new ArmError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${rg}' was not found.`);

/** [observed] */
export const subscriptionNotFound = (subscriptionId: string): ArmError =>
  new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);

/** [observed] the caller has no role granting `action` at the subscription. */
export const authorizationFailed = (oid: string, action: string, scope: string): ArmError =>
  new ArmError(
    403,
    'AuthorizationFailed',
    `The client '${oid}' with object id '${oid}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );

/** [observed] (the pre-2024 hourly text; the token-bucket era keeps the code and the Retry-After header). */
export const requestsThrottled = (scope: 'subscription' | 'tenant', id: string, kind: string, limit: number, retryAfterSeconds: number): ArmError =>
  new ArmError(
    429,
    scope === 'subscription' ? 'SubscriptionRequestsThrottled' : 'TenantRequestsThrottled',
    `Number of ${kind} requests for ${scope} '${id}' exceeded the limit of '${limit}' for time interval '01:00:00'. Please try again after '${retryAfterSeconds}' seconds.`,
    { 'Retry-After': String(retryAfterSeconds) },
  );

/** [inferred] for paths outside the emulated subset. */
export const noRoute = (method: string, path: string): ArmError =>
  new ArmError(404, 'NoRegisteredProviderFound', `The ARM emulator does not serve ${method} ${path}.`);

export const internalError = (): ArmError => new ArmError(500, 'InternalServerError', 'The ARM emulator failed.');
