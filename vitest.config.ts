import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // forks: the addon uses OpenMP; each test file gets its own process.
    pool: 'forks',
    testTimeout: 60_000,
    // dist/ from the current lib/: README snippets and the packed package use it.
    globalSetup: ['./test/support/build-dist.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
