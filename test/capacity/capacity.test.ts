// Issue 6 "done when": on generated scan, nat and web traces the drop rate falls monotonically with the
// allowance and reaches 0 at exactly the needed allowance, which equals peakTracked of an unlimited
// replay (S17, S18, S19). Scale k (k copies of every flow) needs exactly k times the connections.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCapacity } from '../../src/capacity/capacity.js';
import { loadConfig } from '../../src/config/load.js';
import { generate } from '../../src/generate/generate.js';
import { runTrace } from '../../src/replay/run.js';
import { openTrace } from '../../src/trace/source.js';
import { resolve } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ctreplay-capacity-'));

async function traceOf(workload: string, packets: number) {
  const out = join(dir, `${workload}.arrow`);
  const configOut = join(dir, `${workload}.config.yaml`);
  await generate({ workload, out, format: 'arrow', packets, seed: 5, configOut });
  return { out, configOut };
}

/** The instance's peak with no allowance, from a plain replay (the reference engine). */
async function unlimitedPeak(configFile: string, trace: string, instance: string): Promise<number> {
  const raw = parse(readFileSync(configFile, 'utf8')) as { instances: Array<Record<string, unknown>> };
  for (const i of raw.instances) {
    delete i['allowance'];
    delete i['type'];
  }
  const cfg = resolve(raw);
  const r = await runTrace(cfg, await openTrace(trace), { engine: 'reference' });
  return r.counters.instances[cfg.instances.findIndex((i) => i.id === instance)]!.peakTracked;
}

describe('capacity on generated traffic', () => {
  for (const [workload, instance] of [
    ['scan', 'scanner-1'],
    ['nat', 'nat-1'],
    ['web', 'web-1'],
  ] as const) {
    it(`${workload}: monotone drop rate, zero at exactly the needed allowance = the unlimited peak`, async () => {
      const { out, configOut } = await traceOf(workload, 40_000);
      const cfg = loadConfig(configOut);
      const peak = await unlimitedPeak(configOut, out, instance);
      expect(peak).toBeGreaterThan(100);
      const grid = [
        1,
        Math.floor(peak / 4),
        Math.floor(peak / 2),
        Math.floor((3 * peak) / 4),
        peak - 1,
        peak,
        peak + 1,
        2 * peak,
      ];
      const rep = await runCapacity(cfg, () => openTrace(out), { instance, allowances: grid, scales: [1, 2] });
      expect(rep.schema).toBe('ctreplay/capacity@1');
      const s1 = rep.scales[0]!;
      expect(s1.neededAllowance).toBe(peak);
      const rows = s1.rows.filter((r) => r.source === '--allowances');
      expect(rows.map((r) => r.allowance)).toEqual(grid);
      for (let k = 1; k < rows.length; k++) {
        expect(rows[k]!.dropRate!, `${rows[k]!.allowance} after ${rows[k - 1]!.allowance}`).toBeLessThanOrEqual(
          rows[k - 1]!.dropRate!,
        );
      }
      const at = (a: number) => rows.find((r) => r.allowance === a)!;
      expect(at(peak - 1).conntrackAllowanceExceeded).toBeGreaterThan(0);
      expect(at(peak - 1).firstDropAt).not.toBeNull();
      expect(at(peak).conntrackAllowanceExceeded).toBe(0);
      expect(at(peak).dropRate).toBe(0);
      expect(at(peak).firstDropAt).toBeNull();
      expect(at(peak + 1).conntrackAllowanceAvailableMin).toBe(1);
      // With drops, the instance is full at its peak (S18: available min 0).
      expect(at(Math.floor(peak / 2)).peakTracked).toBe(Math.floor(peak / 2));
      expect(at(Math.floor(peak / 2)).conntrackAllowanceAvailableMin).toBe(0);
      // Two copies of every flow, at the same times: twice the connections at every moment.
      expect(rep.scales[1]!.neededAllowance).toBe(2 * peak);
      expect(rep.scales[1]!.rows.find((r) => r.allowance === peak)!.conntrackAllowanceExceeded).toBeGreaterThan(0);
    }, 60_000);
  }

  it('a run at an allowance below the peak gives the same drops as replaying with that allowance', async () => {
    const { out, configOut } = await traceOf('scan', 20_000);
    const cfg = loadConfig(configOut);
    const rep = await runCapacity(cfg, () => openTrace(out), { allowances: [3000] });
    const raw = parse(readFileSync(configOut, 'utf8')) as { instances: Array<Record<string, unknown>> };
    raw.instances[0]!['allowance'] = 3000;
    const replay = await runTrace(resolve(raw), await openTrace(out), { engine: 'reference' });
    const row = rep.scales[0]!.rows.find((r) => r.allowance === 3000)!;
    expect(row.conntrackAllowanceExceeded).toBe(replay.counters.instances[0]!.conntrackAllowanceExceeded);
    expect(row.conntrackAllowanceExceeded).toBeGreaterThan(0);
  });

  it('types come from the catalog; an unmeasured type is reported unknown, not guessed', async () => {
    const { out, configOut } = await traceOf('scan', 5_000);
    const rep = await runCapacity(loadConfig(configOut), () => openTrace(out), {
      types: ['m7i-flex.large', 't3.micro', 'z1.nothing'],
    });
    const rows = rep.scales[0]!.rows;
    expect(rows.find((r) => r.type === 'm7i-flex.large')!.allowance).toBe(76957);
    const t3 = rows.find((r) => r.type === 't3.micro')!;
    expect(t3.allowance).toBeNull();
    expect(t3.dropRate).toBeNull();
    expect(t3.source).toMatch(/^unknown: no public measurement/);
    expect(rows.find((r) => r.type === 'z1.nothing')!.source).toBe('not in the catalog');
  });
});
