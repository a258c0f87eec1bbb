/**
 * Parallel replay: one coordinator, one worker thread per shard (a
 * single-thread piscina pool each, so a shard always meets the same engine).
 *
 * Rounds, in trace order: the reader fills a batch slot in the shared engine
 * memory; the coordinator's own engine instance applies the S21 clock and
 * writes each row's shard (engine.ts assignShards); every worker decides the
 * rows of its shard in place and logs its admissions, expiries and drops by
 * row; the coordinator merges the logs (exact tracked counts, peak, series),
 * hashes the outcome bytes in trace order, and sets each worker's share of
 * each instance's allowance for the next round. While workers decide round
 * r, the coordinator reads round r+1 into the other slot.
 *
 * An ICMP error whose own (type, code) key and quoted flow live on different
 * shards is a barrier row: every worker first expires to its time and the
 * quoted flow's worker answers S6 ("related?"), then the own key's worker
 * decides it with that answer. Verdicts are therefore those of one engine
 * for any number of workers, as long as no allowance binds.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import * as hdr from 'hdr-histogram-js';
import type { ResolvedConfig } from '../config/types.js';
import { emptyCounters, VERDICT_SLOTS } from '../engine/counters.js';
import { newEngineMemory, wasmModule, WasmEngine } from '../engine/wasm.js';
import { CtreplayError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { LatencyRecorder } from '../report/latency.js';
import { VerdictDigest } from '../replay/digest.js';
import type { RunResult } from '../replay/run.js';
import { BATCH_BYTES_PER_PACKET, PacketBatch } from '../trace/batch.js';
import type { TraceReader } from '../trace/reader.js';
import { LogMerger, Series, type Log, type SeriesPoint } from './merge.js';
import type { FinishResult, SlotRef, StepResult, WorkerInit, WorkerTask } from './protocol.js';

/** A worker failed: the run ends (exit 2) with its message. */
export class WorkerFailure extends CtreplayError {
  readonly code = 'CTR_WORKER';
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailure';
  }
}

