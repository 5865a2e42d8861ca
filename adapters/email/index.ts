export { createEmailNotifier, EmailConfigError, toEmailMessage } from './emailNotifier.js';
export type { EmailNotifierOptions } from './emailNotifier.js';
export { EmailSendError, normaliseEmailError } from './errors.js';
export { operationIdForKey } from './operationId.js';
