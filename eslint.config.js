// ESLint over the TypeScript (src, test, bench, root config files) and the plain JavaScript (scripts, tools, this
// file). Prettier owns the layout (eslint-config-prettier turns off the rules it would fight); this file owns what
// a formatter cannot see, above all the house rules (tools/eslint-plugin-house, README "Where things are").
// No type-aware rules: with types (even only no-floating-promises, no-misused-promises and await-thenable, which
// fire on nothing today) the lint took 36-83 s here instead of 12-31 s and 1.2 GB instead of 0.5; tsc --noEmit in
// pretest already checks the types.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import house from './tools/eslint-plugin-house/index.js';

/** Where SQL, the ORM and pg may be: repositories, the database platform and the migrations. */
const DATABASE_FILES = ['src/**/*.repository.ts', 'src/platform/database/**', 'src/migrations/**'];
/** The HTTP layer, the only place that may speak in HTTP exceptions. */
const HTTP_FILES = ['**/*.controller.ts', '**/*.guard.ts', '**/*.filter.ts', '**/*.pipe.ts', '**/*.interceptor.ts'];
/** Programs that talk to a terminal. */
const CONSOLE_FILES = ['src/cli/**', 'scripts/**', 'bench/**'];

/** Node's globals used by the plain JavaScript files (TypeScript files get theirs from @types/node). */
const NODE_GLOBALS = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout'].map((name) => [name, 'readonly']),
);

export default defineConfig(
  globalIgnores(['dist/', 'var/', 'data/', 'coverage/']),
  {
    files: ['**/*.{ts,mts,js,mjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      parserOptions: {
        // Nest injects by the constructor parameters' types, which tsc writes into the output as values: import
        // rules must know (tsconfig.json has both).
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
      },
    },
    plugins: { house },
    rules: {
      // `import type` for what is only a type, as the code does; files with decorators are left alone by the rule
      // (under emitDecoratorMetadata a type there may be a value).
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
      // Strict equality, except `== null` (null or undefined), the code's one loose comparison.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A leading underscore says "deliberately unused" (a rest sibling's omitted keys, a callback's index).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // Committed migrations are never edited, not even to restyle an import.
    files: ['src/migrations/**'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: DATABASE_FILES,
    rules: { 'house/sql-in-repositories': 'error' },
  },
  {
    // Entities declare their table with TypeORM's decorators; nothing else of the ORM.
    files: ['src/**/*.entity.ts', 'src/**/*.entities.ts'],
    ignores: DATABASE_FILES,
    rules: { 'house/sql-in-repositories': ['error', { decorators: true }] },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'house/no-foreign-repository': 'error' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: HTTP_FILES,
    rules: { 'house/no-http-exception-in-services': 'error' },
  },
  {
    // Tests (and the demo, a scripted API client) read JSON answers of many shapes (supertest's body is `any`
    // already) and rows of raw queries; their assertions check the shape. The product's code stays typed.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/cli/demo.ts', 'src/cli/demo-support.ts', 'src/cli/demo-takeover.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: CONSOLE_FILES,
    rules: { 'no-console': 'off' },
  },
  prettier,
);
