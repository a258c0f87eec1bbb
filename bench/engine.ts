/**
 * `ctreplay bench --suite engine`: packets/s of each engine at 10 k, 1 M and
 * 4 M concurrent flows, uniform and skewed, allowance not binding and
 * binding, plus bytes per table entry. Each iteration processes one batch;
 * filling the batch (the decoder's job) happens in tinybench's beforeEach and
 * is not timed. The table is filled first (one packet per flow), then traffic
 * refreshes existing flows — or, when the allowance binds, half of the flows
 * have no entry and every one of their packets is an admission attempt.
 */
import { Bench } from 'tinybench';
import { ReferenceBatchEngine, type Engine } from '../src/engine/engines.js';
import { WasmEngine } from '../src/engine/wasm.js';
import { benchConfig, fillBatch, prefillColumns, trafficColumns, type Columns } from './workload.js';
import { throughputResult, type BenchResult } from './results.js';

/** Options of the engine suite. */
export interface EngineSuiteOptions {
  /** Smaller tables and shorter runs (CI smoke). */
  readonly quick?: boolean;
  /** Progress lines (stderr). */
  readonly log?: (line: string) => void;
}

const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** Fills the engine's table with one packet per flow (the first `flows`). */
function prefill(e: Engine, flows: number): void {
  const B = e.batchCapacity;
  for (let f = 0; f < flows; f += B) {
    const n = Math.min(B, flows - f);
    fillBatch(e.batch(), prefillColumns(flows, f, n), 0, n);
    e.process(n);
  }
}

interface Case {
  readonly engine: 'wasm' | 'reference';
  readonly flows: number;
  readonly skewed: boolean;
  readonly binding: boolean;
}

async function measure(c: Case, opts: EngineSuiteOptions): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const allowance = c.binding ? Math.floor(c.flows / 2) : null;
  const cfg = benchConfig(allowance);
  const engine: Engine =
    c.engine === 'wasm' ? new WasmEngine(cfg, { batchCapacity: 4096 }) : new ReferenceBatchEngine(cfg, 256);
  // Binding: entries exist for the first half only; traffic covers all flows.
  prefill(engine, allowance ?? c.flows);
  const B = engine.batchCapacity;
  const traffic: Columns = trafficColumns(
    c.flows,
    c.engine === 'wasm' ? (quick ? 1 << 18 : 1 << 21) : 1 << 16,
    c.skewed,
  );
  let at = 0;
  const name = `engine/${c.engine}/flows=${label(c.flows)}/${c.skewed ? 'skewed' : 'uniform'}${c.binding ? '/allowance=binding' : ''}`;
  const bench = new Bench({
    time: quick ? 150 : c.engine === 'wasm' ? 1500 : 800,
    warmupTime: quick ? 50 : 300,
    iterations: quick ? 10 : 32,
    retainSamples: true,
  });
  bench.add(name, () => engine.process(B), {
    beforeEach: () => {
      if (at + B > traffic.n) at = 0;
      fillBatch(engine.batch(), traffic, at, B);
      at += B;
    },
  });
  await bench.run();
  const out = [throughputResult(name, bench.tasks[0]!, B)];
  if (engine instanceof WasmEngine && !c.binding && !c.skewed) {
    const s = engine.tableStats();
    out.push({
      name: `engine/wasm/flows=${label(c.flows)}/table-bytes-per-entry`,
      unit: 'bytes',
      value: Number(((s.capacity4 * 32) / s.entries4).toFixed(1)),
      samples: [],
    });
    out.push({
      name: `engine/wasm/flows=${label(c.flows)}/memory-bytes-per-entry`,
      unit: 'bytes',
      value: Number((s.heapBytes / s.entries4).toFixed(1)),
      samples: [],
    });
  }
  opts.log?.(`${name}: ${(out[0]!.value / 1e6).toFixed(2)} M packets/s`);
  return out;
}

/** Runs the engine suite. */
export async function engineSuite(opts: EngineSuiteOptions = {}): Promise<BenchResult[]> {
  const sizes = opts.quick ? [10_000, 100_000] : [10_000, 1_000_000, 4_000_000];
  const cases: Case[] = [];
  for (const flows of sizes) {
    for (const skewed of [false, true]) cases.push({ engine: 'wasm', flows, skewed, binding: false });
    cases.push({ engine: 'wasm', flows, skewed: false, binding: true });
  }
  const refSizes = opts.quick ? [10_000] : [10_000, 1_000_000];
  for (const flows of refSizes) cases.push({ engine: 'reference', flows, skewed: false, binding: false });
  const results: BenchResult[] = [];
  for (const c of cases) results.push(...(await measure(c, opts)));
  // The design figure: slot bytes over the maximum load factor (0.8) of the IPv4 and IPv6 tables.
  results.push({ name: 'engine/wasm/ipv4-entry-bytes-at-max-load', unit: 'bytes', value: 32 / 0.8, samples: [] });
  results.push({ name: 'engine/wasm/ipv6-entry-bytes-at-max-load', unit: 'bytes', value: 56 / 0.8, samples: [] });
  return results;
}
