import { defineConfig } from 'vitest/config';

// Tests run in forked workers with --expose-gc: MLX frees native memory only when V8 collects
// its wrappers, so long loops call gc() (see src/util/memory.ts).
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'], maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
