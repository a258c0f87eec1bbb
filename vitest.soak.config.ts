// `npm run soak`: the long differential runs (test/differential/soak.ts, test/parallel/parallel.soak.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/differential/*.soak.ts', 'test/parallel/*.soak.ts'], testTimeout: 0, fileParallelism: true },
});
