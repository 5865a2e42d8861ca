// The local stack's ITSM webhook trust: well-known values, like Azurite's account key. `npm start` configures them,
// `keysteward itsm send` signs with them by default; no deployment outside the local stack may use them.
/** Local-only webhook trust (never use these anywhere else). */
export const LOCAL_ITSM = {
  standardSecret: `whsec_${Buffer.from('keysteward-local-standard-webhooks-secret').toString('base64')}`,
  jiraSecret: 'keysteward-local-jira-webhook-secret',
  jsmToken: 'keysteward-local-jsm-automation-token',
  protectorField: 'customfield_10050',
  windowStartField: 'customfield_10060',
  windowEndField: 'customfield_10061',
} as const;

