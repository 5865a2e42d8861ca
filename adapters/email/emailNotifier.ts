// The production email channel (DESIGN.md §5) over @azure/communication-email. One message per transition;
// the Operation-Id idempotency key is derived from the alert key, so a send retried after a lost response is
// not delivered twice. `send` resolves only when ACS reports the operation Succeeded.
import { EmailClient } from '@azure/communication-email';
import type { EmailClientOptions, EmailMessage } from '@azure/communication-email';
import type { KeyCredential, TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Notifier } from '../../app/ports.js';
import type { AlertMessage } from '../../domain/alerts/message.js';
import { EmailSendError, normaliseEmailError } from './errors.js';
import { operationIdForKey } from './operationId.js';

export interface EmailNotifierOptions {
  /** `endpoint=https://…;accesskey=…` (HMAC auth). A secret: never logged, never in errors. */
  readonly connectionString?: string;
  /** With `credential`, instead of a connection string (Entra ID or AzureKeyCredential). */
  readonly endpoint?: string;
  readonly credential?: TokenCredential | KeyCredential;
  /** A verified sender of the ACS resource, e.g. DoNotReply@<domain>. */
  readonly senderAddress: string;
  readonly additionalPolicies?: ReadonlyArray<{ readonly policy: PipelinePolicy; readonly position: 'perCall' | 'perRetry' }>;
  /** Poll interval of the send operation (the service's Retry-After takes precedence when it sends one). */
  readonly pollIntervalMs?: number;
  /**
   * SDK retries of one request. The SDK waits out a 429's Retry-After (up to a minute for ACS quotas) before
   * retrying; 0 makes a throttled send fail at once with `retryAfterMs`, for a dispatcher that reschedules.
   */
  readonly maxRetries?: number;
}

export class EmailConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailConfigError';
  }
}

function createClient(options: EmailNotifierOptions): EmailClient {
  const clientOptions: EmailClientOptions = {
    ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies.map((p) => ({ policy: p.policy, position: p.position })) } : {}),
    ...(options.maxRetries !== undefined ? { retryOptions: { maxRetries: options.maxRetries } } : {}),
  };
  if (options.connectionString !== undefined) {
    try {
      return new EmailClient(options.connectionString, clientOptions);
    } catch {
      // The SDK's own message repeats the whole connection string, access key included.
      throw new EmailConfigError('invalid ACS connection string (expected endpoint=https://…;accesskey=…)');
    }
  }
  if (options.endpoint !== undefined && options.credential !== undefined) {
    return new EmailClient(options.endpoint, options.credential, clientOptions);
  }
  throw new EmailConfigError('email notifier needs a connectionString, or an endpoint and a credential');
}

/** The SDK message for an alert (exported for tests and for a dry-run view of what would be sent). */
export function toEmailMessage(message: AlertMessage, senderAddress: string): EmailMessage {
  return {
    senderAddress,
    content: { subject: message.subject, plainText: message.text, html: message.html },
    recipients: { to: message.to.map((address) => ({ address })) },
    headers: { 'x-keysteward-alert': message.key },
    // The SDK's name for the wire field `userEngagementTrackingDisabled`.
    disableUserEngagementTracking: true,
  };
}

export function createEmailNotifier(options: EmailNotifierOptions): Notifier {
  if (!options.senderAddress) throw new EmailConfigError('email notifier needs a senderAddress');
  const client = createClient(options);
  return {
    channel: 'email',
    async send(message: AlertMessage): Promise<void> {
      if (message.to.length === 0) throw new EmailSendError('email alert has no recipients', undefined, undefined, false, undefined);
      try {
        const poller = await client.beginSend(toEmailMessage(message, options.senderAddress), {
          operationId: operationIdForKey(message.key),
          ...(options.pollIntervalMs !== undefined ? { updateIntervalInMs: options.pollIntervalMs } : {}),
        });
        const result = await poller.pollUntilDone();
        if (result.status !== 'Succeeded') {
          const code = result.error?.code;
          throw new EmailSendError(`ACS email operation ended ${result.status}${code ? ` (${code})` : ''}`, undefined, code, false, undefined);
        }
      } catch (err) {
        throw normaliseEmailError(err);
      }
    },
  };
}
