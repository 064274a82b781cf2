import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', new SummaryReporter()],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Files share one Redis (each under its own key prefix) and spawn processes: keep the 2-core machine calm.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
