// What deploy/ grants and configures, read from the .bicep files, and what README "Deploying to Azure" says it grants,
// read from its tables — both as plain data so the test compares them both ways.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { at, parseBicep, text, type BicepFile, type BicepValue, type Declaration } from './bicepSubset.js';

/** Built-in roles by definition GUID (names as Azure spells them). A GUID not here fails the test: name it first. */
export const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  'a638d3c7-ab3a-418d-83e6-5f17a39d4fde': 'Azure Event Hubs Data Receiver',
  '21090545-7ca7-4776-b22c-e363652d74d2': 'Key Vault Reader',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  '73c42c96-874c-492b-b04d-ab87d138a893': 'Log Analytics Reader',
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
};

/** Roles that may never appear in deploy/, by GUID and by name: they can change or re-assign anything in scope. */
export const FORBIDDEN_ROLES: Readonly<Record<string, string>> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  '14b46e9e-c2b7-41b4-b07b-48a6ebf60603': 'Key Vault Crypto Officer',
  '6d8ee4ec-f05a-4a1d-8b00-a9b17e38b437': 'SQL Server Contributor',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  'f526a384-b230-433a-b45c-95f59c4a2dec': 'Azure Event Hubs Data Owner',
  '09976791-48a7-449e-bb21-39d1a415f350': 'Communication and Email Service Owner',
};

/**
 * The README's name for each scope a role assignment may have: `<file>#<scope symbol>`, or `<file>#` for the file's own
 * target scope. An assignment on a scope not named here fails the test — a new scope is a decision to write down.
 */
export const SCOPES: Readonly<Record<string, string>> = {
  'modules/core.bicep#storage': 'the storage account',
  'modules/core.bicep#auditHub': 'the Key Vault audit hub',
  'modules/core.bicep#activityHub': 'the activity-log hub',
  'modules/core.bicep#workspace': 'the Log Analytics workspace',
  'modules/core.bicep#communication': 'the Communication Services resource',
  'modules/core.bicep#redisUrl': 'the `redis-url` secret',
  'modules/vaultAccess.bicep#vault': 'each protector vault',
  'modules/sqlServerAccess.bicep#server': 'each SQL server of the estate',
  'modules/subscriptionAccess.bicep#': 'each watched subscription',
  'modules/registryAccess.bicep#registry': 'the container registry (when given)',
};

export interface Grant {
  readonly identity: string;
  readonly role: string;
  readonly scope: string;
}

export interface CustomRole {
  readonly symbol: string;
  readonly roleName: string;
  readonly permissions: readonly string[];
}

export interface Template {
  readonly files: ReadonlyMap<string, BicepFile>;
  readonly sources: ReadonlyMap<string, string>;
  readonly grants: readonly (Grant & { readonly where: string })[];
  readonly customRoles: readonly CustomRole[];
}

export const grantKey = (g: Grant): string => `${g.identity} | ${g.role} | ${g.scope}`;

const ROLE_DEFINITION = /^subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*(?:'([0-9a-f-]{36})'|customRoleIds\.(\w+))\)$/;
const PRINCIPAL = /^principals\.(\w+)$/;

function strings(v: BicepValue | undefined): string[] {
  return v?.kind === 'array' ? v.items.map((i) => text(i) ?? '') : [];
}

/** Reads deploy/*.bicep and deploy/modules/*.bicep (or the given sources, for the mutation tests). */
export function readTemplate(root: string, override?: ReadonlyMap<string, string>): Template {
  const sources = new Map<string, string>();
  sources.set('main.bicep', readFileSync(join(root, 'deploy', 'main.bicep'), 'utf8'));
  for (const f of readdirSync(join(root, 'deploy', 'modules')).filter((f) => f.endsWith('.bicep')).sort()) {
    sources.set(`modules/${f}`, readFileSync(join(root, 'deploy', 'modules', f), 'utf8'));
  }
  for (const [k, v] of override ?? []) sources.set(k, v);
  const files = new Map([...sources].map(([path, src]) => [path, parseBicep(path, src)] as const));

  const customRoles: CustomRole[] = [];
  for (const file of files.values()) {
    for (const d of file.declarations.filter((d) => d.type === 'Microsoft.Authorization/roleDefinitions')) {
      const perms = at(d.body, 'properties.permissions');
      const permissions = (perms?.kind === 'array' ? perms.items : []).flatMap((p) =>
        p.kind === 'object' ? [...strings(p.entries.get('actions')), ...strings(p.entries.get('dataActions'))] : [],
      );
      const notActions = (perms?.kind === 'array' ? perms.items : []).flatMap((p) => (p.kind === 'object' ? [...strings(p.entries.get('notActions')), ...strings(p.entries.get('notDataActions'))] : []));
      if (notActions.length > 0) throw new Error(`${file.path}: ${d.symbol} uses notActions — list what it grants instead`);
      customRoles.push({ symbol: d.symbol, roleName: text(at(d.body, 'properties.roleName')) ?? '', permissions });
    }
  }

  const grants: (Grant & { where: string })[] = [];
  for (const file of files.values()) {
    for (const d of file.declarations.filter((d) => d.type === 'Microsoft.Authorization/roleAssignments')) {
      grants.push({ ...readGrant(file, d, customRoles), where: `${file.path}#${d.symbol}` });
    }
  }
  return { files, sources, grants, customRoles };
}

