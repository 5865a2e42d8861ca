export { createWebhookNotifier, WebhookDeliveryError, webhookIdForKey, webhookPayload } from './webhookNotifier.js';
export type { WebhookNotifierOptions } from './webhookNotifier.js';
export { secretKeyBytes, signStandardWebhook, verifyStandardWebhook, WebhookSecretError } from './standardWebhooks.js';
export type { HeaderSource, SignInput, VerifyInput, VerifyResult, WebhookSecret } from './standardWebhooks.js';
