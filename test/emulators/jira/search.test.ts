// POST and GET /rest/api/3/search/jql: the JQL subset, ordering, fields, paging with nextPageToken, JQL errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { JiraEmulator } from '../../../emulators/jira/index.js';
import { call, CORRELATION, devCert, manualClock, startJira } from './support.js';

let cert: DevCertificate;
let em: JiraEmulator;
const clock = manualClock();

interface Page {
  issues: Array<{ id: string; key?: string; self?: string; fields?: Record<string, unknown> }>;
  isLast: boolean;
  nextPageToken?: string;
}

beforeAll(async () => {
  cert = await devCert();
  em = await startJira(cert, { clock: clock.now });
  const seed = [
    { project: 'CHG', summary: 'chg 1', labels: ['keysteward'], status: 'Awaiting approval' },
    { project: 'CHG', summary: 'chg 2', labels: ['keysteward', 'tde'], status: 'Completed' },
    { project: 'OPS', summary: 'ops 1', labels: ['keysteward'], issueType: 'Incident', fields: { [CORRELATION]: 'grp-1' } },
    { project: 'OPS', summary: 'ops 2', labels: ['other'], issueType: 'Incident' },
    { project: 'OPS', summary: 'ops 3', labels: [], issueType: 'Task', status: 'In Progress' },
  ];
  for (const s of seed) {
    em.createIssue(s);
    clock.advance(60_000);
  }
});

afterAll(async () => {
  await em.close();
});

async function jql(query: string, extra: Record<string, unknown> = { fields: ['summary'] }): Promise<Page> {
  const r = await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: query, ...extra } });
  expect(r.status, r.text).toBe(200);
  return r.json as Page;
}

const keys = (p: Page): Array<string | undefined> => p.issues.map((i) => i.key);

describe('JQL subset', () => {
  it('labels = / in, project AND labels, newest first by default', async () => {
    expect(keys(await jql('labels = keysteward'))).toEqual(['OPS-1', 'CHG-2', 'CHG-1']);
    expect(keys(await jql('labels = "tde"'))).toEqual(['CHG-2']);
    expect(keys(await jql('labels in ("tde", other)'))).toEqual(['OPS-2', 'CHG-2']);
    expect(keys(await jql('project = OPS AND labels = keysteward'))).toEqual(['OPS-1']);
    expect(keys(await jql('project = "CHG" and labels = keysteward and key = CHG-1'))).toEqual(['CHG-1']);
    expect(keys(await jql('labels != keysteward'))).toEqual(['OPS-2']);
  });

  it('status and statusCategory', async () => {
    expect(keys(await jql('status = "Awaiting approval"'))).toEqual(['CHG-1']);
    expect(keys(await jql('status = open'))).toEqual(['OPS-2', 'OPS-1']);
    expect(keys(await jql('statusCategory = Done'))).toEqual(['CHG-2']);
    expect(keys(await jql('project = OPS AND statusCategory != Done ORDER BY created ASC'))).toEqual(['OPS-1', 'OPS-2', 'OPS-3']);
    expect(keys(await jql('statusCategory = "In Progress" AND issuetype = Task'))).toEqual(['OPS-3']);
  });

  it('ORDER BY created DESC and ASC', async () => {
    expect(keys(await jql('project = CHG ORDER BY created ASC'))).toEqual(['CHG-1', 'CHG-2']);
    expect(keys(await jql('project = CHG order by created desc'))).toEqual(['CHG-2', 'CHG-1']);
  });

  it('without `fields` returns ids only; with fields id, key, self and the fields asked for', async () => {
    const bare = await jql('project = CHG', {});
    expect(bare.issues.every((i) => Object.keys(i).join() === 'id')).toBe(true);
    const full = await jql('key = OPS-1', { fields: ['summary', 'status', CORRELATION] });
    expect(full.issues[0]).toMatchObject({ key: 'OPS-1', self: expect.stringContaining('/rest/api/3/issue/'), fields: { summary: 'ops 1', status: { name: 'Open' }, [CORRELATION]: 'grp-1' } });
    expect(Object.keys(full.issues[0]?.fields ?? {}).sort()).toEqual([CORRELATION, 'status', 'summary'].sort());
    expect(full.isLast).toBe(true);
    expect(full).not.toHaveProperty('nextPageToken');
  });

  it('GET takes jql, fields and maxResults as query parameters', async () => {
    const r = await call(em, 'GET', `/rest/api/3/search/jql?jql=${encodeURIComponent('project = OPS ORDER BY created ASC')}&fields=summary,labels&maxResults=2`);
    expect(r.status).toBe(200);
    const page = r.json as Page;
    expect(page.issues.map((i) => i.fields)).toEqual([{ summary: 'ops 1', labels: ['keysteward'] }, { summary: 'ops 2', labels: ['other'] }]);
    expect(page.isLast).toBe(false);
    const next = await call(em, 'GET', `/rest/api/3/search/jql?jql=${encodeURIComponent('project = OPS ORDER BY created ASC')}&fields=summary&nextPageToken=${encodeURIComponent(page.nextPageToken ?? '')}`);
    expect(keys(next.json as Page)).toEqual(['OPS-3']);
  });

  it('pages with nextPageToken until isLast; a token for another query is refused', async () => {
    const seen: Array<string | undefined> = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page: Page = await jql('labels in (keysteward, other, tde) ORDER BY created ASC', { fields: ['summary'], maxResults: 2, ...(token ? { nextPageToken: token } : {}) });
      seen.push(...keys(page));
      token = page.nextPageToken;
      pages++;
      expect(page.isLast).toBe(token === undefined);
    } while (token);
    expect(pages).toBe(2);
    expect(seen).toEqual(['CHG-1', 'CHG-2', 'OPS-1', 'OPS-2']);

    const first = await jql('project = OPS', { fields: ['summary'], maxResults: 1 });
    const replay = await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: 'project = CHG', nextPageToken: first.nextPageToken } });
    expect(replay.status).toBe(400);
    expect((await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: 'project = CHG', nextPageToken: 'garbage' } })).status).toBe(400);
    expect((await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: 'project = CHG', maxResults: -1 } })).status).toBe(400);
  });
});

describe('JQL errors', () => {
  it('400 "Error in the JQL Query: …" for syntax outside the subset', async () => {
    for (const q of ['project = OPS OR project = CHG', 'assignee = currentUser()', 'summary ~ "x"', 'project =', 'labels in (a, b', 'project = OPS ORDER BY priority', 'status = "unterminated', 'project = OPS AND']) {
      const r = await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: q } });
      expect(r.status, q).toBe(400);
      const body = r.json as { errorMessages: string[]; errors: object };
      expect(body.errors).toEqual({});
      expect(body.errorMessages[0], q).toMatch(/^Error in the JQL Query: /);
    }
  });

  it('400 for a value that names nothing, and for an unbounded query', async () => {
    const project = await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: 'project = NOPE' } });
    expect(project.json).toEqual({ errorMessages: ["The value 'NOPE' does not exist for the field 'project'."], errors: {} });
    const status = await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: 'status = "Nope"' } });
    expect(status.status).toBe(400);
    const key = await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: 'key = OPS-999' } });
    expect(key.json).toEqual({ errorMessages: ["An issue with key 'OPS-999' does not exist for field 'key'."], errors: {} });
    for (const q of ['', 'ORDER BY created DESC']) {
      const r = await call(em, 'POST', '/rest/api/3/search/jql', { body: { jql: q } });
      expect(r.status).toBe(400);
      expect((r.json as { errorMessages: string[] }).errorMessages[0]).toMatch(/Unbounded/);
    }
  });
});
