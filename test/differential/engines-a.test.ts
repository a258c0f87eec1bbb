// The WASM engine matches the reference engine on every packet of random cases (seeds 1–100).
// Together with engines-b, 10^6 packets; `npm run soak` runs 10^8.
import { describe, expect, it } from 'vitest';
import { compareSeed } from './compare.js';

describe('differential: WASM ≡ reference', () => {
  it('seeds 1–100, 5000 packets each', async () => {
    const diffs = [];
    for (let seed = 1; seed <= 100; seed++) {
      const d = await compareSeed(seed, 5000);
      if (d) diffs.push(d);
    }
    expect(diffs).toEqual([]);
  }, 300_000);
});
