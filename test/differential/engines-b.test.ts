// The WASM engine matches the reference engine on every packet of random cases (seeds 101–200).
// Together with engines-a, 10^6 packets; `npm run soak` runs 10^8.
import { describe, expect, it } from 'vitest';
import { compareSeed } from './compare.js';

describe('differential: WASM ≡ reference', () => {
  it('seeds 101–200, 5000 packets each', async () => {
    const diffs = [];
    for (let seed = 101; seed <= 200; seed++) {
      const d = await compareSeed(seed, 5000);
      if (d) diffs.push(d);
    }
    expect(diffs).toEqual([]);
  }, 300_000);
});
