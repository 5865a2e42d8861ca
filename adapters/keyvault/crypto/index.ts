// Key Vault cryptography for keysteward's own DEKs (remote unwrap, local wrap) and key-version administration.
export { createKeyWrapper } from './keyWrapper.js';
export type { KeyWrapperOptions } from './keyWrapper.js';
export { createKeyAdmin } from './keyAdmin.js';
export type { KeyAdminOptions } from './keyAdmin.js';
export { isAbort, toKeyOperationError } from './errors.js';
