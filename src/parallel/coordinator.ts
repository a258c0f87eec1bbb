/**
 * Parallel replay: one shard per worker; shard 0 runs on the coordinator's
 * own thread, every other shard in a worker thread of its own (a
 * single-thread piscina pool each, so a shard always meets the same engine).
 * Shard 0 gets a smaller part of the flows, since its thread also reads and
 * shards the trace: on two cores, two threads do all the work.
 *
 * Rounds, in trace order: the reader fills a batch slot in the shared engine
 * memory; the coordinator's own engine instance applies the S21 clock and
 * writes each row's shard and instances (engine.ts assignShards); every
 * worker decides the rows of its shard in place and logs its admissions,
 * expiries and drops by row; the coordinator merges the logs (exact tracked
 * counts, peak, series) and hashes the outcome bytes in trace order. While
 * workers decide round r, the coordinator reads round r+1 into the other
 * slot.
 *
 * The allowance (S17) is the only state instances' flows share across
 * shards. A stretch of rows is decided in parallel only when it cannot make
 * any instance reach its allowance: it has at most as many rows evaluated at
 * each instance as the instance has room left (admissions ≤ rows), so every
 * admission a worker makes is one a single engine makes, and nothing is
 * dropped. The other rows are decided serially, in trace order, by shard 1
 * with every shard's state (engine.ts processSerial), against the exact count
 * over all shards. Verdicts, counters and digest are therefore those of one
 * engine for any number of workers; saturating traces run at the speed of
 * one worker while they saturate.
 *
 * An ICMP error whose own (type, code) key and quoted flow live on different
 * shards is a barrier row: every worker first expires to its time and the
 * quoted flow's worker answers S6 ("related?"), then the own key's worker
 * decides it with that answer.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import * as hdr from 'hdr-histogram-js';
import type { ResolvedConfig } from '../config/types.js';
import { emptyCounters, VERDICT_SLOTS } from '../engine/counters.js';
import { newEngineMemory, wasmModule, WasmEngine } from '../engine/wasm.js';
import { CtreplayError, Interrupted } from '../errors.js';
import { packageRoot } from '../paths.js';
import { LatencyRecorder } from '../report/latency.js';
import { VerdictDigest } from '../replay/digest.js';
import type { RunResult } from '../replay/run.js';
import { BATCH_BYTES_PER_PACKET, PacketBatch } from '../trace/batch.js';
import type { TraceReader } from '../trace/reader.js';
import { LogMerger, Series, type Log, type SeriesPoint } from './merge.js';
import type { FinishResult, SlotRef, StepResult, WorkerInit, WorkerTask } from './protocol.js';
import { ShardRunner } from './shard.js';

/** A worker failed: the run ends (exit 2) with its message. */
export class WorkerFailure extends CtreplayError {
  readonly code = 'CTR_WORKER';
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailure';
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
  /** The worker module (tests substitute one that fails). */
  readonly workerFile?: string;
  /** Shard 0's part of the flows (it shares its thread with reading); default 1 / (2 · workers − 1). */
  readonly mainShare?: number;
}

/** A parallel run's result: a RunResult plus the series and how many rows were decided serially. */
export interface ParallelResult extends RunResult {
  readonly series: { interval: number; points: SeriesPoint[] };
  /** Rows decided serially because an allowance could bind during them. */
  readonly serialRows: number;
  readonly rounds: number;
  /** Where the time went (ms): the coordinator's own work, its waits, and each worker's engine time. */
  readonly profile: RunProfile;
}

/** Milliseconds per activity of a parallel run. */
export interface RunProfile {
  /** Coordinator: reading batches, S21 clock + shard assignment, waiting for workers, merging logs, digest. */
  read: number;
  clockAndShards: number;
  waitWorkers: number;
  merge: number;
  digest: number;
  /** Per worker: time inside the engine (segment, serial and barrier tasks). */
  workers: number[];
}

interface Slot extends SlotRef {
  /** Per row, when an allowance may bind: the instances it is evaluated at (first + 1 | second + 1 << 16). */
  readonly insts: number;
}

/** Batch slots: rounds in flight at once (reading, queued, being decided), so no thread waits on another. */
const SLOTS = 3;

/** How a round is decided. */
type Mode = 'parallel' | 'serial' | 'steps';

/** Barrier rows above which a round is decided serially rather than one barrier at a time. */
const MAX_BARRIERS = 32;

