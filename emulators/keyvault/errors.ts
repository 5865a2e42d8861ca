// Key Vault error responses: body `{"error":{"code","message","innererror?":{"code"}}}` (azure-formats.md §4.5).
// Texts marked [observed] were seen in real responses; [inferred] ones follow the observed forms of neighbouring
// errors and are the emulator's best guess — ingestion must not depend on their exact wording.

export class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'KvError';
  }

  body(): unknown {
    return { error: { code: this.code, message: this.message, ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}) } };
  }
}

const NOT_FOUND_HELP = 'If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182';

/** [observed] */
export const keyNotFound = (nameOrId: string): KvError =>
  new KvError(404, 'KeyNotFound', `A key with (name/id) ${nameOrId} was not found in this key vault. ${NOT_FOUND_HELP}`);

/** [inferred] */
export const deletedKeyNotFound = (name: string): KvError => new KvError(404, 'KeyNotFound', `Deleted Key not found: ${name}`);

export const badParameter = (message: string): KvError => new KvError(400, 'BadParameter', message);

/** [observed] (azure-sdk-for-python#45342: "Operation X is not allowed on a disabled key", innererror KeyDisabled). */
export const keyDisabled = (operation: string): KvError =>
  new KvError(403, 'Forbidden', `Operation ${operation} is not allowed on a disabled key.`, 'KeyDisabled');

/** [inferred] by analogy with the observed secret text "Operation get is not allowed on a expired secret." (SecretExpired). */
export const keyExpired = (operation: string): KvError =>
  new KvError(403, 'Forbidden', `Operation ${operation} is not allowed on an expired key.`, 'KeyExpired');

/** [inferred] same form as keyExpired. */
export const keyNotYetValid = (operation: string): KvError =>
  new KvError(403, 'Forbidden', `Operation ${operation} is not allowed on a key that is not yet valid.`, 'KeyNotYetValid');

/** [observed] (azure-sdk-for-net#11518). */
export const operationNotPermitted = (operation: string): KvError =>
  new KvError(403, 'Forbidden', `Operation ${operation} is not permitted on this key.`, 'KeyOperationForbidden');

/** [observed] */
export const deletedButRecoverable = (name: string): KvError =>
  new KvError(
    409,
    'Conflict',
    `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`,
    'ObjectIsDeletedButRecoverable',
  );

/** [inferred] (azure-formats.md §1.4 gives only the start: "There was a conflict restoring the …"). */
export const restoreConflict = (name: string): KvError =>
  new KvError(409, 'Conflict', `There was a conflict restoring the key '${name}'. A key with this name already exists in this vault, or is deleted but recoverable.`);

/** [inferred] */
export const purgeProtected = (name: string): KvError =>
  new KvError(
    403,
    'Forbidden',
    `Operation "purge" is not allowed on key '${name}' because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.`,
    'ForbiddenByPolicy',
  );

/** [observed] message; the header is built by the pipeline (challenge.ts). */
export const MISSING_TOKEN = 'AKV10000: Request is missing a Bearer or PoP token.';

/** [inferred wording] (azure-formats.md §4.5). */
export const throttled = (retryAfterSeconds: number): KvError =>
  new KvError(
    429,
    'Throttled',
    'Request was not processed because too many requests were received. Reason: the vault exceeded its transaction limit for this window.',
    undefined,
    { 'Retry-After': String(retryAfterSeconds) },
  );
