// The ITSM side of the local deployment: a ServiceNow instance and a Jira / JSM site (the project's emulators), an
// integration user on each for keysteward's own reads and write-backs, and seeded changes — CHG0030001 approved with
// its window open, CHG0030002 still waiting for approval, and Jira CHG-1 approved and implementing — all naming
// orders-sql. The webhook secrets are well-known local values (like Azurite's key): `keysteward itsm send` signs with
// them by default, and nothing outside the local stack ever configures them.
import { randomBytes } from 'node:crypto';
import type { DevCertificate } from '../../emulators/certs.js';
import { startJiraEmulator, type JiraEmulator } from '../../emulators/jira/index.js';
import { startServiceNowEmulator, type ServiceNowEmulator } from '../../emulators/servicenow/index.js';
import { LOCAL_ITSM } from './itsmSecrets.js';

export { LOCAL_ITSM } from './itsmSecrets.js';

export interface LocalItsm {
  readonly servicenow: ServiceNowEmulator;
  readonly jira: JiraEmulator;
  /** The host's ITSM configuration (app settings) for these emulators. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** `YYYY-MM-DD HH:mm:ss` in UTC, as the ServiceNow Table API writes dates. */
export function serviceNowDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Jira's datetime wire form: `2026-12-04T10:00:00.000+0000`. */
export function jiraDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export async function startLocalItsm(cert: DevCertificate, protector: string, now = Date.now()): Promise<LocalItsm> {
  const tls = { cert: cert.certPem, key: cert.keyPem };
  const sn = { name: 'keysteward.integration', password: randomBytes(18).toString('base64url') };
  const servicenow = await startServiceNowEmulator({ tls, users: [{ ...sn, roles: ['itil'] }, { name: 'change.manager', password: randomBytes(18).toString('base64url'), roles: ['itil', 'admin'] }] });
  const jiraUser = { email: 'keysteward@contoso.example', apiToken: randomBytes(18).toString('base64url'), accountId: '5b10a2844c20165700ede21g', displayName: 'keysteward' };
  let jira: JiraEmulator;
  try {
    jira = await startJiraEmulator({
      tls,
      users: [jiraUser],
      projects: [{ key: 'CHG', name: 'Change management', serviceDesk: true, issueTypes: ['Change'] }, { key: 'OPS', name: 'Operations', issueTypes: ['Incident', 'Task'] }],
      fields: [
        { id: LOCAL_ITSM.protectorField, name: 'keysteward protector', type: 'option' },
        { id: LOCAL_ITSM.windowStartField, name: 'Change start date', type: 'datetime' },
        { id: LOCAL_ITSM.windowEndField, name: 'Change completion date', type: 'datetime' },
      ],
    });
  } catch (err) {
    await servicenow.close();
    throw err;
  }
  const hour = 3_600_000;
  servicenow.createChange({ number: 'CHG0030001', short_description: `Rotate the TDE protector of ${protector}`, approval: 'approved', state: '-1', start_date: serviceNowDate(now - hour), end_date: serviceNowDate(now + 4 * hour), u_keysteward_protector: protector });
  servicenow.createChange({ number: 'CHG0030002', short_description: `Rotate the TDE protector of ${protector} (awaiting CAB)`, approval: 'requested', state: '-3', start_date: serviceNowDate(now), end_date: serviceNowDate(now + 4 * hour), u_keysteward_protector: protector });
  jira.createIssue({
    project: 'CHG',
    issueType: 'Change',
    summary: `Rotate the TDE protector of ${protector}`,
    status: 'Implementing',
    fields: { [LOCAL_ITSM.protectorField]: { value: protector }, [LOCAL_ITSM.windowStartField]: jiraDate(now - hour), [LOCAL_ITSM.windowEndField]: jiraDate(now + 4 * hour) },
    approvals: [{ name: 'Change approval', decision: 'approved' }],
  });
  const env = {
    ITSM_STANDARD_SECRETS: LOCAL_ITSM.standardSecret,
    ITSM_JIRA_SECRETS: LOCAL_ITSM.jiraSecret,
    ITSM_JSM_TOKENS: LOCAL_ITSM.jsmToken,
    SERVICENOW_URL: servicenow.url,
    SERVICENOW_USERNAME: sn.name,
    SERVICENOW_PASSWORD: sn.password,
    JIRA_URL: jira.url,
    JIRA_EMAIL: jiraUser.email,
    JIRA_API_TOKEN: jiraUser.apiToken,
    JIRA_PROTECTOR_FIELD: LOCAL_ITSM.protectorField,
    JIRA_WINDOW_START_FIELD: LOCAL_ITSM.windowStartField,
    JIRA_WINDOW_END_FIELD: LOCAL_ITSM.windowEndField,
    ITSM_SCHEDULE: '*/5 * * * * *',
    ITSM_RECHECK_SECONDS: '5',
    ITSM_PROGRESS_SECONDS: '2',
  };
  return {
    servicenow,
    jira,
    env,
    close: async () => {
      await jira.close().catch(() => undefined);
      await servicenow.close();
    },
  };
}
