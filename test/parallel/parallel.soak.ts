// The long parallel soak (`npm run soak` runs it with the engine soak): random differential cases replayed
// by 2 and 3 workers in small rounds must give the one-engine digest and counters, allowances binding or
// not (S17, S21). SOAK_PARALLEL_PACKETS (default 10^7 per worker count), SOAK_SEED.
import { expect, it } from 'vitest';
import { runParallel } from '../../src/parallel/coordinator.js';
import { runTrace } from '../../src/replay/run.js';
import { PacketListReader } from '../../src/trace/jsonl.js';
import { generateCase } from '../differential/generate.js';
import { resolve } from '../helpers.js';

const total = Number(process.env['SOAK_PARALLEL_PACKETS'] ?? 1e7);
const first = Number(process.env['SOAK_SEED'] ?? 1_000_000);
const perCase = 5000;

it(`parallel soak: ${Math.ceil(total / perCase)} cases × ${perCase} packets, workers 2 and 3`, async () => {
  const t0 = Date.now();
  for (let k = 0; k * perCase < total; k++) {
    const seed = first + k;
    const c = generateCase(seed, perCase);
    const cfg = resolve(c.config);
    const one = await runTrace(cfg, new PacketListReader(c.packets), { engine: 'wasm' });
    for (const workers of [2, 3]) {
      const p = await runParallel(cfg, new PacketListReader(c.packets), { workers, roundRows: 512 });
      expect(p.digest, `seed ${seed}, ${workers} workers`).toBe(one.digest);
      expect(p.counters, `seed ${seed}, ${workers} workers`).toEqual(one.counters);
    }
    if (k % 200 === 199) {
      const done = (k + 1) * perCase;
      console.log(
        `parallel soak: ${done.toLocaleString()} packets, ${Math.round(done / ((Date.now() - t0) / 1000))} packets/s`,
      );
    }
  }
}, 0);