/** Fewest rows worth a parallel step (a task round trip costs 20–45 µs); serial steps are at most SERIAL_ROWS. */
const MIN_PARALLEL_ROWS = 4096;
const SERIAL_ROWS = 16384;

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

  const slots: Slot[] = Array.from({ length: SLOTS }, () => {
    const bytes = B * BATCH_BYTES_PER_PACKET + B + 12 * B + 4 * B + 4 * B;
    const ptr = x.allocBlob(Math.ceil(bytes / 4));
    const col = ptr + B * BATCH_BYTES_PER_PACKET;
    return { ptr, capacity: B, col, barriers: col + B, hashes: col + 13 * B, insts: col + 17 * B };
  });
  const contexts = x.allocBlob((N * x.contextBytes()) / 4);
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

  const local = new ShardRunner({ module, memory, config: cfg, shard: 0, shards: N, seed, contexts });
  const mainShare = N === 1 ? 1 : Math.min(1, Math.max(0, opts.mainShare ?? 1 / (2 * N - 1)));
  const cut = Math.min(0xffffffff, Math.floor(mainShare * 2 ** 32));
  const filename = opts.workerFile ?? join(packageRoot(), 'dist', 'src', 'parallel', 'worker.js');
  // A worker thread that dies outside a task would be replaced by a fresh one
  // with empty tables: remember it, and end the run at the next task.
  // Every task waits on this too, so none waits for a replacement thread.
  let lost: WorkerFailure | null = null;
  let onLost: (e: WorkerFailure) => void = () => undefined;
  const lostPromise = new Promise<never>((_, reject) => (onLost = reject));
  lostPromise.catch(() => undefined);
  const pools = Array.from({ length: N }, (_, shard) => {
    if (shard === 0) return null;
    const init: WorkerInit = { module, memory, config: cfg, shard, shards: N, seed, contexts };
    // Several tasks in the thread at once: the next one is there when one ends, even while this thread is busy.
    const pool = new Piscina({
      filename,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: SLOTS + 1,
      idleTimeout: Infinity,
      workerData: init,
    });
    pool.on('error', (e: unknown) => {
      lost ??= new WorkerFailure(`worker ${shard} failed: ${(e as Error)?.message ?? String(e)}`);
      onLost(lost);
    });
    return pool;
  });
  /** Runs a task of shard w: shard 0 here and now, the others in their threads. */
  const run = async <R>(w: number, task: WorkerTask): Promise<R> => {
    if (lost) throw lost;
    if (w === 0) {
      try {
        return local.run(task) as R;
      } catch (e) {
        lost ??= new WorkerFailure(`shard 0 failed: ${(e as Error)?.message ?? String(e)}`);
        onLost(lost);
        throw lost;
      }
    }
    try {
      return (await Promise.race([pools[w]!.run(task), lostPromise])) as R;
    } catch (e) {
      // One failure ends every task in flight (a replacement thread would never answer them).
      lost ??=
        e instanceof WorkerFailure ? e : new WorkerFailure(`worker ${w} failed: ${(e as Error)?.message ?? String(e)}`);
      onLost(lost);
      throw lost;
    }
  };
  /** Runs a task on every shard: the worker threads' first, then shard 0's while they work. */
  const runAll = async <R>(taskOf: (w: number) => WorkerTask): Promise<R[]> => {
    const remote = pools.map((_, w) => (w === 0 ? null : run<R>(w, taskOf(w))));
    const first = run<R>(0, taskOf(0));
    return Promise.all([first, ...remote.slice(1)]) as Promise<R[]>;
  };

  const series = new Series(opts.seriesSeconds ?? 1, opts.seriesSeconds !== undefined, cfg.instances.length);
  const merger = new LogMerger(N, cfg.instances.length, series);
  const allowances = cfg.instances.map((i) => i.allowance);
  const limited = N > 1 && allowances.some((a) => a !== null);
  const SERIAL_SHARD = N > 1 ? 1 : 0;
  const digest = new VerdictDigest();
  const profile: RunProfile = {
    read: 0,
    clockAndShards: 0,
    waitWorkers: 0,
    merge: 0,
    digest: 0,
    workers: new Array<number>(N).fill(0),
  };
  const ms = () => Number(process.hrtime.bigint()) / 1e6;
  const busy = (w: number, r: StepResult) => (profile.workers[w]! += r.ns / 1e6);
  let rounds = 0;
  let packets = 0;
  let serialRows = 0;

  const asLog = (words: Uint32Array | null | undefined): Log | null =>
    words ? { words, len: words.length / 2 } : null;
  const logsOf = (results: ReadonlyArray<StepResult | null>): Array<Log | null> => results.map((r) => asLog(r?.log));

  /**
   * The end of the longest stretch from row p on that no instance can fill:
   * rows evaluated at each instance ≤ its room left (merged counts are exact
   * at p). Every admission needs a row, so none in it finds the allowance full.
   */
  const safeEnd = (slot: Slot, p: number, n: number, instances: () => void): number => {
    const room = allowances.map((a, i) => (a === null ? Infinity : a - merger.alive[i]!));
    if (room.every((r) => r >= n - p)) return n;
    instances();
    const insts = new Uint32Array(memory.buffer, slot.insts, n);
    for (let r = p; r < n; r++) {
      const w = insts[r]!;
      const a = w & 0xffff;
      const b = w >>> 16;
      if (a !== 0 && --room[a - 1]! < 0) return r;
      if (b !== 0 && --room[b - 1]! < 0) return r;
    }
    return n;
  };

  const timeOfIn = (slot: Slot) => (row: number) => {
    const w = slotBatch(slot).tsWords;
    return w[2 * row + 1]! * 4.294967296 + w[2 * row]! / 1e9;
  };
  const mergeTimed = (logs: Array<Log | null>, timeOf: (row: number) => number) => {
    const t0 = ms();
    merger.merge(logs, timeOf);
    profile.merge += ms() - t0;
  };
  /** After a round is decided and merged: series point, digest, progress. */
  const endRound = (slot: Slot, n: number) => {
    const timeOf = timeOfIn(slot);
    const tEnd = timeOf(n - 1);
    for (let i = 0; i < cfg.instances.length; i++) series.tracked(tEnd, i, merger.alive[i]!);
    const t0 = ms();
    digest.pushAll(slotBatch(slot).out.subarray(0, n));
    profile.digest += ms() - t0;
    packets += n;
    rounds++;
    opts.onRound?.(packets);
  };

  /**
   * A round that can be decided in one parallel step whatever the rounds
   * still in flight do: no barrier rows, and no instance can fill. Its tasks
   * are queued behind the previous round's, so workers never wait for the
   * coordinator to merge; only the merges are in order.
   */
  const dispatchRound = (slot: Slot, n: number, previous: Promise<void> | null): Promise<void> => {
    const timeOf = timeOfIn(slot);
    if (slotBatch(slot).ts[0]! >= 0n) series.touch(timeOf(0));
    const remote = pools.map((_, w) =>
      w === 0 ? null : run<StepResult>(w, { kind: 'segment', slot, from: 0, to: n }),
    );
    let first: StepResult;
    try {
      first = local.run({ kind: 'segment', slot, from: 0, to: n }) as StepResult;
    } catch (e) {
      lost ??= new WorkerFailure(`shard 0 failed: ${(e as Error)?.message ?? String(e)}`);
      onLost(lost);
      return Promise.reject(lost);
    }
    return (async () => {
      const results = [first, ...(await Promise.all(remote.slice(1)))] as StepResult[];
      if (previous) await previous;
      results.forEach((r, w) => busy(w, r));
      mergeTimed(logsOf(results), timeOf);
      endRound(slot, n);
    })();
  };

  /**
   * A round decided serially as a whole, queued like a parallel one: for a
   * round after one that had to go serially (an allowance stays full for a
   * while), or with many barrier rows. Exact whatever runs before it.
   */
  const dispatchSerialRound = (slot: Slot, n: number, previous: Promise<void> | null): Promise<void> => {
    const timeOf = timeOfIn(slot);
    if (slotBatch(slot).ts[0]! >= 0n) series.touch(timeOf(0));
    const task = run<StepResult>(SERIAL_SHARD, { kind: 'serial', slot, from: 0, to: n, bFrom: 0 });
    return (async () => {
      const r = await task;
      if (previous) await previous;
      busy(SERIAL_SHARD, r);
      mergeTimed(r.logs!.map(asLog), timeOf);
      serialRows += n;
      endRound(slot, n);
    })();
  };

  /** Decides one round step by step: barrier rows, and stretches where an allowance may bind decided serially. */
  const runRound = async (
    slot: Slot,
    n: number,
    barriers: ReadonlyArray<readonly [row: number, sF: number, sE: number]>,
  ) => {
    const b = slotBatch(slot);
    const timeOf = timeOfIn(slot);
    // The series spans the trace, quiet stretches included.
    if (b.ts[0]! >= 0n) series.touch(timeOf(0));
    let bi = 0;
    /** Rows [from, to) in parallel, each worker its shard; barrier rows one by one. */
    const parallel = async (from: number, to: number) => {
      const segment = async (a: number, z: number) => {
        const results = await runAll<StepResult>(() => ({ kind: 'segment', slot, from: a, to: z }));
        results.forEach((r, w) => busy(w, r));
        mergeTimed(logsOf(results), timeOf);
      };
      while (bi < barriers.length && barriers[bi]![0] < to) {
        const [row, sF, sE] = barriers[bi++]!;
        if (row > from) await segment(from, row);
        const prepared = await runAll<StepResult>((w) => ({ kind: 'prepare', slot, row, answer: w === sF }));
        mergeTimed(logsOf(prepared), timeOf);
        const decided = await run<StepResult>(sE, { kind: 'decide', slot, row, bits: prepared[sF]!.bits });
        mergeTimed(logsOf(pools.map((_, w) => (w === sE ? decided : null))), timeOf);
        from = row + 1;
      }
      if (from < to) await segment(from, to);
    };
    let instancesKnown = false;
    const instances = () => {
      if (instancesKnown) return;
      x.useBatch(slot.ptr, B);
      x.rowInstances(0, n, slot.insts);
      instancesKnown = true;
    };
    let p = 0;
    while (p < n) {
      const k = limited ? safeEnd(slot, p, n, instances) : n;
      if (k === n || k - p >= MIN_PARALLEL_ROWS) {
        await parallel(p, k);
        p = k;
      } else {
        const e = Math.min(n, p + SERIAL_ROWS);
        // On a worker thread when there is one, so this thread reads on meanwhile.
        const r = await run<StepResult>(SERIAL_SHARD, { kind: 'serial', slot, from: p, to: e, bFrom: bi });
        busy(SERIAL_SHARD, r);
        mergeTimed(r.logs!.map(asLog), timeOf);
        bi = r.nextBarrier!;
        serialRows += e - p;
        p = e;
      }
    }
    endRound(slot, n);
  };

  /** Rows dispatched but not merged yet: with the merged counts, a bound on what is tracked. */
  let unmerged = 0;
  const fitsEverywhere = (n: number) =>
    !limited || allowances.every((a, i) => a === null || merger.alive[i]! + unmerged + n <= a);

  // Rounds in flight, by slot; `last` is the latest.
  const inFlight: Array<Promise<void> | null> = slots.map(() => null);
  let last: Promise<void> | null = null;
  let lastMode: Mode = 'parallel';
  let stepsWentSerial = false;
  try {
    // Every worker has saved its context before any serial step can load it.
    await runAll<StepResult>(() => ({ kind: 'ready' }));
    for (let k = 0; ; k = (k + 1) % SLOTS) {
      if (opts.signal?.aborted) throw new Interrupted();
      const slot = slots[k]!;
      // The slot's previous round must be done before it is read into.
      const before = inFlight[k];
      if (before) {
        const t = ms();
        await before;
        profile.waitWorkers += ms() - t;
        inFlight[k] = null;
      }
      const t0 = ms();
      const n = await reader.next(slotBatch(slot));
      const t1 = ms();
      profile.read += t1 - t0;
      if (n === 0) break;
      x.useBatch(slot.ptr, B);
      x.clock(n);
      const nb = x.assignShards(n, N, slot.col, slot.barriers, slot.hashes, cut, fragTimeout);
      const words = new Uint32Array(memory.buffer, slot.barriers, 3 * nb);
      const barriers: Array<readonly [number, number, number]> = [];
      for (let i = 0; i < nb; i++) barriers.push([words[3 * i]!, words[3 * i + 1]!, words[3 * i + 2]!]);
      const t2 = ms();
      profile.clockAndShards += t2 - t1;
      let current: Promise<void>;
      // A step-by-step round sends tasks until it ends: nothing is queued behind it.
      if (last && lastMode === 'steps') await last;
      // How to decide it: in one parallel step; serially as a whole, when the round before had to go
      // serially (an allowance stays full a while) or it has many barrier rows; else step by step.
      const hot: boolean = limited && (lastMode === 'serial' || (lastMode === 'steps' && stepsWentSerial));
      const mode: Mode = nb === 0 && fitsEverywhere(n) ? 'parallel' : hot || nb > MAX_BARRIERS ? 'serial' : 'steps';
      // Shard 0's own work for this round (done here, now) waits until a serial round has left its tables.
      if (last && lastMode === 'serial' && mode !== 'serial') await last;
      const rows = n;
      unmerged += n;
      if (mode === 'parallel') {
        current = dispatchRound(slot, n, last);
      } else if (mode === 'serial') {
        current = dispatchSerialRound(slot, n, last);
      } else {
        if (last) await last;
        const serialBefore = serialRows;
        current = runRound(slot, n, barriers).then(() => {
          stepsWentSerial = serialRows > serialBefore;
        });
      }
      current = current.then(() => {
        unmerged -= rows;
      });
      lastMode = mode;
      profile.waitWorkers += ms() - t2;
      current.catch(() => undefined);
      inFlight[k] = current;
      last = current;
    }
    // Merges are in order: the last round's end is everyone's.
    if (last) await last;
    last = null;
    inFlight.fill(null);

    const now = x.clockNow();
    const finals = await runAll<FinishResult>(() => ({ kind: 'finish', t: now >= 0n ? now : null }));
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
      serialRows,
      rounds,
      profile,
    };
  } finally {
    for (const p of inFlight) await p?.catch(() => undefined);
    await Promise.all(pools.map((p) => p?.destroy()));
  }
}
