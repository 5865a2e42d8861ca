// The fixed workflow catalog: every issue may move from any status to any other (one transition per target), which
// is the permissive "simplified workflow" of a team-managed project. Ids are stable: status 10000+index, transition
// (index+1)*10+1 (Jira numbers transitions 11, 21, 31, …), so callers may cache them as they do against a real site.

export type CategoryKey = 'new' | 'indeterminate' | 'done';

export interface StatusCategory {
  readonly id: number;
  readonly key: CategoryKey;
  readonly colorName: string;
  readonly name: string;
}

/** [doc] Jira's three status categories (GET /rest/api/3/statuscategory). */
export const CATEGORIES: Readonly<Record<CategoryKey, StatusCategory>> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

export interface StatusDef {
  readonly id: string;
  readonly name: string;
  readonly category: StatusCategory;
  readonly transitionId: string;
}

const CATALOG: ReadonlyArray<readonly [string, CategoryKey]> = [
  ['Open', 'new'],
  ['Planning', 'indeterminate'],
  ['Awaiting approval', 'indeterminate'],
  ['Awaiting implementation', 'indeterminate'],
  ['Implementing', 'indeterminate'],
  ['In Progress', 'indeterminate'],
  ['Review', 'indeterminate'],
  ['Completed', 'done'],
  ['Resolved', 'done'],
  ['Closed', 'done'],
  ['Canceled', 'done'],
  ['Declined', 'done'],
];

export const STATUSES: readonly StatusDef[] = CATALOG.map(([name, key], i) => ({
  id: String(10000 + i),
  name,
  category: CATEGORIES[key],
  transitionId: String((i + 1) * 10 + 1),
}));

export const DEFAULT_STATUS = 'Open';

/** A status by name (case-insensitive, as JQL and Jira's UI match them) or id. */
export function findStatus(nameOrId: string): StatusDef | undefined {
  const n = nameOrId.trim().toLowerCase();
  return STATUSES.find((s) => s.name.toLowerCase() === n || s.id === n);
}

export const findTransition = (id: string): StatusDef | undefined => STATUSES.find((s) => s.transitionId === id);

export interface ResolutionDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

/** [doc] the default resolutions of a Jira Cloud site. */
export const RESOLUTIONS: readonly ResolutionDef[] = [
  { id: '10000', name: 'Done', description: 'Work has been completed on this issue.' },
  { id: '10001', name: "Won't Do", description: 'This issue won\'t be actioned.' },
  { id: '10002', name: 'Duplicate', description: 'The problem is a duplicate of an existing issue.' },
  { id: '10003', name: 'Cannot Reproduce', description: 'All attempts at reproducing this issue failed.' },
  { id: '10004', name: 'Declined', description: 'This issue was not approved.' },
];

export function findResolution(ref: { readonly name?: unknown; readonly id?: unknown }): ResolutionDef | undefined {
  if (typeof ref.id === 'string') return RESOLUTIONS.find((r) => r.id === ref.id);
  if (typeof ref.name === 'string') return RESOLUTIONS.find((r) => r.name.toLowerCase() === (ref.name as string).toLowerCase());
  return undefined;
}

/** [doc] the default priorities. */
export const PRIORITIES: ReadonlyArray<{ readonly id: string; readonly name: string }> = [
  { id: '1', name: 'Highest' },
  { id: '2', name: 'High' },
  { id: '3', name: 'Medium' },
  { id: '4', name: 'Low' },
  { id: '5', name: 'Lowest' },
];

export const DEFAULT_PRIORITY = 'Medium';

/** Jira's timestamp format: `2026-12-04T10:00:00.000+0000` (UTC here). */
export const jiraTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');
