// The ACS Email capture emulator (DESIGN.md §6): start it, point an EmailClient at its connection string.
export { startEmailCapture } from './server.js';
export type { CapturedEmail, EmailAddress, EmailCapture, EmailCaptureOptions, OperationStatus } from './server.js';
export { ACS_DEFAULT_LIMITS } from './rateLimit.js';
export type { RateLimitOptions } from './rateLimit.js';
export { contentHash, signature, stringToSign, verifyHmacRequest } from './hmac.js';
