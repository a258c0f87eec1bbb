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
 * page cache after the warm-up run. Ratios of 2 workers to 1 are results too,
 * each from the same run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import type { ResolvedConfig } from '../src/config/types.js';
import { generate } from '../src/generate/generate.js';
import { runParallel, type ParallelResult } from '../src/parallel/coordinator.js';
import { runTrace } from '../src/replay/run.js';
import type { PacketBatch } from '../src/trace/batch.js';
import type { TraceReader } from '../src/trace/reader.js';
import { openTrace } from '../src/trace/source.js';
import type { BenchResult } from './results.js';

/** Options of the replay suite. */
export interface ReplaySuiteOptions {
  readonly quick?: boolean;
  readonly log?: (line: string) => void;
}

/** The first `limit` packets of a trace. */
class Prefix implements TraceReader {
  private left: number;
  constructor(
    private readonly inner: TraceReader,
    limit: number,
  ) {
    this.left = limit;
  }
  get format() {
    return this.inner.format;
  }
  get file() {
    return this.inner.file;
  }
  get warnings() {
    return this.inner.warnings;
  }
  async next(batch: PacketBatch): Promise<number> {
    if (this.left <= 0) return 0;
    const n = await this.inner.next(batch);
    const k = Math.min(n, this.left);
    this.left -= k;
    return k;
  }
  progress() {
    return this.inner.progress();
  }
  close() {
    return this.inner.close();
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Trace {
  readonly name: string;
  readonly file: string;
  readonly cfg: ResolvedConfig;
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
      return { name: workload, file: out, cfg: loadConfig(configOut) };
    };
    const unbound = (t: Trace): Trace => {
      const raw = parse(readFileSync(t.cfg.file, 'utf8')) as { instances: Array<Record<string, unknown>> };
      for (const i of raw.instances) {
        delete i['type'];
        delete i['allowance'];
      }
      const file = t.cfg.file.replace(/\.config\.yaml$/, '.unbound.config.yaml');
      writeFileSync(file, stringify(raw));
      return { name: `${t.name}-unbound`, file: t.file, cfg: loadConfig(file) };
    };

    const measure = async (t: Trace) => {
      const label =
        t.name === 'fill' ? `fill-${fillFlows >= 1e6 ? `${fillFlows / 1e6}M` : `${fillFlows / 1e3}k`}` : t.name;
      const rates: Record<number, number[]> = { 1: [], 2: [] };
      let last: ParallelResult | null = null;
      // A warm-up run (page cache, JIT), then alternate 1 and 2 workers so both see the same machine.
      await runParallel(t.cfg, await openTrace(t.file), { workers: 2 });
      for (let i = 0; i < iterations; i++) {
        for (const workers of [1, 2]) {
          const r = await runParallel(t.cfg, await openTrace(t.file), { workers });
          rates[workers]!.push(r.trace.packets / r.wallSeconds);
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
      if (last) {
        const p = last.profile;
        results.push({
          name: `replay/${label}/workers=2/serial-share`,
          unit: 'fraction',
          value: Number((last.serialRows / last.trace.packets).toFixed(4)),
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
            value: Number(((v * 1e6) / last.trace.packets).toFixed(1)),
            samples: [],
          });
        }
      }
      // The reference engine, on the first packets.
      const ref = await runTrace(t.cfg, new Prefix(await openTrace(t.file), refPackets), { engine: 'reference' });
      const refRate = Math.round(ref.trace.packets / ref.wallSeconds);
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
