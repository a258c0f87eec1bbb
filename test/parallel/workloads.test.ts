// Issue 5 "done when": the same digest for workers 1, 2 and 4 on every generated workload, and the
// same verdicts as the reference engine — with the workload's own config, then with every instance's
// allowance cut to half the peak it needed, so that it binds (S17) and the coordinator switches
// between parallel and serial stretches. Small rounds make many rounds and barrier rows.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import { generate } from '../../src/generate/generate.js';
import { WORKLOADS } from '../../src/generate/workloads.js';
import { runParallel } from '../../src/parallel/coordinator.js';
import { runTrace } from '../../src/replay/run.js';
import { openTrace } from '../../src/trace/source.js';
import { resolve } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ctreplay-workloads-'));

async function sameOnEveryWorkerCount(cfg: ResolvedConfig, trace: string, where: string) {
  const ref = await runTrace(cfg, await openTrace(trace), { engine: 'reference' });
  expect(ref.trace.packets).toBeGreaterThan(0);
  let serial = 0;
  for (const workers of [1, 2, 4]) {
    const p = await runParallel(cfg, await openTrace(trace), { workers, roundRows: 2048 });
    expect(p.digest, `${where}, ${workers} workers`).toBe(ref.digest);
    expect(p.counters, `${where}, ${workers} workers`).toEqual(ref.counters);
    expect(p.trace, `${where}, ${workers} workers`).toEqual(ref.trace);
    serial += p.serialRows;
  }
  return { ref, serial };
}

describe('every generated workload replays identically on 1, 2 and 4 workers', () => {
  for (const workload of Object.keys(WORKLOADS)) {
    it(
      workload,
      async () => {
        const out = join(dir, `${workload}.arrow`);
        const configOut = join(dir, `${workload}.config.yaml`);
        await generate({ workload, out, format: 'arrow', packets: 30_000, seed: 7, configOut });
        const { ref } = await sameOnEveryWorkerCount(loadConfig(configOut), out, workload);

        // The same trace with allowances that bind.
        const raw = parse(readFileSync(configOut, 'utf8')) as { instances: Array<Record<string, unknown>> };
        raw.instances.forEach((inst, i) => {
          const peak = ref.counters.instances[i]!.peakTracked;
          if (peak >= 2) inst['allowance'] = Math.floor(peak / 2);
        });
        const tight = resolve(raw);
        const { ref: tightRef, serial } = await sameOnEveryWorkerCount(tight, out, `${workload} (tight)`);
        const drops = tightRef.counters.instances.reduce((a, i) => a + i.conntrackAllowanceExceeded, 0);
        if (ref.counters.instances.some((i) => i.peakTracked >= 2)) {
          expect(drops, workload).toBeGreaterThan(0);
          expect(serial, workload).toBeGreaterThan(0);
        }
      },
      60_000,
    );
  }
});