/** The run was interrupted (Ctrl-C). */
export class Interrupted extends CtreplayError {
  readonly code = 'CTR_INTERRUPTED';
  override readonly exitCode = 130;
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/** Options of a parallel run. */
export interface ParallelOptions {
  /** Worker threads (default: available cores). */
  readonly workers?: number;
  /** Rows per round (a multiple of 16). */
  readonly roundRows?: number;
  /** Series interval in seconds (default: adaptive). */
  readonly seriesSeconds?: number;
  /** Hash seed of the engines (layout only). */
  readonly seed?: bigint;
  /** Called after each round with the packets so far. */
  readonly onRound?: (packets: number) => void;
  /** Stops the run between rounds. */
  readonly signal?: AbortSignal;
}

/** How the allowance was shared, and what that may have cost (report `run.allowance*`). */
export interface AllowanceSharing {
  /** "exact" (one worker, no allowance, or none ever bound) or "shared-quota". */
  readonly mode: 'exact' | 'shared-quota';
  readonly roundsWithDrops: number;
  readonly contendedRounds: number;
  /** Admission room left unused on workers within their share, in rounds where another worker dropped. */
  readonly slack: number;
}

/** A parallel run's result: a RunResult plus the series and the allowance sharing. */
export interface ParallelResult extends RunResult {
  readonly series: { interval: number; points: SeriesPoint[] };
  readonly allowance: AllowanceSharing;
  readonly rounds: number;
}

interface Slot extends SlotRef {
  readonly barriers: number;
}

/** The default number of workers: the machine's cores. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** The longest fragment timeout any interface will have (events included), so the shard map never forgets too early. */
function longestFragmentTimeout(cfg: ResolvedConfig): bigint {
  let m = 0n;
  for (const i of cfg.interfaces) if (i.timeouts.fragment > m) m = i.timeouts.fragment;
  for (const e of cfg.events)
    if (e.action === 'modifyConnectionTracking' && e.timeouts.fragment !== undefined && e.timeouts.fragment > m)
      m = e.timeouts.fragment;
  return m;
}

/** Replays a trace on `workers` threads. */
export async function runParallel(
  cfg: ResolvedConfig,
  reader: TraceReader,
  opts: ParallelOptions = {},
): Promise<ParallelResult> {
  const start = process.hrtime.bigint();
  const N = Math.max(1, Math.min(254, Math.floor(opts.workers ?? defaultWorkers())));
  const B = opts.roundRows ?? 65536;
  const memory = newEngineMemory();
  const module = wasmModule();
  const seed = opts.seed ?? 0x5eed_c0ffeen;
  const coordinator = new WasmEngine(cfg, { memory, module, seed, batchCapacity: 16 });
  const x = coordinator.exports;
  const fragTimeout = longestFragmentTimeout(cfg);

  const slots: Slot[] = [0, 1].map(() => {
    const bytes = B * BATCH_BYTES_PER_PACKET + B + 12 * B;
    const ptr = x.allocBlob(Math.ceil(bytes / 4));
    return { ptr, capacity: B, col: ptr + B * BATCH_BYTES_PER_PACKET, barriers: ptr + B * BATCH_BYTES_PER_PACKET + B };
  });
  const views = new Map<number, { buffer: ArrayBuffer; batch: PacketBatch }>();
  const slotBatch = (s: Slot): PacketBatch => {
    const buffer = memory.buffer;
    let v = views.get(s.ptr);
    if (v === undefined || v.buffer !== buffer) {
      v = { buffer, batch: new PacketBatch(B, buffer, s.ptr) };
      views.set(s.ptr, v);
    }
    return v.batch;
  };

  const filename = join(packageRoot(), 'dist', 'src', 'parallel', 'worker.js');
  const pools = Array.from({ length: N }, (_, shard) => {
    const init: WorkerInit = { module, memory, config: cfg, shard, shards: N, seed };
    return new Piscina({ filename, minThreads: 1, maxThreads: 1, idleTimeout: Infinity, workerData: init });
  });
  const run = async <R>(w: number, task: WorkerTask): Promise<R> => {
    try {
      return (await pools[w]!.run(task)) as R;
    } catch (e) {
      throw new WorkerFailure(`worker ${w} failed: ${(e as Error).message ?? String(e)}`);
    }
  };

  const series = new Series(opts.seriesSeconds ?? 1, opts.seriesSeconds !== undefined, cfg.instances.length);
  const merger = new LogMerger(
    N,
    cfg.instances.map((i) => i.allowance),
    series,
  );
  const digest = new VerdictDigest();
  let rounds = 0;
  let packets = 0;

  const logsOf = (results: ReadonlyArray<StepResult | null>): Array<Log | null> =>
    results.map((r) =>
      r === null || r.logLen === 0
        ? null
        : { words: new Uint32Array(memory.buffer, r.logPtr, 2 * r.logLen), len: r.logLen },
    );

  /** Decides one filled, clocked and sharded slot of n rows. */
  const runRound = async (
    slot: Slot,
    n: number,
    barriers: ReadonlyArray<readonly [row: number, sF: number, sE: number]>,
  ) => {
    const b = slotBatch(slot);
    const timeOf = (row: number) => {
      const w = slotBatch(slot).tsWords;
      return w[2 * row + 1]! * 4.294967296 + w[2 * row]! / 1e9;
    };
    const limits = merger.nextLimits();
    let from = 0;
    const segment = async (to: number) => {
      const results = await Promise.all(
        pools.map((_, w) => run<StepResult>(w, { kind: 'segment', slot, from, to, limits: limits[w]! })),
      );
      merger.merge(logsOf(results), timeOf);
    };
    for (const [row, sF, sE] of barriers) {
      if (row > from) await segment(row);
      const prepared = await Promise.all(
        pools.map((_, w) => run<StepResult>(w, { kind: 'prepare', slot, row, answer: w === sF })),
      );
      merger.merge(logsOf(prepared), timeOf);
      const decided = await run<StepResult>(sE, { kind: 'decide', slot, row, bits: prepared[sF]!.bits });
      merger.merge(logsOf(pools.map((_, w) => (w === sE ? decided : null))), timeOf);
      from = row + 1;
    }
    if (from < n) await segment(n);
    merger.endRound();
    const tEnd = timeOf(n - 1);
    for (let i = 0; i < cfg.instances.length; i++) series.tracked(tEnd, i, merger.alive[i]!);
    digest.pushAll(b.out.subarray(0, n));
    packets += n;
    rounds++;
    opts.onRound?.(packets);
  };

  let pending: Promise<void> | null = null;
  try {
    // Limits are set on every worker before its first round.
    for (let k = 0; ; k ^= 1) {
      if (opts.signal?.aborted) throw new Interrupted();
      const slot = slots[k]!;
      const n = await reader.next(slotBatch(slot));
      if (n === 0) break;
      x.useBatch(slot.ptr, B);
      x.clock(n);
      const nb = x.assignShards(n, N, slot.col, slot.barriers, fragTimeout);
      const words = new Uint32Array(memory.buffer, slot.barriers, 3 * nb);
      const barriers: Array<readonly [number, number, number]> = [];
      for (let i = 0; i < nb; i++) barriers.push([words[3 * i]!, words[3 * i + 1]!, words[3 * i + 2]!]);
      if (pending) await pending;
      pending = runRound(slot, n, barriers);
    }
    if (pending) await pending;
    pending = null;

    const now = x.clockNow();
    const finals = await Promise.all(
      pools.map((_, w) => run<FinishResult>(w, { kind: 'finish', t: now >= 0n ? now : null })),
    );
    const counters = emptyCounters(cfg.instances.length);
    const latency = new LatencyRecorder();
    for (const f of finals) {
      for (let v = 0; v < VERDICT_SLOTS; v++) counters.verdicts[v]! += f.verdicts[v] ?? 0;
      f.instances.forEach((fi, i) => {
        const c = counters.instances[i]!;
        for (let v = 0; v < VERDICT_SLOTS; v++) c.verdicts[v]! += fi.verdicts[v] ?? 0;
        c.conntrackAllowanceExceeded += fi.exceeded;
        c.linklocalAllowanceExceeded += fi.linklocal;
        c.trackedAtEnd += fi.alive;
      });
      latency.histogram.add(hdr.decodeFromCompressedBase64(f.latency));
    }
    counters.instances.forEach((c, i) => (c.peakTracked = merger.peak[i]!));
    const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const trace = coordinator.traceStats();
    return {
      engine: 'wasm',
      workers: N,
      trace,
      counters,
      digest: digest.hex(),
      outcomes: null,
      wallSeconds,
      latency: latency.summary(),
      series: series.points(),
      allowance: {
        mode: N > 1 && merger.roundsWithDrops > 0 ? 'shared-quota' : 'exact',
        roundsWithDrops: merger.roundsWithDrops,
        contendedRounds: merger.contendedRounds,
        slack: merger.slack,
      },
      rounds,
    };
  } finally {
    if (pending) await pending.catch(() => undefined);
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
