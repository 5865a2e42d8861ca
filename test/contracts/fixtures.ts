// Builders for the contract suites: realistic snapshots, poison records and alert records.
import type { AlertRecord, PoisonRecord } from '../../app/ports.js';
import type { AlertMessage } from '../../domain/alerts/message.js';
import type { KeyEvent } from '../../domain/events/keyEvent.js';
import type { ProtectorSnapshot } from '../../domain/health/snapshot.js';

const T0 = Date.UTC(2025, 0, 1);

function event(i: number, seed: number): KeyEvent {
  return {
    kind: 'key-access',
    id: `kv-${seed}-${String(i).padStart(6, '0')}`,
    source: 'keyvault-audit',
    time: T0 + i * 60_000 + seed,
    // Non-ASCII on purpose (é, CJK, and a surrogate pair), so chunk boundaries fall inside multi-unit text.
    operation: i % 7 === 0 ? 'KeyUnwrap é 鍵 🔑' : 'KeyUnwrap',
    key: { vault: 'kv-eus', key: 'tde', version: (seed * 7919 + i).toString(16).padStart(32, '0') },
    identity: { oid: '11111111-2222-3333-4444-555555555555', mirid: `/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-${seed}` },
    status: i % 5 === 0 ? 403 : 200,
    outcome: i % 5 === 0 ? 'denied' : 'success',
    denial: i % 5 === 0 ? 'rbac' : null,
  };
}

export function snapshot(protectorId: string, opts: { events?: number; seed?: number } = {}): ProtectorSnapshot {
  const seed = opts.seed ?? 1;
  const events = Array.from({ length: opts.events ?? 3 }, (_, i) => event(i, seed));
  return { v: 1, protectorId, events, successes: { '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/a': [T0 + seed, T0 + seed + 1], '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/b': [] } };
}

/** A snapshot whose JSON is at least `chars` UTF-16 units long. */
export function snapshotOfSize(protectorId: string, chars: number, seed = 1): ProtectorSnapshot {
  const perEvent = JSON.stringify(event(1, seed)).length + 1;
  let n = Math.ceil(chars / perEvent);
  let snap = snapshot(protectorId, { events: n, seed });
  while (JSON.stringify(snap).length < chars) snap = snapshot(protectorId, { events: (n += 10), seed });
  return snap;
}

export function poison(o: Partial<PoisonRecord> = {}): PoisonRecord {
  return {
    source: 'keyvault-audit',
    partitionId: '0',
    offset: '4294967296',
    sequenceNumber: 1,
    recordIndex: 0,
    reason: 'schema: properties.requestUri missing',
    body: '{"operationName":"KeyUnwrap"}',
    receivedAt: '2025-01-01T00:00:00.000Z',
    ...o,
  };
}

export function alertMessage(key: string, o: Partial<AlertMessage> = {}): AlertMessage {
  return {
    key,
    kind: 'opened',
    subject: `[keysteward] access lost: ${key}`,
    text: 'The SQL server lost access to its TDE protector.',
    html: '<p>The SQL server lost access to its <b>TDE protector</b>.</p>',
    to: ['ops@example.com'],
    incidents: [
      {
        protector: 'orders-tde',
        member: '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-eus',
        cause: 'permission_revoked',
        episode: 0,
        stage: 'access_lost',
        openedAt: '2025-01-01T00:00:00.000Z',
        accessLostAt: '2025-01-01T00:00:00.000Z',
        inaccessibleAt: null,
        autohealDeadline: null,
        resolvedAt: null,
        evidence: [{ source: 'keyvault-audit', time: '2025-01-01T00:00:00.000Z', operation: 'KeyUnwrap', status: 403 }],
      },
    ],
    createdAt: '2025-01-01T00:00:00.000Z',
    ...o,
  };
}

export function alert(key: string, o: Partial<Omit<AlertRecord, 'key'>> = {}): AlertRecord {
  return { key, message: alertMessage(key), createdAt: '2025-01-01T00:00:00.000Z', status: 'pending', attempts: 0, channels: {}, ...o };
}
