// The Dockerfile without building it (CI has no registry): two stages, the runtime from node:20-slim with production
// dependencies only, a non-root user, the CLI as entry point — and a build stage that copies every source directory
// the TypeScript build includes, so a new top-level directory cannot silently break the image.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
const dockerignore = readFileSync(`${root}.dockerignore`, 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

/** Instructions (continuation lines joined, comments dropped), grouped by stage. */
function stages(src: string): { from: string; name: string | null; lines: string[] }[] {
  const out: { from: string; name: string | null; lines: string[] }[] = [];
  const instructions = src
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) out.push({ from: from[1] ?? '', name: from[2] ?? null, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

describe('Dockerfile', () => {
  const [build, runtime, ...more] = stages(dockerfile);

  it('builds in one stage and runs from node:20-slim in a second', () => {
    expect(more).toEqual([]);
    expect(build?.from).toMatch(/^node:20/);
    expect(build?.lines).toContain('RUN npm run build');
    expect(build?.lines.some((l) => /^RUN npm ci\b/.test(l) && !l.includes('--omit=dev'))).toBe(true);
    expect(runtime?.from).toBe('node:20-slim');
    expect(runtime?.lines.some((l) => /^RUN npm ci\b.*--omit=dev/.test(l))).toBe(true);
    expect(runtime?.lines).toContain(`COPY --from=${build?.name ?? '?'} /src/dist ./dist`);
  });

  it('runs as a non-root user, with the CLI as entry point and `serve` as the default command', () => {
    const lines = runtime?.lines ?? [];
    const user = lines.findIndex((l) => /^USER\s+/.test(l));
    expect(lines[user]).toMatch(/^USER\s+(node|\d{3,})$/);
    expect(user).toBeLessThan(lines.findIndex((l) => l.startsWith('ENTRYPOINT')));
    const bin = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: { keysteward: string } }).bin.keysteward;
    expect(lines).toContain(`ENTRYPOINT ["node", "${bin}"]`);
    expect(lines.at(-1)).toBe('CMD ["serve"]');
  });

  it('copies every directory the TypeScript build includes, none of which .dockerignore drops', () => {
    const tsconfig = JSON.parse(readFileSync(`${root}tsconfig.json`, 'utf8')) as { include: string[] };
    const copied = (build?.lines ?? []).flatMap((l) => /^COPY\s+(\S+)\s+\.\/\1$/.exec(l)?.slice(1, 2) ?? []);
    expect([...tsconfig.include].sort()).toEqual(copied.filter((c) => tsconfig.include.includes(c)).sort());
    for (const dir of [...tsconfig.include, 'package.json', 'package-lock.json', 'tsconfig.json', 'host.json']) expect(dockerignore, dir).not.toContain(dir);
    for (const never of ['.git', 'node_modules', 'dist', '.keysteward', 'local.settings.json']) expect(dockerignore, never).toContain(never);
  });
});
