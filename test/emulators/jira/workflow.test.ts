// Comments (ADF in, plain text out) and transitions (list, apply, resolution set and cleared, bad ids).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { JiraEmulator } from '../../../emulators/jira/index.js';
import { adf, call, devCert, KEYSTEWARD, OPERATOR, startJira } from './support.js';

let cert: DevCertificate;
let em: JiraEmulator;

beforeAll(async () => {
  cert = await devCert();
  em = await startJira(cert);
});

afterAll(async () => {
  await em.close();
});

interface Transition {
  id: string;
  name: string;
  to: { name: string; id: string; statusCategory: { key: string } };
  isAvailable: boolean;
}

async function transitions(key: string): Promise<Transition[]> {
  const r = await call(em, 'GET', `/rest/api/3/issue/${key}/transitions`);
  expect(r.status).toBe(200);
  expect((r.json as { expand: string }).expand).toBe('transitions');
  return (r.json as { transitions: Transition[] }).transitions;
}

async function moveTo(key: string, status: string, extra: Record<string, unknown> = {}): Promise<number> {
  const t = (await transitions(key)).find((x) => x.name === status);
  if (!t) throw new Error(`no transition to ${status}`);
  return (await call(em, 'POST', `/rest/api/3/issue/${key}/transitions`, { body: { transition: { id: t.id }, ...extra } })).status;
}

async function resolution(key: string): Promise<unknown> {
  return ((await call(em, 'GET', `/rest/api/3/issue/${key}?fields=resolution,status`)).json as { fields: { resolution: unknown } }).fields.resolution;
}

describe('comments', () => {
  it('POST takes an ADF body and answers 201 with the author; the emulator keeps its plain text', async () => {
    const { key, id } = em.createIssue({ project: 'CHG', summary: 'change' });
    const body = adf('keysteward: rotation of sql-orders started.', 'Request r-42.');
    const r = await call(em, 'POST', `/rest/api/3/issue/${key}/comment`, { body: { body } });
    expect(r.status).toBe(201);
    const c = r.json as { id: string; self: string; author: { accountId: string; displayName: string }; body: unknown; created: string; updated: string };
    expect(c).toMatchObject({ author: { accountId: KEYSTEWARD.accountId, displayName: 'keysteward automation' }, body });
    expect(c.self).toBe(`${em.url}/rest/api/3/issue/${id}/comment/${c.id}`);
    expect(c.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    expect(c.updated).toBe(c.created);
    expect(em.comments(key)).toEqual([{ id: c.id, author: KEYSTEWARD.accountId, text: 'keysteward: rotation of sql-orders started.\nRequest r-42.', body, created: c.created }]);
    expect(em.issue(key)?.comments).toHaveLength(1);
  });

  it('GET lists them in order with startAt, maxResults and total', async () => {
    const { key } = em.createIssue({ project: 'OPS', summary: 'incident' });
    await call(em, 'POST', `/rest/api/3/issue/${key}/comment`, { body: { body: adf('first') } });
    await call(em, 'POST', `/rest/api/3/issue/${key}/comment`, { user: OPERATOR, body: { body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'sec' }, { type: 'text', text: 'ond', marks: [{ type: 'strong' }] }] }] } } });
    const r = await call(em, 'GET', `/rest/api/3/issue/${key}/comment`);
    expect(r.status).toBe(200);
    const page = r.json as { startAt: number; maxResults: number; total: number; comments: Array<{ id: string; body: unknown; author: { accountId: string } }> };
    expect(page).toMatchObject({ startAt: 0, maxResults: 5000, total: 2 });
    expect(page.comments.map((c) => c.body)).toEqual([adf('first'), expect.objectContaining({ type: 'doc' })]);
    expect(page.comments[1]?.author.accountId).not.toBe(KEYSTEWARD.accountId);
    expect(em.comments(key).map((c) => c.text)).toEqual(['first', 'second']);
    const one = await call(em, 'GET', `/rest/api/3/issue/${key}/comment/${page.comments[0]?.id ?? ''}`);
    expect(one.json).toMatchObject({ body: adf('first') });
  });

  it('400 for a body that is not ADF or has no text; 404 for an unknown issue', async () => {
    const { key } = em.createIssue({ project: 'OPS', summary: 'incident' });
    for (const body of ['plain text', { type: 'paragraph' }, { type: 'doc', version: 1 }, undefined]) {
      const r = await call(em, 'POST', `/rest/api/3/issue/${key}/comment`, { body: { body } });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ errorMessages: ['Comment body is not valid!'], errors: {} });
    }
    const empty = await call(em, 'POST', `/rest/api/3/issue/${key}/comment`, { body: { body: { type: 'doc', version: 1, content: [] } } });
    expect(empty).toMatchObject({ status: 400, json: { errorMessages: [], errors: { comment: 'Comment body can not be empty!' } } });
    expect(em.comments(key)).toEqual([]);
    expect((await call(em, 'POST', '/rest/api/3/issue/OPS-9999/comment', { body: { body: adf('x') } })).status).toBe(404);
    expect(() => em.comments('OPS-9999')).toThrow(/unknown issue/);
  });
});

