import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    // Nest's dependency injection needs decorator metadata, which esbuild does not emit.
    swc.vite({
      module: { type: 'es6' },
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/temp-dir-check.ts'],
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/count-reporter.ts'],
    // Every answer's code must be one its route declares (@Answers and its policy's): else 500 UNDECLARED_PROBLEM_CODE,
    // in the apps the tests start and the products they spawn alike (src/platform/errors/problem.filter.ts).
    env: { VITALE_CHECK_PROBLEM_CODES: '1' },
  },
});