function readGrant(file: BicepFile, d: Declaration, customRoles: readonly CustomRole[]): Grant {
  const where = `${file.path}: role assignment ${d.symbol}`;
  const roleExpr = text(at(d.body, 'properties.roleDefinitionId')) ?? '';
  const rm = ROLE_DEFINITION.exec(roleExpr);
  if (!rm) throw new Error(`${where}: roleDefinitionId must be subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '<GUID>' | customRoleIds.<role>), found ${roleExpr}`);
  let role: string;
  if (rm[1] !== undefined) {
    const forbidden = FORBIDDEN_ROLES[rm[1]];
    if (forbidden) throw new Error(`${where}: ${forbidden} is never granted`);
    const known = BUILT_IN_ROLES[rm[1]];
    if (!known) throw new Error(`${where}: built-in role ${rm[1]} is not named in BUILT_IN_ROLES`);
    role = known;
  } else {
    const custom = customRoles.find((c) => c.symbol === rm[2]);
    if (!custom) throw new Error(`${where}: customRoleIds.${rm[2]} names no role definition`);
    role = custom.roleName;
  }
  const principalExpr = text(at(d.body, 'properties.principalId')) ?? '';
  const pm = PRINCIPAL.exec(principalExpr);
  if (!pm) throw new Error(`${where}: principalId must be principals.<identity>, found ${principalExpr}`);
  if (text(at(d.body, 'properties.principalType')) !== 'ServicePrincipal') throw new Error(`${where}: principalType must be 'ServicePrincipal'`);
  const scopeExpr = text(d.body.get('scope'));
  const scopeKey = `${file.path}#${scopeExpr ?? ''}`;
  if (scopeExpr !== undefined && !file.declarations.some((x) => x.symbol === scopeExpr)) throw new Error(`${where}: scope ${scopeExpr} is not a resource of ${file.path}`);
  const scope = SCOPES[scopeKey];
  if (!scope) throw new Error(`${where}: scope ${scopeKey} is not named in SCOPES`);
  return { identity: pm[1] ?? '', role, scope };
}

/** The rows of the first table after `heading` whose header row is exactly `header`. */
export function readmeTable(readme: string, heading: string, header: readonly string[]): string[][] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no "${heading}" heading`);
  const lines = readme.slice(start).split('\n');
  const cells = (line: string): string[] => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  const at0 = lines.findIndex((l) => l.startsWith('|') && JSON.stringify(cells(l)) === JSON.stringify(header));
  if (at0 < 0) throw new Error(`README "${heading}": no table with header | ${header.join(' | ')} |`);
  const rows: string[][] = [];
  for (const line of lines.slice(at0 + 2)) {
    if (!line.startsWith('|')) break;
    const row = cells(line);
    if (row.length !== header.length) throw new Error(`README "${heading}": row has ${row.length} cells, not ${header.length}: ${line}`);
    rows.push(row);
  }
  return rows;
}

export function readmeGrants(readme: string): Grant[] {
  return readmeTable(readme, '### Least privilege', ['identity', 'role', 'scope', 'why']).map(([identity, role, scope, why]) => {
    if (!why) throw new Error(`README least-privilege row without a reason: ${identity} ${role}`);
    return { identity: (identity ?? '').replace(/`/g, ''), role: (role ?? '').replace(/\*/g, ''), scope: scope ?? '' };
  });
}

export function readmeCustomRoles(readme: string): Map<string, string[]> {
  const rows = readmeTable(readme, '### Least privilege', ['custom role', 'permissions']);
  return new Map(rows.map(([role, perms]) => [role ?? '', [...(perms ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '')]));
}

/** What is in one set and not the other, as readable lines. */
export function difference(left: readonly string[], right: readonly string[]): { onlyLeft: string[]; onlyRight: string[] } {
  const l = new Set(left);
  const r = new Set(right);
  return { onlyLeft: [...l].filter((x) => !r.has(x)).sort(), onlyRight: [...r].filter((x) => !l.has(x)).sort() };
}

export interface Setting {
  readonly name: string;
  /** The literal value, or null when the template computes it (an expression, an interpolation, a secret reference). */
  readonly literal: string | null;
  readonly raw: string;
  readonly secretRef: boolean;
}

/** `{ name: …, value: … }` / `{ name: …, secretRef: … }` items of an array (app settings, container env). */
export function settingsOf(v: BicepValue | undefined, where: string): Setting[] {
  if (v?.kind !== 'array') throw new Error(`${where}: expected an array of settings`);
  return v.items.map((item) => {
    if (item.kind !== 'object') throw new Error(`${where}: a setting is not an object`);
    const name = text(item.entries.get('name'));
    if (name === undefined) throw new Error(`${where}: a setting without a name`);
    const value = item.entries.get('value');
    const secret = item.entries.get('secretRef');
    if (secret) return { name, literal: null, raw: text(secret) ?? '', secretRef: true };
    const raw = text(value) ?? '';
    const literal = value?.kind === 'string' && !raw.includes('${') ? raw : null;
    return { name, literal, raw, secretRef: false };
  });
}

export function declaration(file: BicepFile | undefined, type: string): Declaration[] {
  return (file?.declarations ?? []).filter((d) => d.type === type);
}
