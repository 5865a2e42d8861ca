// GET, POST and PUT /rest/api/3/issue: the representation, the `fields` parameter, create validation, edits.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { JiraEmulator } from '../../../emulators/jira/index.js';
import { adf, call, CORRELATION, devCert, manualClock, PLANNED, PROTECTOR, startJira, T0 } from './support.js';

let cert: DevCertificate;
let em: JiraEmulator;
const clock = manualClock();

beforeAll(async () => {
  cert = await devCert();
  em = await startJira(cert, { clock: clock.now });
});

afterAll(async () => {
  await em.close();
});

interface IssueJson {
  id: string;
  key: string;
  self: string;
  fields: Record<string, unknown>;
}

const NOT_FOUND = { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} };

describe('GET issue', () => {
  let key = '';
  let id = '';
  beforeEach(() => {
    ({ key, id } = em.createIssue({
      project: 'CHG',
      summary: 'Rotate the TDE protector of sql-orders',
      status: 'Awaiting implementation',
      labels: ['keysteward', 'tde'],
      fields: { [PROTECTOR]: { value: 'sql-orders' }, [CORRELATION]: 'corr-1', [PLANNED]: '2026-12-04T10:00:00.000+0000' },
    }));
  });

  it('renders every field by default: system fields, status with its category, custom fields', async () => {
    const r = await call(em, 'GET', `/rest/api/3/issue/${key}`);
    expect(r.status).toBe(200);
    const issue = r.json as IssueJson;
    expect(issue).toMatchObject({ id, key, self: `${em.url}/rest/api/3/issue/${id}` });
    expect(Number(issue.id)).toBeGreaterThanOrEqual(10000);
    expect(issue.fields).toMatchObject({
      summary: 'Rotate the TDE protector of sql-orders',
      status: { name: 'Awaiting implementation', id: '10003', statusCategory: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' } },
      issuetype: { name: 'Change' },
      project: { key: 'CHG', name: 'Change management', id: '10000' },
      labels: ['keysteward', 'tde'],
      created: '2026-12-04T10:00:00.000+0000',
      updated: '2026-12-04T10:00:00.000+0000',
      resolution: null,
      [CORRELATION]: 'corr-1',
      [PLANNED]: '2026-12-04T10:00:00.000+0000',
    });
    expect(issue.fields[PROTECTOR]).toEqual({ self: expect.stringMatching(new RegExp(`^${em.url}/rest/api/3/customFieldOption/\\d+$`)), value: 'sql-orders', id: expect.stringMatching(/^\d+$/) });
    expect((issue.fields['status'] as { self: string }).self).toBe(`${em.url}/rest/api/3/status/10003`);
    // The same issue by id; keys match case-insensitively.
    expect(((await call(em, 'GET', `/rest/api/3/issue/${id}`)).json as IssueJson).key).toBe(key);
    expect((await call(em, 'GET', `/rest/api/3/issue/${key.toLowerCase()}`)).status).toBe(200);
  });

  it('`fields` selects fields (id, key and self always); *all is everything; -name excludes', async () => {
    const some = (await call(em, 'GET', `/rest/api/3/issue/${key}?fields=summary,${PROTECTOR}`)).json as IssueJson;
    expect(some).toMatchObject({ id, key, self: expect.any(String) });
    expect(Object.keys(some.fields).sort()).toEqual([PROTECTOR, 'summary'].sort());
    const all = (await call(em, 'GET', `/rest/api/3/issue/${key}?fields=*all`)).json as IssueJson;
    expect(Object.keys(all.fields)).toEqual(expect.arrayContaining(['summary', 'status', 'issuetype', 'project', 'labels', 'created', 'updated', 'resolution', PROTECTOR, CORRELATION, PLANNED]));
    const minus = (await call(em, 'GET', `/rest/api/3/issue/${key}?fields=*all,-labels`)).json as IssueJson;
    expect(minus.fields).not.toHaveProperty('labels');
    expect(minus.fields).toHaveProperty('summary');
  });

  it('unset custom fields are null', async () => {
    const plain = em.createIssue({ project: 'OPS', summary: 'no custom fields' });
    const issue = (await call(em, 'GET', `/rest/api/3/issue/${plain.key}`)).json as IssueJson;
    expect(issue.fields[PROTECTOR]).toBeNull();
    expect(issue.fields['issuetype']).toMatchObject({ name: 'Change' });
    expect(issue.fields['project']).toMatchObject({ projectTypeKey: 'software' });
  });

  it('404 for an unknown key or id', async () => {
    for (const k of ['CHG-9999', '99999', 'NOPE-1']) {
      const r = await call(em, 'GET', `/rest/api/3/issue/${k}`);
      expect(r.status).toBe(404);
      expect(r.json).toEqual(NOT_FOUND);
    }
  });
});

describe('POST issue', () => {
  const valid = { project: { key: 'OPS' }, issuetype: { name: 'Incident' }, summary: 'Key rotation failed for sql-orders' };

  it('201 with id, key and self; keys count per project from 1', async () => {
    const fresh = await startJira(cert, { clock: clock.now });
    try {
      const a = await call(fresh, 'POST', '/rest/api/3/issue', { body: { fields: valid } });
      expect(a.status).toBe(201);
      expect(a.json).toEqual({ id: '10000', key: 'OPS-1', self: `${fresh.url}/rest/api/3/issue/10000` });
      const b = await call(fresh, 'POST', '/rest/api/3/issue', { body: { fields: { ...valid, project: { id: '10000' }, issuetype: { name: 'Change' } } } });
      expect(b.json).toMatchObject({ id: '10001', key: 'CHG-1' });
      const c = await call(fresh, 'POST', '/rest/api/3/issue', { body: { fields: valid } });
      expect(c.json).toMatchObject({ id: '10002', key: 'OPS-2' });
      expect(fresh.issue('OPS-2')).toMatchObject({ project: 'OPS', issueType: 'Incident', status: 'Open', summary: valid.summary, labels: [] });
    } finally {
      await fresh.close();
    }
  });

  it('stores an ADF description, labels, priority and custom fields (option written as {value})', async () => {
    const description = adf('The rotation of sql-orders failed.', 'See keysteward.');
    const r = await call(em, 'POST', '/rest/api/3/issue', {
      body: { fields: { ...valid, description, labels: ['keysteward', 'incident'], priority: { name: 'High' }, [PROTECTOR]: { value: 'sql-orders' }, [CORRELATION]: 'grp-7' } },
    });
    expect(r.status).toBe(201);
    const { key } = r.json as { key: string };
    const issue = (await call(em, 'GET', `/rest/api/3/issue/${key}`)).json as IssueJson;
    expect(issue.fields).toMatchObject({ description, labels: ['keysteward', 'incident'], priority: { name: 'High', id: '2' }, [PROTECTOR]: { value: 'sql-orders' }, [CORRELATION]: 'grp-7' });
    expect(em.issue(key)?.fields).toMatchObject({ [CORRELATION]: 'grp-7', [PROTECTOR]: { value: 'sql-orders' } });
  });

  it('400 for each invalid field, all reported together', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>]> = [
      [{ ...valid, summary: undefined }, { summary: 'You must specify a summary of the issue.' }],
      [{ ...valid, summary: '   ' }, { summary: 'You must specify a summary of the issue.' }],
      [{ ...valid, project: { key: 'NOPE' } }, { project: 'valid project is required' }],
      [{ ...valid, project: undefined }, { project: 'valid project is required' }],
      [{ ...valid, issuetype: { name: 'Epic' } }, { issuetype: 'valid issue type is required' }],
      [{ ...valid, issuetype: undefined }, { issuetype: 'valid issue type is required' }],
      [{ ...valid, labels: ['a b'] }, { labels: "The label 'a b' contains spaces which is invalid." }],
      [{ ...valid, description: 'plain text' }, { description: 'Operation value must be an Atlassian Document' }],
      [{ ...valid, description: { type: 'doc', content: [] } }, { description: 'Operation value must be an Atlassian Document' }],
      [{ ...valid, customfield_99999: 'x' }, { customfield_99999: "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown." }],
      [{ ...valid, summary: '', labels: ['a b'] }, { summary: 'You must specify a summary of the issue.', labels: "The label 'a b' contains spaces which is invalid." }],
    ];
    const before = em.issues().length;
    for (const [fields, errors] of cases) {
      const r = await call(em, 'POST', '/rest/api/3/issue', { body: { fields } });
      expect(r.status, JSON.stringify(fields)).toBe(400);
      expect(r.json).toEqual({ errorMessages: [], errors });
    }
    expect(em.issues()).toHaveLength(before);
  });

  it('415 without a JSON content type; 400 for a body that is not JSON', async () => {
    const noType = await call(em, 'POST', '/rest/api/3/issue', { body: JSON.stringify({ fields: valid }), headers: { 'Content-Type': 'text/plain' } });
    expect(noType.status).toBe(415);
    const broken = await call(em, 'POST', '/rest/api/3/issue', { body: '{"fields":', headers: { 'Content-Type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.json).toMatchObject({ errorMessages: [expect.any(String)], errors: {} });
  });
});

describe('PUT issue', () => {
  it('204; changes fields and `updated`; update.labels adds and removes', async () => {
    const { key } = em.createIssue({ project: 'OPS', issueType: 'Incident', summary: 'before', labels: ['a'] });
    clock.advance(60_000);
    const r = await call(em, 'PUT', `/rest/api/3/issue/${key}`, { body: { fields: { summary: 'after', [CORRELATION]: 'c-2', [PLANNED]: '2026-12-05T08:30:00Z' }, update: { labels: [{ add: 'b' }, { remove: 'a' }] } } });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const issue = (await call(em, 'GET', `/rest/api/3/issue/${key}`)).json as IssueJson;
    expect(issue.fields).toMatchObject({ summary: 'after', labels: ['b'], [CORRELATION]: 'c-2', [PLANNED]: '2026-12-05T08:30:00.000+0000' });
    expect(issue.fields['updated']).not.toBe(issue.fields['created']);
    expect(em.issue(key)?.updated).toBe(new Date(clock.now()).toISOString().replace('Z', '+0000'));
    // null clears a custom field.
    expect((await call(em, 'PUT', `/rest/api/3/issue/${key}`, { body: { fields: { [CORRELATION]: null } } })).status).toBe(204);
    expect(em.issue(key)?.fields).not.toHaveProperty(CORRELATION);
  });

  it('400 for an unknown field, status, a bad option or a bad date — nothing applied; 404 for an unknown issue', async () => {
    const { key } = em.createIssue({ project: 'OPS', summary: 'unchanged' });
    const r = await call(em, 'PUT', `/rest/api/3/issue/${key}`, { body: { fields: { summary: 'changed', customfield_99999: 'x', status: { name: 'Closed' }, [PROTECTOR]: 'bare', [PLANNED]: 'tomorrow' } } });
    expect(r.status).toBe(400);
    const errors = (r.json as { errors: Record<string, string> }).errors;
    expect(errors).toMatchObject({
      customfield_99999: "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown.",
      status: "Field 'status' cannot be set. It is not on the appropriate screen, or unknown.",
    });
    expect(errors[PROTECTOR]).toContain('Protector');
    expect(errors[PLANNED]).toContain('tomorrow');
    expect(em.issue(key)?.summary).toBe('unchanged');
    expect((await call(em, 'PUT', '/rest/api/3/issue/OPS-9999', { body: { fields: { summary: 'x' } } })).json).toEqual(NOT_FOUND);
  });
});

describe('timestamps', () => {
  it('created and updated come from the clock in Jira format', () => {
    const fresh = em.createIssue({ project: 'OPS', summary: 'clocked' });
    const t = new Date(clock.now()).toISOString().replace('Z', '+0000');
    expect(em.issue(fresh.key)).toMatchObject({ created: t, updated: t });
    expect(clock.now()).toBeGreaterThanOrEqual(T0);
  });
});
