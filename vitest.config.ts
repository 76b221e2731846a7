import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` touches neither Kafka nor ClickHouse and starts nothing; `integration` (the
 * integration and browser tests) gets the run's real Kafka broker from test/global-setup.ts.
 * `npm test` runs both, `npm run test:unit` the first alone.
 */
export default defineConfig({
  test: {
    // Each test file in its own process: an embedded ClickHouse (chDB) data dir belongs to one process.
    pool: 'forks',
    env: { TZ: 'UTC', LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
