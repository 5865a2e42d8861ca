// The inbound authentication of each ITSM profile (DESIGN.md §4.6), from configured trust only — the scheme and the
// keys are chosen by configuration per profile, never by anything the request says. A secret or token may carry a
// not-after instant: during a rotation the old and the new one both verify, and after its not-after the old one stops.
import type { InboundAuth, InboundVerdict } from '../../app/itsm/ports.js';
import { verifyBearerToken } from './bearerToken.js';
import { verifyHubSignature } from './hubSignature.js';
import { verifyStandardWebhook } from './standardWebhooks.js';

export interface ExpiringSecret {
  readonly value: string;
  /** Epoch ms after which it no longer verifies; null: no end. */
  readonly notAfter: number | null;
}

const active = (secrets: readonly ExpiringSecret[], now: number): string[] => secrets.filter((s) => s.notAfter === null || now <= s.notAfter).map((s) => s.value);

export function standardWebhooksAuth(secrets: readonly ExpiringSecret[], toleranceSec = 300): InboundAuth {
  return {
    profile: 'standard',
    verify({ headers, rawBody, now }): InboundVerdict {
      const r = verifyStandardWebhook({ headers, rawBody, secrets: active(secrets, now), now, toleranceSec });
      return r.ok ? { ok: true, idempotencyKey: r.id, assurance: 'signed' } : r;
    },
  };
}

export function jiraWebhookAuth(secrets: readonly ExpiringSecret[], toleranceSec = 300): InboundAuth {
  return {
    profile: 'jira',
    verify({ headers, rawBody, now }): InboundVerdict {
      const r = verifyHubSignature({ headers, rawBody, secrets: active(secrets, now), now, toleranceSec });
      return r.ok ? { ok: true, idempotencyKey: r.identifier, assurance: 'signed' } : r;
    },
  };
}

export function jsmAutomationAuth(tokens: readonly ExpiringSecret[]): InboundAuth {
  return {
    profile: 'jsm-automation',
    verify({ headers, now }): InboundVerdict {
      const r = verifyBearerToken(headers, active(tokens, now));
      return r.ok ? { ok: true, idempotencyKey: null, assurance: 'token' } : r;
    },
  };
}

/**
 * Parses a configured list: comma-separated values, each optionally followed by `@<ISO instant>` (its not-after).
 * Neither base64 (`whsec_…`) nor the token alphabets contain `,` or `@`. Throws naming the position, never the value.
 */
export function parseExpiringSecrets(text: string, parseInstant: (s: string) => number | null): ExpiringSecret[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((item, i) => {
      const at = item.lastIndexOf('@');
      if (at < 0) return { value: item, notAfter: null };
      const notAfter = parseInstant(item.slice(at + 1));
      if (notAfter === null) throw new Error(`entry ${i + 1}: the text after @ must be an ISO-8601 instant (its not-after)`);
      return { value: item.slice(0, at), notAfter };
    });
}
