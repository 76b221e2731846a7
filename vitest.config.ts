import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each test file in its own process: an embedded ClickHouse (chDB) data dir belongs to one process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    env: { TZ: 'UTC', LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
  },
});
