/**
 * Benchmark results: the `ctreplay/bench@1` JSON and its readable table.
 * Result names are stable (`engine/wasm/flows=1M/uniform`) so runs compare.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { Task } from 'tinybench';

/** One measured result. */
export interface BenchResult {
  name: string;
  unit: string;
  /** The median of the samples. */
  value: number;
  /** Samples in `unit` (one per iteration), when the result is a measurement over time. */
  samples: number[];
  mean?: number;
  p75?: number;
  p99?: number;
  /** Relative margin of error of the mean, percent. */
  rme?: number;
}

/** bench@1. */
export interface BenchReport {
  schema: 'ctreplay/bench@1';
  env: { node: string; cpu: string; cores: number; commit: string | null; date: string };
  results: BenchResult[];
}

/** The environment of this run. */
export function benchEnv(): BenchReport['env'] {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    commit = null;
  }
  const c = cpus();
  return {
    node: process.version,
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    commit,
    date: new Date().toISOString(),
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** A throughput result from a tinybench task whose every iteration handled `packetsPerIteration` packets. */
export function throughputResult(name: string, task: Task, packetsPerIteration: number): BenchResult {
  const r = task.result;
  if (r.state !== 'completed') {
    throw new Error(
      `benchmark ${name} did not complete (${r.state}${r.state === 'errored' ? `: ${r.error.message}` : ''})`,
    );
  }
  const samples = (r.latency.samples ?? []).map((ms) => (packetsPerIteration * 1000) / ms);
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return {
    name,
    unit: 'packets/s',
    value: Math.round(quantile(sorted, 0.5)),
    samples: samples.map((x) => Math.round(x)),
    mean: Math.round(mean),
    p75: Math.round(quantile(sorted, 0.75)),
    p99: Math.round(quantile(sorted, 0.99)),
    rme: Number(r.latency.rme.toFixed(2)),
  };
}

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** A readable table. */
export function renderTable(rep: BenchReport): string {
  const rows = rep.results.map((r) => [
    r.name,
    r.unit === 'packets/s' ? `${nf.format(r.value / 1e6)} M` : nf.format(r.value),
    r.unit === 'packets/s' ? 'packets/s' : r.unit,
    r.rme === undefined ? '' : `±${r.rme.toFixed(1)} %`,
    r.samples.length ? String(r.samples.length) : '',
  ]);
  const head = ['result', 'median', 'unit', 'rme', 'samples'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const e = rep.env;
  return (
    [
      `node ${e.node}, ${e.cpu}, ${e.cores} cores${e.commit ? `, commit ${e.commit.slice(0, 12)}` : ''}`,
      line(head),
      ...rows.map(line),
    ].join('\n') + '\n'
  );
}
