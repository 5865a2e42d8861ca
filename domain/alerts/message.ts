// A rendered alert: data, built by the pure alert policy and delivered by notifiers. It names protectors,
// members, causes, evidence and deadlines; it never carries key material, tokens or secrets (I8).
import type { Incident } from '../report.js';

export type AlertKind = 'opened' | 'advanced' | 'resolved' | 'escalation';

export interface AlertMessage {
  /** The ledger key of the transition group this message announces. */
  readonly key: string;
  readonly kind: AlertKind;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly to: readonly string[];
  readonly incidents: readonly Incident[];
  readonly createdAt: string;
}
