// Proves the purity rule for domain/ fires (DESIGN.md §2): if someone weakens eslint.config.js, this fails.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIdsFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? 'fatal');
}

describe('domain/ purity lint', () => {
  const impure: Array<[string, string, string]> = [
    ['Azure SDK import', "import { KeyClient } from '@azure/keyvault-keys';\nexport const k = KeyClient;\n", 'no-restricted-imports'],
    ['bullmq import', "import { Queue } from 'bullmq';\nexport const q = Queue;\n", 'no-restricted-imports'],
    ['ioredis import', "import Redis from 'ioredis';\nexport const r = Redis;\n", 'no-restricted-imports'],
    ['OpenTelemetry import', "import { trace } from '@opentelemetry/api';\nexport const t = trace;\n", 'no-restricted-imports'],
    ['node:fs import', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", 'no-restricted-imports'],
    ['bare fs import', "import { readFileSync } from 'fs';\nexport const f = readFileSync;\n", 'no-restricted-imports'],
    ['node:http import', "import http from 'node:http';\nexport const h = http;\n", 'no-restricted-imports'],
    ['node:child_process import', "import { exec } from 'node:child_process';\nexport const e = exec;\n", 'no-restricted-imports'],
    ['adapter import', "import { x } from '../adapters/x.js';\nexport const y = x;\n", 'no-restricted-imports'],
    ['Date.now()', 'export const t = Date.now();\n', 'no-restricted-syntax'],
    ['argument-less new Date()', 'export const t = new Date();\n', 'no-restricted-syntax'],
    ['Math.random()', 'export const r = Math.random();\n', 'no-restricted-syntax'],
    ['process.env', 'export const e = process.env.X;\n', 'no-restricted-syntax'],
  ];

  it.each(impure)('rejects %s in domain/', async (_name, code, rule) => {
    expect(await ruleIdsFor(code, 'domain/probe.ts')).toContain(rule);
  });

  it('allows time and ids passed as arguments', async () => {
    const code = 'export function at(now: number): string {\n  return new Date(now).toISOString();\n}\n';
    expect(await ruleIdsFor(code, 'domain/probe.ts')).toEqual([]);
  });

  it('does not apply the purity rule outside domain/', async () => {
    expect(await ruleIdsFor('export const t = Date.now();\n', 'app/probe.ts')).toEqual([]);
  });
});
