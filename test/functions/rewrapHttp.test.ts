// The rewrap routes over a fake Services: bodies validated at the edge (each bad field named), outcomes mapped to
// statuses, and the campaign's location returned.
import { describe, expect, it } from 'vitest';
import type { HttpInput } from '../../functions/definitions.js';
import { rewrapHandler, startRewrapHandler } from '../../functions/rotationHttp.js';
import type { Services } from '../../functions/services.js';
import type { StartRewrapResult } from '../../app/rewrap/startRewrap.js';

const V = '0123456789abcdef0123456789abcdef';
const req = (raw: string, id = 'cards-ae'): HttpInput => ({ method: 'POST', params: { id }, query: new URLSearchParams(), headers: {}, rawBody: Buffer.from(raw) });

function services(result: StartRewrapResult) {
  const asked: unknown[] = [];
  const s = {
    startRewrap: async (id: string, args: unknown) => {
      asked.push({ id, args });
      return result;
    },
    getRewrap: async (id: string) => (id === 'rewrap-known' ? { state: 'running' } : null),
  } as unknown as Services;
  return { s, asked };
}

const queued: StartRewrapResult = { kind: 'queued', status: { request: { id: 'rewrap-x', protector: 'cards-ae', store: 'cosmos-ceks', toKid: 'k', fromKid: null }, state: 'queued', progress: null, summary: null, error: null, attempts: 0 } };

describe('POST /api/protectors/{id}/rewraps', () => {
  it.each([
    ['not JSON', '{', /not JSON/],
    ['no toVersion', '{}', /toVersion/],
    ['a version that is not 32 hex', JSON.stringify({ toVersion: 'latest' }), /toVersion: must be a 32-hex/],
    ['an unknown field', JSON.stringify({ toVersion: V, force: true }), /force|unrecognized/i],
  ])('%s → 400 naming it, and nothing is queued', async (_name, raw, error) => {
    const { s, asked } = services(queued);
    const out = await startRewrapHandler(s, req(raw));
    expect(out.status).toBe(400);
    expect(String((out.jsonBody as { error: string }).error)).toMatch(error);
    expect(asked).toEqual([]);
  });

  it('queues with exactly the fields given and answers 202 with where to follow it', async () => {
    const { s, asked } = services(queued);
    const out = await startRewrapHandler(s, req(JSON.stringify({ toVersion: V, vault: 'kv-ae' })));
    expect(out).toMatchObject({ status: 202, headers: { location: '/api/rewraps/rewrap-x' } });
    expect(asked).toEqual([{ id: 'cards-ae', args: { toVersion: V, vault: 'kv-ae' } }]);
  });

  it.each([
    [{ kind: 'unknown-protector', error: 'unknown protector "x"' } as const, 404],
    [{ kind: 'bad-request', error: 'fromVersion is required for keysteward\'s DEK store' } as const, 422],
  ])('%j → %i', async (result, status) => {
    const out = await startRewrapHandler(services(result).s, req(JSON.stringify({ toVersion: V })));
    expect(out).toEqual({ status, jsonBody: { error: result.error } });
  });
});

describe('GET /api/rewraps/{id}', () => {
  it('answers the campaign, or 404', async () => {
    const { s } = services(queued);
    expect(await rewrapHandler(s, { ...req('', 'rewrap-known') })).toEqual({ status: 200, jsonBody: { state: 'running' } });
    expect((await rewrapHandler(s, { ...req('', 'rewrap-none') })).status).toBe(404);
  });
});
