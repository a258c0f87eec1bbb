/**
 * Runs a trace through an engine: fill the engine's batch, process, digest
 * the outcome bytes, time each batch for the latency histogram. Data flows
 * one way: packets in, RunResult out.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { EngineCounters } from '../engine/counters.js';
import { createEngine, type EngineName } from '../engine/engines.js';
import type { WasmEngineOptions } from '../engine/wasm.js';
import { LatencyRecorder, type LatencySummary } from '../report/latency.js';
import type { TraceReader } from '../trace/reader.js';
import type { TraceStats } from './clock.js';
import { VerdictDigest } from './digest.js';
import { Interrupted } from '../errors.js';

export type { EngineName } from '../engine/engines.js';

/** Options of a run. */
export interface RunOptions {
  readonly engine: EngineName;
  /** Keep every packet's outcome byte (for `check` and differential tests). */
  readonly keepOutcomes?: boolean;
  readonly wasm?: WasmEngineOptions;
  /** Stops the run between batches (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Called after each batch with the packets so far. */
  readonly onBatch?: (packets: number) => void;
}

/** Everything a report is made from. */
export interface RunResult {
  readonly engine: EngineName;
  readonly workers: number;
  readonly trace: TraceStats;
  readonly counters: EngineCounters;
  readonly digest: string;
  /** Outcome byte per packet, when asked for. */
  readonly outcomes: Uint8Array | null;
  readonly wallSeconds: number;
  readonly latency: LatencySummary;
}

/** Replays a trace in order: the reader fills the engine's batch, the engine decides it. */
export async function runTrace(cfg: ResolvedConfig, reader: TraceReader, opts: RunOptions): Promise<RunResult> {
  const start = process.hrtime.bigint();
  const engine = createEngine(opts.engine, cfg, opts.wasm);
  const digest = new VerdictDigest();
  const latency = new LatencyRecorder();
  let outcomes: Uint8Array | null = opts.keepOutcomes ? new Uint8Array(4096) : null;
  let kept = 0;

  let packets = 0;
  let lastYield = Date.now();
  for (;;) {
    if (opts.signal && Date.now() - lastYield > 50) {
      // A file read synchronously never leaves the loop: let a signal (Ctrl-C) be delivered.
      await new Promise((r) => setImmediate(r));
      lastYield = Date.now();
    }
    if (opts.signal?.aborted) throw new Interrupted();
    const fill = await reader.next(engine.batch());
    if (fill === 0) break;
    const t0 = process.hrtime.bigint();
    engine.process(fill);
    latency.recordBatch(Number(process.hrtime.bigint() - t0), fill);
    const out = engine.batch().out.subarray(0, fill);
    digest.pushAll(out);
    if (outcomes !== null) {
      if (kept + fill > outcomes.length) {
        const bigger = new Uint8Array(Math.max(outcomes.length * 2, kept + fill));
        bigger.set(outcomes.subarray(0, kept));
        outcomes = bigger;
      }
      outcomes.set(out, kept);
      kept += fill;
    }
    packets += fill;
    opts.onBatch?.(packets);
  }
  const counters = engine.finish();
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    engine: opts.engine,
    workers: 1,
    trace: engine.traceStats(),
    counters,
    digest: digest.hex(),
    outcomes: outcomes === null ? null : outcomes.subarray(0, kept),
    wallSeconds,
    latency: latency.summary(),
  };
}
