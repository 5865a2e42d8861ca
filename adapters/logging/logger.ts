// pino behind the app's Logger port. Redaction is a second line of defence: the code never logs secrets, and
// any field named like one is censored anyway (I8).
import { pino } from 'pino';
import type { Logger } from '../../app/ports.js';

const REDACT = [
  '*.connectionString', '*.accessKey', '*.secret', '*.token', '*.authorization', '*.password',
  '*.key_material', '*.plaintext', '*.value', '*.wrappedKey', 'connectionString', 'secret', 'token', 'authorization',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const log = pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'keysteward' } }, destination ?? process.stderr);
  return {
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
    error: (fields, message) => log.error(fields, message),
  };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
