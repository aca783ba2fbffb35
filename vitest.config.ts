import { defineConfig } from 'vitest/config';

// Three projects: fast pure tests; integration tests that start or reach real servers; and the
// longer drills (their own sandbox servers, restarts) that `npm run test:drills` runs after `npm test`.
export default defineConfig({
  test: {
    // Servers are heavy on a 2-core machine: one test file at a time keeps timings honest.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/contracts/**/*.test.ts'],
          setupFiles: ['test/support/isolated-state.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/support/isolated-state.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'drills',
          include: ['test/drills/**/*.test.ts'],
          setupFiles: ['test/support/isolated-state.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
