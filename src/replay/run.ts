/**
 * Runs a trace through an engine: the S21 clock, the engine, the digest, the
 * latency histogram. Data flows one way: packets in, RunResult out.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { EngineCounters } from '../engine/counters.js';
import { ReferenceEngine } from '../engine/reference.js';
import { LatencyRecorder, type LatencySummary } from '../report/latency.js';
import type { Packet } from '../trace/packet.js';
import { VirtualClock, type TraceStats } from './clock.js';
import { VerdictDigest } from './digest.js';

/** Packets per latency sample: the histogram records batch time ÷ batch size. */
const TIMED_BATCH = 256;

/** Engines selectable with `--engine`. */
export type EngineName = 'reference';

/** Options of a run. */
export interface RunOptions {
  readonly engine: EngineName;
  /** Keep every packet's outcome byte (for `check`). */
  readonly keepOutcomes?: boolean;
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

/** Replays chunks of packets in trace order. */
export async function runTrace(
  cfg: ResolvedConfig,
  chunks: AsyncIterable<readonly Packet[]> | Iterable<readonly Packet[]>,
  opts: RunOptions,
): Promise<RunResult> {
  const start = process.hrtime.bigint();
  const engine = new ReferenceEngine(cfg);
  const clock = new VirtualClock();
  const digest = new VerdictDigest();
  const latency = new LatencyRecorder();
  let outcomes: Uint8Array | null = opts.keepOutcomes ? new Uint8Array(1024) : null;
  let n = 0;

  for await (const chunk of chunks) {
    for (let start = 0; start < chunk.length; start += TIMED_BATCH) {
      const t0 = process.hrtime.bigint();
      const end = Math.min(chunk.length, start + TIMED_BATCH);
      for (let i = start; i < end; i++) {
        const p = chunk[i]!;
        const t = clock.tick(p.ts, p.len);
        const o = engine.process(p, t);
        digest.push(o);
        if (outcomes !== null) {
          if (n === outcomes.length) {
            const bigger = new Uint8Array(outcomes.length * 2);
            bigger.set(outcomes);
            outcomes = bigger;
          }
          outcomes[n] = o;
        }
        n++;
      }
      latency.recordBatch(Number(process.hrtime.bigint() - t0), end - start);
    }
  }
  const counters = engine.finish(clock.stats.lastTs);
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    engine: opts.engine,
    workers: 1,
    trace: clock.stats,
    counters,
    digest: digest.hex(),
    outcomes: outcomes === null ? null : outcomes.subarray(0, n),
    wallSeconds,
    latency: latency.summary(),
  };
}
