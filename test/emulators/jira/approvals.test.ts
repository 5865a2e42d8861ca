// JSM approvals: GET /rest/servicedeskapi/request/{key}/approval, decisions recorded with decide().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { JiraEmulator } from '../../../emulators/jira/index.js';
import { call, devCert, manualClock, startJira, T0 } from './support.js';

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

interface Approval {
  id: string;
  name: string;
  finalDecision: string;
  canAnswerApprovalDecision: boolean;
  approvers: Array<{ approver: { accountId: string; displayName: string }; approverDecision: string }>;
  createdDate: { iso8601: string; jira: string; friendly: string; epochMillis: number };
  completedDate?: { epochMillis: number };
  _links: { self: string };
}

interface ApprovalPage {
  size: number;
  start: number;
  limit: number;
  isLastPage: boolean;
  values: Approval[];
  _links: Record<string, string>;
}

async function approvals(key: string): Promise<ApprovalPage> {
  const r = await call(em, 'GET', `/rest/servicedeskapi/request/${key}/approval`);
  expect(r.status, r.text).toBe(200);
  return r.json as ApprovalPage;
}

const NOT_FOUND = {
  errorMessage: 'The request could not be found or you do not have permission to view it.',
  i18nErrorMessage: { i18nKey: 'sd.customerview.error.requestNotFound', parameters: [] },
};

describe('approvals', () => {
  it('a pending approval, then approved through decide()', async () => {
    const { key, id } = em.createIssue({ project: 'CHG', summary: 'rotate', status: 'Awaiting approval', approvals: [{}] });
    const pending = await approvals(key);
    expect(pending).toMatchObject({ size: 1, start: 0, limit: 50, isLastPage: true });
    const a = pending.values[0] as Approval;
    expect(a).toMatchObject({ name: 'Change approval', finalDecision: 'pending', canAnswerApprovalDecision: false, approvers: [{ approverDecision: 'pending' }] });
    expect(a.approvers[0]?.approver.accountId).toEqual(expect.any(String));
    expect(a.createdDate).toEqual({ iso8601: '2026-12-04T10:00:00+0000', jira: '2026-12-04T10:00:00.000+0000', friendly: expect.any(String), epochMillis: T0 });
    expect(a).not.toHaveProperty('completedDate');
    expect(a._links.self).toBe(`${em.url}/rest/servicedeskapi/request/${id}/approval/${a.id}`);

    clock.advance(3_600_000);
    em.decide(key, 'approved');
    const approved = (await approvals(key)).values[0] as Approval;
    expect(approved).toMatchObject({ finalDecision: 'approved', approvers: [{ approverDecision: 'approved' }], completedDate: { epochMillis: T0 + 3_600_000 } });
    expect(em.issue(key)?.approvals).toEqual([{ id: a.id, name: 'Change approval', decision: 'approved' }]);
    // The single approval by id; the request by issue id works as well.
    expect((await call(em, 'GET', `/rest/servicedeskapi/request/${id}/approval/${a.id}`)).json).toMatchObject({ id: a.id, finalDecision: 'approved' });
    expect((await call(em, 'GET', `/rest/servicedeskapi/request/${key}/approval/999`)).status).toBe(404);
  });

  it('declined; decide() takes the first pending one unless given an index', async () => {
    const { key } = em.createIssue({ project: 'CHG', summary: 'two stages', approvals: [{ name: 'Technical' }, { name: 'CAB' }, { name: 'Security', decision: 'approved' }] });
    em.decide(key, 'declined', 1);
    em.decide(key, 'approved');
    const values = (await approvals(key)).values;
    expect(values.map((v) => [v.name, v.finalDecision])).toEqual([
      ['Technical', 'approved'],
      ['CAB', 'declined'],
      ['Security', 'approved'],
    ]);
    expect(values[2]?.completedDate).toBeDefined();
    expect(() => em.decide(key, 'approved')).toThrow(/no pending approval/);
    expect(() => em.decide(key, 'approved', 7)).toThrow(/no approval 7/);
    expect(() => em.decide(key, 'declined', 0)).toThrow(/already approved/);
  });

  it('404 for an issue outside a service desk project or an unknown one; no approvals off a service desk', async () => {
    const ops = em.createIssue({ project: 'OPS', summary: 'software project' });
    for (const k of [ops.key, 'CHG-9999']) {
      const r = await call(em, 'GET', `/rest/servicedeskapi/request/${k}/approval`);
      expect(r.status).toBe(404);
      expect(r.json).toEqual(NOT_FOUND);
    }
    expect(() => em.createIssue({ project: 'OPS', summary: 'x', approvals: [{}] })).toThrow(/not a service desk/);
    const none = em.createIssue({ project: 'CHG', summary: 'no approvals yet' });
    expect(await approvals(none.key)).toMatchObject({ size: 0, values: [], isLastPage: true });
    expect(() => em.decide(none.key, 'approved')).toThrow(/no approvals/);
  });
});
