import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Files share one Redis (each under its own key prefix) and spawn processes: keep the 2-core machine calm.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
