import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` runs everything that needs nothing but Node; `redis` needs
 * the real Redis server (REDIS_URL, default redis://127.0.0.1:6379) and runs apart
 * so its failures read as "Redis", not as a logic bug.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'service/**/*.test.ts',
            'dashboards/**/*.test.ts',
            'alerts/**/*.test.ts',
            'k8s/**/*.test.ts',
            'scripts/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          exclude: ['**/*.redis.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'redis',
          include: ['**/*.redis.test.ts'],
          // A local Redis Cluster and Sentinel group, shared by the files that need them.
          globalSetup: ['test/helpers/topologies.global.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
