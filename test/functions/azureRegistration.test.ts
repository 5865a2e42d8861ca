// The Azure Functions entry point registers every definition with the right trigger options. Outside the
// Functions host the library runs in test mode (registration is a no-op), so the registrations are observed
// through spies on `app`.
import { app } from '@azure/functions';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const calls: Record<string, Array<[string, Record<string, unknown>]>> = { eventHub: [], timer: [], http: [], eventGrid: [] };

beforeAll(async () => {
  for (const kind of ['eventHub', 'timer', 'http', 'eventGrid'] as const) {
    vi.spyOn(app, kind).mockImplementation(((name: string, options: Record<string, unknown>) => {
      calls[kind]?.push([name, options]);
    }) as never);
  }
  process.env['KEYSTEWARD_ESTATE'] = fileURLToPath(new URL('../../demo/service-estate.json', import.meta.url));
  process.env['STORAGE_CONNECTION_STRING'] = 'UseDevelopmentStorage=true';
  await import('../../functions/index.js');
});

afterAll(() => {
  vi.restoreAllMocks();
  delete process.env['KEYSTEWARD_ESTATE'];
  delete process.env['STORAGE_CONNECTION_STRING'];
});

describe('Azure Functions registration', () => {
  it('registers both Event Hubs triggers with cardinality many, app-setting connections and a retry policy', () => {
    expect(calls['eventHub']?.map(([name, o]) => [name, o['connection'], o['eventHubName'], o['cardinality']])).toEqual([
      ['kvAudit', 'KV_AUDIT_EH', 'insights-logs-auditevent', 'many'],
      ['activityLog', 'ACTIVITY_EH', 'insights-activity-logs', 'many'],
    ]);
    for (const [, o] of calls['eventHub'] ?? []) {
      expect(o['retry']).toEqual({ strategy: 'exponentialBackoff', maxRetryCount: 5, minimumInterval: { milliseconds: 10_000 }, maximumInterval: { milliseconds: 300_000 } });
    }
  });

  it('registers the timers and the HTTP routes of DESIGN.md §4.4', () => {
    expect(calls['timer']?.map(([name, o]) => [name, o['schedule']])).toEqual([
      ['sweep', '*/30 * * * * *'],
      ['rotationSchedule', '0 0 * * * *'],
      ['reconcile', '0 */5 * * * *'],
      ['itsm', '*/15 * * * * *'],
      ['discovery', '0 0 * * * *'],
    ]);
    expect(calls['http']?.map(([name, o]) => [name, o['route'], o['methods'], o['authLevel']])).toEqual([
      ['health', 'health', ['GET'], 'anonymous'],
      ['protectors', 'protectors', ['GET'], 'function'],
      ['protector', 'protectors/{id}', ['GET'], 'function'],
      ['discoveryStatus', 'discovery', ['GET'], 'function'],
      ['eventGrid', 'events/eventgrid', ['POST', 'OPTIONS'], 'function'],
      ['startRotation', 'protectors/{id}/rotations', ['POST'], 'function'],
      ['retireVersion', 'protectors/{id}/versions/{vault}/{version}/disable', ['POST'], 'function'],
      ['rotation', 'rotations/{id}', ['GET'], 'function'],
      ['startRewrap', 'protectors/{id}/rewraps', ['POST'], 'function'],
      ['rewrap', 'rewraps/{id}', ['GET'], 'function'],
      // Signed by the sender (Standard Webhooks, X-Hub-Signature) or a bearer token: no function key in the way.
      ['itsmWebhook', 'itsm/{profile}', ['POST'], 'anonymous'],
      ['itsmRequest', 'itsm/requests/{id}', ['GET'], 'function'],
      // The operator console; its event stream (dashboard/events) is the standalone host's alone: pages poll dashboard/version here.
      ['dashboard', 'dashboard', ['GET'], 'function'],
      ['consoleProtector', 'dashboard/protectors/{id}', ['GET'], 'function'],
      ['consoleRotations', 'dashboard/rotations', ['GET'], 'function'],
      ['consoleRotation', 'dashboard/rotations/{id}', ['GET'], 'function'],
      ['consoleAsset', 'dashboard/assets/{name}', ['GET'], 'function'],
      ['consoleVersion', 'dashboard/version', ['GET'], 'function'],
    ]);
    expect(calls['eventGrid']?.map(([name]) => name)).toEqual(['eventGridKeyVault']);
  });

  it('applies the body limit of each route before its handler, as the standalone host does (the Functions host allows 100 MB)', async () => {
    type Handler = (req: unknown) => Promise<{ status: number; jsonBody?: unknown }>;
    const handlerOf = (name: string): Handler => calls['http']?.find(([n]) => n === name)?.[1]['handler'] as Handler;
    // As the Functions v4 HttpRequest: a fetch-style stream body; chunked (no Content-Length) unless `declared`.
    const req = (bytes: number, declared = false) => {
      const request = new Request('https://func.example/api/x', { method: 'POST', body: new Uint8Array(bytes), headers: declared ? { 'content-length': String(bytes) } : {} });
      const headers = new Headers(declared ? { 'content-length': String(bytes) } : {});
      return { method: 'POST', params: { id: 'orders-sql', profile: 'standard' }, query: new URLSearchParams(), headers, body: request.body };
    };
    // Refused before any service is built (building one would need Table Storage and Redis).
    expect(await handlerOf('startRotation')(req(16 * 1024 + 1))).toEqual({ status: 413, jsonBody: { error: 'body too large' } });
    expect(await handlerOf('startRotation')(req(16 * 1024 + 1, true))).toEqual({ status: 413, jsonBody: { error: 'body too large' } });
    expect(await handlerOf('itsmWebhook')(req(64 * 1024 + 1))).toEqual({ status: 413, jsonBody: { error: 'body too large' } });
    expect(await handlerOf('eventGrid')(req(1_048_576 + 65_537))).toEqual({ status: 413, jsonBody: { error: 'body too large' } });
  });
});
