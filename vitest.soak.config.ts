// `npm run soak`: the long differential run (test/differential/soak.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/differential/*.soak.ts'], testTimeout: 0, fileParallelism: true },
});
