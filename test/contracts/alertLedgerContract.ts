// The AlertLedger contract (app/ports.ts, I7): a transition is claimed once, across instances; updates merge;
// pending() is the dispatcher's oldest-first work list; delivery is kept per channel; undelivered() is what health counts.
import { describe, expect, it } from 'vitest';
import type { AlertLedger } from '../../app/ports.js';
import { CHANNEL_ERROR_MAX_CHARS } from '../../app/fakes/memoryAlertLedger.js';
import { alert, alertMessage } from './fixtures.js';

export function alertLedgerContract(name: string, makeLedger: () => AlertLedger | Promise<AlertLedger>): void {
  describe(`AlertLedger contract: ${name}`, () => {
    it('keeps the traceparent of the trace that claimed an alert, and drops a malformed one', async () => {
      const ledger = await makeLedger();
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      expect(await ledger.claim({ ...alert('traced'), traceparent })).toBe(true);
      expect(await ledger.claim({ ...alert('mangled'), traceparent: 'not-a-traceparent' })).toBe(true);
      expect((await ledger.get('traced'))?.traceparent).toBe(traceparent);
      expect(await ledger.get('mangled')).not.toHaveProperty('traceparent');
    });

    it('returns null for an unclaimed key', async () => {
      const ledger = await makeLedger();
      expect(await ledger.get('nope')).toBeNull();
    });

    it('claims once: the second claim is false and does not overwrite', async () => {
      const ledger = await makeLedger();
      const first = alert('k1');
      expect(await ledger.claim(first)).toBe(true);
      expect(await ledger.claim(alert('k1', { message: alertMessage('k1', { subject: 'other' }), attempts: 5 }))).toBe(false);
      expect(await ledger.get('k1')).toStrictEqual(first);
    });

    it('lets exactly one of 10 concurrent claims of one key win, and keeps the winner', async () => {
      const ledger = await makeLedger();
      const claims = Array.from({ length: 10 }, (_, i) => alert('race', { message: alertMessage('race', { subject: `claimant ${i}` }) }));
      const results = await Promise.all(claims.map((c) => ledger.claim(c)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = claims[results.indexOf(true)];
      expect(await ledger.get('race')).toStrictEqual(winner);
    });

    it('keeps keys with characters a RowKey cannot hold apart and readable', async () => {
      const ledger = await makeLedger();
      const keys = ['/subscriptions/s/rg#1?x', 'a\\b', 'ctl\u0001\u007f\u0085', '~x', 'x'.repeat(700), 'é鍵🔑'];
      for (const k of keys) expect(await ledger.claim(alert(k))).toBe(true);
      for (const k of keys) expect(await ledger.get(k)).toStrictEqual(alert(k));
      expect(await ledger.claim(alert(keys[0] ?? ''))).toBe(false);
    });

    it('round-trips a large message', async () => {
      const ledger = await makeLedger();
      // Many chunks, and non-ASCII text across chunk and transport boundaries (stored as \u escapes).
      const record = alert('big', { message: alertMessage('big', { html: `<p>${'é€😀'.repeat(10_000)}</p>`, text: 't'.repeat(200_000) }) });
      expect(await ledger.claim(record)).toBe(true);
      expect(await ledger.get('big')).toStrictEqual(record);
    });

    it('leases a pending alert to exactly one of many concurrent dispatchers; an expired lease can be taken again', async () => {
      const ledger = await makeLedger();
      await ledger.claim(alert('lease-me'));
      const wins = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.lease('lease-me', `d${i}`, 1_000, 61_000)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await ledger.lease('lease-me', 'late', 30_000, 90_000)).toBe(false);
      expect(await ledger.lease('lease-me', 'after-expiry', 61_001, 121_001)).toBe(true);
      await ledger.update('lease-me', { status: 'sent', attempts: 1 });
      expect(await ledger.lease('lease-me', 'too-late', 500_000, 560_000)).toBe(false);
      expect(await ledger.lease('no-such-alert', 'x', 0, 1)).toBe(false);
    });

    it('lists only pending records, oldest first, up to the limit', async () => {
      const ledger = await makeLedger();
      await ledger.claim(alert('c', { createdAt: '2025-01-03T00:00:00.000Z' }));
      await ledger.claim(alert('a', { createdAt: '2025-01-01T00:00:00.000Z' }));
      await ledger.claim(alert('sent', { createdAt: '2024-12-01T00:00:00.000Z', status: 'sent', attempts: 1 }));
      await ledger.claim(alert('b', { createdAt: '2025-01-02T00:00:00.000Z' }));
      await ledger.claim(alert('failed', { createdAt: '2024-12-02T00:00:00.000Z', status: 'failed', attempts: 5, lastError: 'smtp 550' }));
      await ledger.claim(alert('0-early', { createdAt: '2024-06-01T00:00:00.000Z' }));
      expect((await ledger.pending()).map((r) => r.key)).toEqual(['0-early', 'a', 'b', 'c']);
      expect((await ledger.pending(2)).map((r) => r.key)).toEqual(['0-early', 'a']);
      expect(await ledger.pending(0)).toEqual([]);
      expect((await ledger.pending())[1]).toStrictEqual(alert('a', { createdAt: '2025-01-01T00:00:00.000Z' }));
    });

    it('per channel: up to the limit of those still pending on each channel (absent from the map counts as pending), oldest first', async () => {
      const ledger = await makeLedger();
      const at = (d: number) => `2025-01-0${d}T00:00:00.000Z`;
      const both = { email: { status: 'pending' as const, attempts: 0 }, webhook: { status: 'pending' as const, attempts: 0 } };
      const webhookOnly = { email: { status: 'sent' as const, attempts: 1 }, webhook: { status: 'pending' as const, attempts: 3 } };
      await ledger.claim(alert('w1', { createdAt: at(1), channels: webhookOnly }));
      await ledger.claim(alert('w2', { createdAt: at(2), channels: webhookOnly }));
      await ledger.claim(alert('b3', { createdAt: at(3), channels: both }));
      await ledger.claim(alert('n4', { createdAt: at(4), channels: { webhook: { status: 'failed', attempts: 120 } } }));
      expect((await ledger.pending(2, ['email'])).map((r) => r.key)).toEqual(['b3', 'n4']);
      expect((await ledger.pending(1, ['email', 'webhook'])).map((r) => r.key)).toEqual(['w1', 'b3']);
      expect((await ledger.pending(2)).map((r) => r.key)).toEqual(['w1', 'w2']);
      expect(await ledger.pending(0, ['email'])).toEqual([]);
    });

    it('updates status, attempts and lastError; a patch without lastError keeps the last one', async () => {
      const ledger = await makeLedger();
      await ledger.claim(alert('k1'));
      await ledger.claim(alert('k2', { createdAt: '2025-01-05T00:00:00.000Z' }));
      await ledger.update('k1', { status: 'pending', attempts: 1, lastError: 'timeout' });
      expect(await ledger.get('k1')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'timeout' });
      await ledger.update('k1', { status: 'sent', attempts: 2 });
      expect(await ledger.get('k1')).toStrictEqual({ ...alert('k1'), status: 'sent', attempts: 2, lastError: 'timeout' });
      expect((await ledger.pending()).map((r) => r.key)).toEqual(['k2']);
      await ledger.update('k2', { status: 'failed', attempts: 5, lastError: 'gave up' });
      expect(await ledger.pending()).toEqual([]);
    });

    it('refuses to update an unclaimed key', async () => {
      const ledger = await makeLedger();
      await expect(ledger.update('ghost', { status: 'sent', attempts: 1 })).rejects.toThrow(/no claimed alert/);
      expect(await ledger.get('ghost')).toBeNull();
    });
    it('keeps delivery per channel: each update replaces the map, an update without one keeps it, errors are bounded', async () => {
      const ledger = await makeLedger();
      await ledger.claim(alert('ch', { channels: { email: { status: 'pending', attempts: 0 }, webhook: { status: 'pending', attempts: 0 } } }));
      expect((await ledger.get('ch'))?.channels).toStrictEqual({ email: { status: 'pending', attempts: 0 }, webhook: { status: 'pending', attempts: 0 } });
      const channels = {
        email: { status: 'sent' as const, attempts: 1, sentAt: '2025-01-01T00:00:05.000Z' },
        webhook: { status: 'pending' as const, attempts: 1, lastError: `webhook to https://hooks.example answered HTTP 503 ${'x'.repeat(5_000)}` },
      };
      await ledger.update('ch', { status: 'pending', attempts: 1, lastError: 'webhook: answered HTTP 503', channels });
      const stored = await ledger.get('ch');
      expect(stored?.channels.email).toStrictEqual(channels.email);
      expect(stored?.channels.webhook?.lastError).toBe(channels.webhook.lastError.slice(0, CHANNEL_ERROR_MAX_CHARS));
      await ledger.update('ch', { status: 'pending', attempts: 2 });
      expect((await ledger.get('ch'))?.channels).toStrictEqual(stored?.channels);
      const done = { ...stored?.channels, webhook: { status: 'sent' as const, attempts: 2, lastError: stored?.channels.webhook?.lastError ?? '', sentAt: '2025-01-01T00:01:00.000Z' } };
      await ledger.update('ch', { status: 'sent', attempts: 2, channels: done });
      expect(await ledger.get('ch')).toStrictEqual({ ...alert('ch'), status: 'sent', attempts: 2, lastError: 'webhook: answered HTTP 503', channels: done });
    });

    it('lists the heads of pending alerts and of failed ones since a time, oldest first, without their messages', async () => {
      const ledger = await makeLedger();
      const webhookDown = { webhook: { status: 'pending' as const, attempts: 3, lastError: 'HTTP 503' } };
      await ledger.claim(alert('p2', { createdAt: '2025-01-02T00:00:00.000Z', attempts: 3, channels: webhookDown }));
      await ledger.claim(alert('p1', { createdAt: '2025-01-01T00:00:00.000Z' }));
      await ledger.claim(alert('sent', { createdAt: '2024-12-01T00:00:00.000Z', status: 'sent', attempts: 1 }));
      await ledger.claim(alert('failed-old', { createdAt: '2024-12-30T23:59:59.999Z', status: 'failed', attempts: 120 }));
      await ledger.claim(alert('failed-new', { createdAt: '2024-12-31T00:00:00.000Z', status: 'failed', attempts: 120, channels: { email: { status: 'failed', attempts: 120, lastError: 'quota' } } }));
      expect(await ledger.undelivered('2024-12-31T00:00:00.000Z')).toStrictEqual([
        { key: 'failed-new', createdAt: '2024-12-31T00:00:00.000Z', status: 'failed', attempts: 120, channels: { email: { status: 'failed', attempts: 120, lastError: 'quota' } } },
        { key: 'p1', createdAt: '2025-01-01T00:00:00.000Z', status: 'pending', attempts: 0, channels: {} },
        { key: 'p2', createdAt: '2025-01-02T00:00:00.000Z', status: 'pending', attempts: 3, channels: webhookDown },
      ]);
      await ledger.update('p1', { status: 'sent', attempts: 1 });
      expect((await ledger.undelivered('2030-01-01T00:00:00.000Z')).map((h) => h.key)).toEqual(['p2']);
    });
  });
}
