/**
 * `ctreplay bench --suite replay`: end-to-end packets/s of `replay` from an
 * Arrow trace generated on the fly — reading, the S21 clock, sharding, the
 * engines, merging, digest — for 1 and 2 workers, and the reference engine
 * for scale (on the first packets only: it is ~25 times slower).
 *
 * Traces: `generate fill` (1 M connections open at once) and `generate
 * mixed` (a front end, DNS, a scanner that saturates its allowance, a ping),
 * 20 M packets each; mixed also with its allowances removed, to show the
 * parallel path on that traffic (with them, the scanner's stretches are
 * decided serially: see src/parallel/coordinator.ts). The files sit in the
 * page cache after the warm-up run. Each run is a fresh process (as `ctreplay
 * replay` is), 1 and 2 workers alternated; the ratios of 2 workers to 1 are
 * results too, each pair from adjacent runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { generate } from '../src/generate/generate.js';
import type { RunProfile } from '../src/parallel/coordinator.js';
import { packageRoot } from '../src/paths.js';
import type { BenchResult } from './results.js';

/** Options of the replay suite. */
export interface ReplaySuiteOptions {
  readonly quick?: boolean;
  readonly log?: (line: string) => void;
}

interface ChildResult {
  packets: number;
  wallSeconds: number;
  digest: string;
  serialRows?: number;
  profile?: RunProfile;
}

/** One replay in a fresh process (bench/replay-child.ts). */
function replayOnce(file: string, config: string, workers: number, limit = 0, engine = 'wasm'): ChildResult {
  const child = join(packageRoot(), 'dist', 'bench', 'replay-child.js');
  const r = spawnSync(process.execPath, [child, file, config, String(workers), String(limit), engine], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`replay of ${file} with ${workers} workers failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Trace {
  readonly name: string;
  readonly file: string;
  readonly config: string;
}

/** Runs the replay suite. */
export async function replaySuite(opts: ReplaySuiteOptions = {}): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const packets = quick ? 400_000 : 20_000_000;
  const fillFlows = quick ? 20_000 : 1_000_000;
  const iterations = quick ? 2 : 3;
  const refPackets = quick ? 100_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'ctreplay-bench-replay-'));
  const results: BenchResult[] = [];
  try {
    const make = async (workload: string, flows?: number): Promise<Trace> => {
      const out = join(dir, `${workload}.arrow`);
      const configOut = join(dir, `${workload}.config.yaml`);
      opts.log?.(`generating ${workload}: ${packets.toLocaleString('en-US')} packets…`);
      await generate({ workload, out, format: 'arrow', packets, seed: 1, configOut, ...(flows ? { flows } : {}) });
      return { name: workload, file: out, config: configOut };
    };
    const unbound = (t: Trace): Trace => {
      const raw = parse(readFileSync(t.config, 'utf8')) as { instances: Array<Record<string, unknown>> };
      for (const i of raw.instances) {
        delete i['type'];
        delete i['allowance'];
      }
      const config = t.config.replace(/\.config\.yaml$/, '.unbound.config.yaml');
      writeFileSync(config, stringify(raw));
      return { name: `${t.name}-unbound`, file: t.file, config };
    };

    const measure = async (t: Trace) => {
      const label =
        t.name === 'fill' ? `fill-${fillFlows >= 1e6 ? `${fillFlows / 1e6}M` : `${fillFlows / 1e3}k`}` : t.name;
      const rates: Record<number, number[]> = { 1: [], 2: [] };
      let last: ChildResult | null = null;
      // A warm-up run (page cache), then 1 and 2 workers alternately, so both see the same machine.
      const digest = replayOnce(t.file, t.config, 2).digest;
      for (let i = 0; i < iterations; i++) {
        for (const workers of [1, 2]) {
          const r = replayOnce(t.file, t.config, workers);
          if (r.digest !== digest) throw new Error(`${t.name}: ${workers} workers gave another digest`);
          rates[workers]!.push(r.packets / r.wallSeconds);
          if (workers === 2) last = r;
        }
      }
      for (const workers of [1, 2]) {
        const samples = rates[workers]!.map(Math.round);
        const value = Math.round(median(samples));
        opts.log?.(`replay/${label}/workers=${workers}: ${(value / 1e6).toFixed(2)} M packets/s`);
        results.push({ name: `replay/${label}/workers=${workers}`, unit: 'packets/s', value, samples });
      }
      const ratios = rates[2]!.map((r, i) => r / rates[1]![i]!);
      results.push({
        name: `replay/${label}/workers=2-vs-1`,
        unit: 'ratio',
        value: Number(median(ratios).toFixed(3)),
        samples: ratios.map((r) => Number(r.toFixed(3))),
      });
      if (last?.profile) {
        const p = last.profile;
        results.push({
          name: `replay/${label}/workers=2/serial-share`,
          unit: 'fraction',
          value: Number(((last.serialRows ?? 0) / last.packets).toFixed(4)),
          samples: [],
        });
        for (const [k, v] of [
          ['read', p.read],
          ['clock-and-shards', p.clockAndShards],
          ['merge', p.merge],
          ['digest', p.digest],
          ['shard0-engine', p.workers[0]!],
          ['shard1-engine', p.workers[1] ?? 0],
        ] as const) {
          results.push({
            name: `replay/${label}/workers=2/profile/${k}`,
            unit: 'ns/packet',
            value: Number(((v * 1e6) / last.packets).toFixed(1)),
            samples: [],
          });
        }
      }
      // The reference engine, on the first packets.
      const ref = replayOnce(t.file, t.config, 1, refPackets, 'reference');
      const refRate = Math.round(ref.packets / ref.wallSeconds);
      opts.log?.(`replay/${label}/reference: ${(refRate / 1e6).toFixed(2)} M packets/s (first ${refPackets} packets)`);
      results.push({ name: `replay/${label}/reference`, unit: 'packets/s', value: refRate, samples: [refRate] });
    };

    const fill = await make('fill', fillFlows);
    await measure(fill);
    rmSync(fill.file, { force: true });
    const mixed = await make('mixed');
    await measure(mixed);
    await measure(unbound(mixed));
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
