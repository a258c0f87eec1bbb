/**
 * The long differential soak: `npm run soak` (10^8 packets by default; set
 * SOAK_PACKETS, SOAK_SEED). Two shards run in parallel, one per core. Stops at
 * the first difference and names its seed; `compareSeed(seed, 5000)` reruns it.
 */
import { expect, it } from 'vitest';
import { compareSeed } from './compare.js';

export function soakShard(shard: number, shards: number): void {
  const total = Number(process.env['SOAK_PACKETS'] ?? 1e8);
  const first = Number(process.env['SOAK_SEED'] ?? 1_000_000);
  const perCase = 5000;
  const cases = Math.ceil(total / perCase / shards);
  it(`soak shard ${shard}: ${cases} cases × ${perCase} packets`, async () => {
    const t0 = Date.now();
    for (let k = 0; k < cases; k++) {
      const seed = first + k * shards + shard;
      const d = await compareSeed(seed, perCase);
      expect(d, `seed ${seed}`).toBeNull();
      if (k % 500 === 499) {
        const done = (k + 1) * perCase;
        console.log(
          `shard ${shard}: ${done.toLocaleString()} packets, ${Math.round(done / ((Date.now() - t0) / 1000))} packets/s`,
        );
      }
    }
  }, 0);
}