describe('transitions', () => {
  it('lists one transition to every other status, ids stable per target', async () => {
    const a = em.createIssue({ project: 'CHG', summary: 'a' });
    const b = em.createIssue({ project: 'CHG', summary: 'b', status: 'Implementing' });
    const ta = await transitions(a.key);
    expect(ta).toHaveLength(11);
    expect(ta.map((t) => t.name)).not.toContain('Open');
    expect(ta.find((t) => t.name === 'Closed')).toMatchObject({ name: 'Closed', to: { name: 'Closed', statusCategory: { key: 'done' } }, isAvailable: true });
    const tb = await transitions(b.key);
    expect(tb.map((t) => t.name)).toContain('Open');
    const closedA = ta.find((t) => t.name === 'Closed');
    const closedB = tb.find((t) => t.name === 'Closed');
    expect(closedA?.id).toBe(closedB?.id);
    expect(ta.every((t) => t.to.name === t.name)).toBe(true);
  });

  it('moving to a done status sets resolution Done (or the one given); leaving done clears it', async () => {
    const { key } = em.createIssue({ project: 'OPS', issueType: 'Incident', summary: 'incident' });
    expect(await resolution(key)).toBeNull();
    expect(await moveTo(key, 'In Progress')).toBe(204);
    expect(em.issue(key)?.status).toBe('In Progress');
    expect(await resolution(key)).toBeNull();
    expect(await moveTo(key, 'Resolved')).toBe(204);
    expect(await resolution(key)).toMatchObject({ name: 'Done', id: '10000' });
    expect(await moveTo(key, 'Open')).toBe(204);
    expect(await resolution(key)).toBeNull();
    expect(await moveTo(key, 'Canceled', { fields: { resolution: { name: "Won't Do" } } })).toBe(204);
    expect(await resolution(key)).toMatchObject({ name: "Won't Do" });
    const issue = (await call(em, 'GET', `/rest/api/3/issue/${key}`)).json as { fields: { status: { name: string; statusCategory: unknown } } };
    expect(issue.fields.status).toMatchObject({ name: 'Canceled', statusCategory: { id: 3, key: 'done', colorName: 'green', name: 'Done' } });
  });

  it('400 for an unknown id, the current status, a missing id or a bad resolution', async () => {
    const { key } = em.createIssue({ project: 'OPS', summary: 'incident' });
    const bad = await call(em, 'POST', `/rest/api/3/issue/${key}/transitions`, { body: { transition: { id: '999' } } });
    expect(bad).toMatchObject({ status: 400, json: { errorMessages: ["Transition id '999' is not valid for this issue."], errors: {} } });
    const toOpen = (await transitions(em.createIssue({ project: 'OPS', summary: 'x', status: 'Review' }).key)).find((t) => t.name === 'Open');
    const same = await call(em, 'POST', `/rest/api/3/issue/${key}/transitions`, { body: { transition: { id: toOpen?.id } } });
    expect(same.status).toBe(400);
    expect((await call(em, 'POST', `/rest/api/3/issue/${key}/transitions`, { body: {} })).status).toBe(400);
    const resolved = (await transitions(key)).find((t) => t.name === 'Resolved');
    const badResolution = await call(em, 'POST', `/rest/api/3/issue/${key}/transitions`, { body: { transition: { id: resolved?.id }, fields: { resolution: { name: 'Nope' } } } });
    expect(badResolution.status).toBe(400);
    expect(badResolution.json).toMatchObject({ errors: { resolution: expect.stringContaining('Nope') } });
    expect(em.issue(key)?.status).toBe('Open');
    expect((await call(em, 'GET', '/rest/api/3/issue/OPS-9999/transitions')).status).toBe(404);
  });

  it('updateIssue moves the status directly, with the same resolution rule', async () => {
    const { key } = em.createIssue({ project: 'OPS', summary: 'x' });
    em.updateIssue(key, { status: 'closed', summary: 'renamed' });
    expect(em.issue(key)).toMatchObject({ status: 'Closed', summary: 'renamed' });
    expect(await resolution(key)).toMatchObject({ name: 'Done' });
    em.updateIssue(key, { status: 'Review' });
    expect(await resolution(key)).toBeNull();
    expect(() => em.updateIssue(key, { status: 'Nonexistent' })).toThrow(/unknown status/);
    expect(() => em.updateIssue('OPS-9999', { summary: 'x' })).toThrow(/unknown issue/);
  });
});
