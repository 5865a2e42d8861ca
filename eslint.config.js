// Lint: TypeScript correctness everywhere, and the purity rule that keeps domain/ free of I/O,
// SDKs, wall-clock time and randomness (DESIGN.md §2). The purity rule is exported so that
// test/lint/domainPurity.test.ts can prove it fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'child_process', 'dgram', 'dns', 'tls',
  'cluster', 'worker_threads', 'readline', 'process', 'os'];

export const domainPurityRules = {
  'no-restricted-imports': ['error', {
    paths: ioModules.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'domain/ is pure: no I/O modules (DESIGN.md §2).' })),
    patterns: [
      { group: ['@azure/*'], message: 'domain/ is pure: no Azure SDK imports (DESIGN.md §2).' },
      { group: ['bullmq', 'bullmq/*', 'ioredis', 'ioredis/*'], message: 'domain/ is pure: no queue or Redis imports (DESIGN.md §2).' },
      { group: ['@opentelemetry/*'], message: 'domain/ is pure: telemetry belongs to app/ and the hosts (app/telemetry.ts).' },
      { group: ['**/adapters/**', '**/app/**', '**/functions/**', '**/cli/**'], message: 'domain/ must not depend on outer layers.' },
    ],
  }],
  'no-restricted-syntax': ['error',
    { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'domain/ takes time as an argument: no Date.now().' },
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'domain/ takes time as an argument: no argument-less new Date().' },
    { selector: "CallExpression[callee.name='Date'][arguments.length=0]", message: 'domain/ takes time as an argument: no Date().' },
    { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'domain/ takes randomness as an argument: no Math.random().' },
    { selector: "CallExpression[callee.object.name='crypto'][callee.property.name=/^(randomUUID|getRandomValues)$/]", message: 'domain/ takes ids and randomness as arguments.' },
    { selector: "MemberExpression[object.name='process']", message: 'domain/ is pure: no process access.' },
  ],
  'no-restricted-globals': ['error', { name: 'fetch', message: 'domain/ is pure: no network.' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.keysteward/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', structuredClone: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['domain/**/*.ts'], rules: domainPurityRules },
  // Imports point down (DESIGN.md §2): the function definitions never reach into a host. functions/index.ts is the
  // Function App's entry point — itself a host — and composes.
  {
    files: ['functions/**/*.ts'],
    ignores: ['functions/index.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/hosts/**'], message: 'functions/ must not depend on hosts/ (imports point down).' }] }] },
  },
);
