// Outbound alert webhooks for chat, ITSM and paging tools, signed with Standard Webhooks v1 (DESIGN.md §5).
// The webhook-id is derived from the alert key, so every retry of one transition carries the same id and a
// receiver that dedupes on it (as the spec asks) shows the alert once (I7). Errors name the endpoint's origin
// only: chat-tool webhook URLs carry their token in the path, and the secret never leaves this module (I8).
import { createHash } from 'node:crypto';
import type { Notifier } from '../../app/ports.js';
import type { AlertMessage } from '../../domain/alerts/message.js';
import { secretKeyBytes, signStandardWebhook } from './standardWebhooks.js';
import type { WebhookSecret } from './standardWebhooks.js';

export interface WebhookNotifierOptions {
  readonly url: string;
  /** `whsec_<base64>` or a raw secret (see `secretKeyBytes`). */
  readonly secret: WebhookSecret;
  readonly fetchImpl?: typeof fetch;
  /** Epoch milliseconds; the signature timestamp is taken per attempt. */
  readonly clock?: () => number;
  /** The webhook-id of a message; must be stable per message key and match [A-Za-z0-9_-]{1,128}. */
  readonly idFor?: (message: AlertMessage) => string;
  readonly timeoutMs?: number;
}

export class WebhookDeliveryError extends Error {
  readonly channel = 'webhook';
  constructor(
    message: string,
    /** HTTP status, or undefined when no response arrived. */
    readonly status: number | undefined,
    /** False when retrying cannot help: 410 Gone means the receiver asks us to stop (Standard Webhooks). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

/** `ks_` + base64url(SHA-256(key)): stable, within the spec's id alphabet, and no longer than 128 characters. */
export function webhookIdForKey(key: string): string {
  return `ks_${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}

/** The JSON body: the alert without its rendered HTML (receivers render their own). */
export function webhookPayload(message: AlertMessage): string {
  return JSON.stringify({
    type: 'keysteward.alert',
    key: message.key,
    kind: message.kind,
    subject: message.subject,
    incidents: message.incidents,
    createdAt: message.createdAt,
  });
}

export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const target = new URL(options.url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('webhook url must be http(s)');
  const origin = target.origin;
  // Decode once up front: a malformed secret is a configuration error at start-up, not at the first alert.
  secretKeyBytes(options.secret);
  const doFetch = options.fetchImpl ?? fetch;
  const clock = options.clock ?? Date.now;
  const idFor = options.idFor ?? ((m: AlertMessage) => webhookIdForKey(m.key));
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    channel: 'webhook',
    async send(message: AlertMessage): Promise<void> {
      const body = webhookPayload(message);
      const id = idFor(message);
      const timestamp = Math.floor(clock() / 1000);
      const signature = signStandardWebhook({ id, timestamp, body, secret: options.secret });
      let response: Response;
      try {
        response = await doFetch(target, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signature,
          },
          body,
          // A redirect would re-send the signed alert somewhere not configured: treat it as a failure.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const what = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? `timed out after ${timeoutMs} ms` : 'could not connect';
        throw new WebhookDeliveryError(`webhook to ${origin} ${what}`, undefined, true);
      }
      // Drain the body so the connection can be reused; its content is the receiver's business.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return;
      const retryable = response.status !== 410 && !(response.status >= 300 && response.status < 400);
      throw new WebhookDeliveryError(`webhook to ${origin} answered HTTP ${response.status}`, response.status, retryable);
    },
  };
}
