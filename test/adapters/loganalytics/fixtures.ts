// The shared Key Vault audit and activity-log fixtures (test/fixtures/shared, copies of /work/shared/fixtures),
// freshly parsed on each call so tests may mutate them.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHARED = fileURLToPath(new URL('../../fixtures/shared/', import.meta.url));

export type Json = Record<string, unknown>;

function recordsIn(dir: string): Array<{ name: string; record: Json }> {
  return readdirSync(`${SHARED}${dir}`)
    .filter((f) => f.endsWith('.envelope.json'))
    .sort()
    .flatMap((f) => (JSON.parse(readFileSync(`${SHARED}${dir}/${f}`, 'utf8')) as { records: Json[] }).records.map((record, i) => ({ name: `${f}#${i}`, record })));
}

export const auditFixtures = (): Array<{ name: string; record: Json }> => recordsIn('keyvault-audit');
export const activityFixtures = (): Array<{ name: string; record: Json }> => recordsIn('activity-log');

export function auditFixture(file: string, index = 0): Json {
  const found = auditFixtures().find((f) => f.name === `${file}#${index}`);
  if (!found) throw new Error(`no fixture ${file}#${index}`);
  return found.record;
}
