/**
 * The host side of the WASM engine: the only code that touches the module's
 * exports. It compiles the config into the blob the module reads, hands out
 * the batch (a view into WASM memory, rebuilt only when memory grows), splits
 * a batch at rule-change events (S12: an event applies before any packet of
 * its time), and reads counters back. One crossing per batch otherwise.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ConfigEvent, ResolvedConfig } from '../config/types.js';
import { packageRoot } from '../paths.js';
import type { TraceStats } from '../replay/clock.js';
import { PacketBatch } from '../trace/batch.js';
import { compileBlob } from './compile.js';
import { emptyCounters, type EngineCounters, VERDICT_SLOTS } from './counters.js';
import { RuleState } from './state.js';

/** The first row in [from, to) whose virtual time is at or after `at` (times never decrease), else `to`. */
function firstAtOrAfter(ts: BigInt64Array, from: number, to: number, at: bigint): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! >= at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Exports of wasm/assembly/index.ts. */
export interface Exports {
  memory: WebAssembly.Memory;
  init(seedLo: number, seedHi: number): void;
  allocBatch(capacity: number): number;
  allocBlob(words: number): number;
  loadBlob(ptr: number): number;
  freeBlob(ptr: number, words: number): void;
  clock(n: number): void;
  clockNow(): bigint;
  clockFirst(): bigint;
  clockReordered(): bigint;
  clockPackets(): bigint;
  clockBytes(): bigint;
  process(from: number, to: number): void;
  ownRows(): number;
  step(n: number, stopAt: bigint): number;
  advance(t: bigint): void;
  rearm(): void;
  countersGlobal(): number;
  countersInstances(): number;
  error(): number;
  entries4(): number;
  capacity4(): number;
  entries6(): number;
  capacity6(): number;
  timerNodes(): number;
  memoryUsed(): number;
  batchOffset(k: number, c: number): number;
  layoutConstant(k: number): number;
  useBatch(ptr: number, capacity: number): void;
  setShard(col: number, me: number, hashes: number): void;
  advanceAt(t: bigint, row: number): void;
  enableLog(): void;
  logPtr(): number;
  logLen(): number;
  resetLog(): void;
  relatedBits(row: number): number;
  processRowHint(row: number, bits: number): void;
  assignShards(
    n: number,
    nShards: number,
    col: number,
    barriers: number,
    hashes: number,
    cut: number,
    fragTimeoutNs: bigint,
  ): number;
  rowInstances(from: number, to: number, insts: number): void;
  saveContext(p: number): void;
  loadContext(p: number): void;
  contextBytes(): number;
  contextLogOffset(): number;
  processSerial(from: number, to: number, nShards: number, ctxBase: number, barriers: number, bFrom: number): number;
}

/** Slots per instance in the counters block (wasm/assembly/layout.ts INST_CTR and CTR_*). */
export const INST_CTR = 24;
export const CTR_PEAK = 16;
export const CTR_ALIVE = 17;
export const CTR_EXCEEDED = 18;
export const CTR_LINKLOCAL = 19;

const I64_MAX = 0x7fffffffffffffffn;

let cachedModule: WebAssembly.Module | undefined;

/** The compiled module (compiled once per process). */
export function wasmModule(): WebAssembly.Module {
  if (cachedModule === undefined) {
    const file = join(packageRoot(), 'dist', 'wasm', 'engine.wasm');
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new Error(`the WASM engine is not built (${file} is missing); run \`npm run build\``);
    }
    cachedModule = new WebAssembly.Module(bytes);
  }
  return cachedModule;
}

/** Pages of a new engine memory, and its limit (4 GiB: the wasm32 address space). */
const INITIAL_PAGES = 32;
const MAXIMUM_PAGES = 65536;

/** A memory engines can share (one per run; each engine instance allocates its own regions in it). */
export function newEngineMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
}

/** Instantiates the module on a memory (a new one if none is given). */
export function instantiate(memory: WebAssembly.Memory = newEngineMemory(), module = wasmModule()): Exports {
  const inst = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`WASM engine aborted at ${line}:${col}`);
      },
    },
  });
  return inst.exports as unknown as Exports;
}

/** Options of a WASM engine. */
export interface WasmEngineOptions {
  /** Rows per batch (multiple of 16). */
  readonly batchCapacity?: number;
  /** Hash seed (table layout only; verdicts never depend on it). Random by default. */
  readonly seed?: bigint;
  /** A shared memory to live in (sharded runs), and the module compiled once for all threads. */
  readonly memory?: WebAssembly.Memory;
  readonly module?: WebAssembly.Module;
}

/** The WASM conntrack engine for one config. */
export class WasmEngine {
  readonly name = 'wasm' as const;
  private readonly x: Exports;
  private readonly state: RuleState;
  private readonly events: readonly ConfigEvent[];
  private nextEvent = 0;
  private blobPtr = 0;
  private blobWords = 0;
  private batchPtr: number;
  private view: PacketBatch;
  private viewBuffer: ArrayBuffer;
  readonly batchCapacity: number;

  /** The module's exports (for the sharded runner). */
  get exports(): Exports {
    return this.x;
  }

  constructor(
    private readonly cfg: ResolvedConfig,
    opts: WasmEngineOptions = {},
  ) {
    if (cfg.interfaces.length > 65000) throw new Error('the WASM engine supports at most 65000 interfaces');
    this.x = instantiate(opts.memory, opts.module);
    const seed = opts.seed ?? randomBytes(8).readBigUInt64LE();
    this.x.init(Number(seed & 0xffffffffn), Number(seed >> 32n));
    this.batchCapacity = opts.batchCapacity ?? 4096;
    this.batchPtr = this.x.allocBatch(this.batchCapacity);
    this.state = new RuleState(cfg);
    this.events = cfg.events;
    this.loadRules();
    this.viewBuffer = this.x.memory.buffer;
    this.view = new PacketBatch(this.batchCapacity, this.viewBuffer, this.batchPtr);
  }

  /** The batch to fill (a view into WASM memory); re-read it after each process(). */
  batch(): PacketBatch {
    if (this.x.memory.buffer !== this.viewBuffer) {
      this.viewBuffer = this.x.memory.buffer;
      this.view = new PacketBatch(this.batchCapacity, this.viewBuffer, this.batchPtr);
    }
    return this.view;
  }

  /** Compiles the current rule state and (re)loads it. */
  private loadRules(): void {
    const blob = compileBlob(
      this.cfg,
      this.state,
      this.cfg.instances.map((i) => i.allowance),
    );
    const old = this.blobPtr;
    const oldWords = this.blobWords;
    const ptr = this.x.allocBlob(blob.length);
    new Int32Array(this.x.memory.buffer, ptr, blob.length).set(blob);
    if (this.x.loadBlob(ptr) !== 0) throw new Error('the WASM engine refused the config blob (format mismatch)');
    if (old !== 0) this.x.freeBlob(old, oldWords);
    this.blobPtr = ptr;
    this.blobWords = blob.length;
  }

  /**
   * Applies S21 to the first n rows (timestamps become virtual times), then
   * processes them, stopping at each rule-change event to apply it first.
   * Outcome bytes land in batch().out.
   */
  process(n: number): void {
    try {
      this.step(n);
    } catch (e) {
      if (this.x.error() === 1)
        throw new Error('the WASM engine ran out of memory (WebAssembly memory is limited to 4 GiB)');
      throw e;
    }
  }

  private step(n: number): void {
    const x = this.x;
    // One crossing when no event falls in the batch.
    let from = x.step(n, this.nextEvent < this.events.length ? this.events[this.nextEvent]!.at : I64_MAX);
    while (from < n) {
      // Row `from` is the first at or after the next event (virtual times are monotone).
      this.applyEventsUpTo(this.batch().ts[from]!);
      const to =
        this.nextEvent < this.events.length
          ? firstAtOrAfter(this.batch().ts, from, n, this.events[this.nextEvent]!.at)
          : n;
      x.process(from, to);
      from = to;
    }
  }

  /** Applies every event due at or before t, each after expiring what is gone at its time (S12, S14); expiries are logged at `row`. */
  private applyEventsUpTo(t: bigint, row = 0): void {
    while (this.nextEvent < this.events.length && this.events[this.nextEvent]!.at <= t) {
      const ev = this.events[this.nextEvent++]!;
      this.x.advanceAt(ev.at, row);
      const timeoutsChanged = this.state.apply(ev).length > 0;
      this.loadRules();
      if (timeoutsChanged) this.x.rearm();
    }
  }

  private slotView: PacketBatch | null = null;
  private slotBuffer: ArrayBuffer | null = null;

  private slotBatch(slot: { ptr: number; capacity: number }): PacketBatch {
    const buf = this.x.memory.buffer;
    if (this.slotView === null || this.slotBuffer !== buf || this.slotView.byteOffset !== slot.ptr) {
      this.slotBuffer = buf;
      this.slotView = new PacketBatch(slot.capacity, buf, slot.ptr);
    }
    return this.slotView;
  }

  /**
   * Sharded runs: decides this worker's rows in [from, to) of a coordinator
   * slot (virtual times already applied), stopping at each rule-change event
   * to apply it (every worker does, at the same rows). Returns the rows of
   * this shard decided.
   */
  processShard(slot: { ptr: number; capacity: number; col: number }, from: number, to: number, shard: number): number {
    const b = this.slotBatch(slot);
    let mine = 0;
    let a = from;
    while (a < to) {
      const end =
        this.nextEvent < this.events.length ? firstAtOrAfter(b.ts, a, to, this.events[this.nextEvent]!.at) : to;
      this.x.process(a, end);
      mine += this.x.ownRows();
      if (end < to) this.applyEventsUpTo(b.ts[end]!, end);
      a = end;
    }
    void shard;
    return mine;
  }

  /**
   * Sharded runs, rows during which an allowance may bind: decides rows
   * [from, to) of every shard in trace order on this instance (contexts of
   * `shards` shards at `ctxBase`; this engine's own is loaded), so the
   * allowance is checked against the exact count over all shards. A
   * rule-change event is applied here to every shard's table (expiry to its
   * time, re-arming); each worker applies it to its own rules later, which
   * finds nothing left to do in its table. Returns the next barrier record.
   */
  processSerial(
    slot: { ptr: number; capacity: number; col: number; barriers: number },
    from: number,
    to: number,
    shards: number,
    ctxBase: number,
    bFrom: number,
  ): number {
    const b = this.slotBatch(slot);
    const x = this.x;
    const own = ctxBase + this.serialShard * x.contextBytes();
    let bi = bFrom;
    let a = from;
    while (a < to) {
      const end =
        this.nextEvent < this.events.length ? firstAtOrAfter(b.ts, a, to, this.events[this.nextEvent]!.at) : to;
      bi = x.processSerial(a, end, shards, ctxBase, slot.barriers, bi);
      if (end < to) {
        const t = b.ts[end]!;
        while (this.nextEvent < this.events.length && this.events[this.nextEvent]!.at <= t) {
          const ev = this.events[this.nextEvent++]!;
          this.eachContext(shards, ctxBase, own, () => x.advanceAt(ev.at, end));
          const timeoutsChanged = this.state.apply(ev).length > 0;
          this.loadRules();
          if (timeoutsChanged) this.eachContext(shards, ctxBase, own, () => x.rearm());
        }
      }
      a = end;
    }
    return bi;
  }

  private serialShard = 0;

  /** Sharded runs: which shard this engine is (set by the worker). */
  setOwnShard(shard: number): void {
    this.serialShard = shard;
  }

  /** Runs f with each shard's context loaded in turn, ours last (it is loaded on entry and on return). */
  private eachContext(shards: number, ctxBase: number, own: number, f: () => void): void {
    const x = this.x;
    const size = x.contextBytes();
    x.saveContext(own);
    for (let w = 0; w < shards; w++) {
      const p = ctxBase + w * size;
      if (p === own) continue;
      x.loadContext(p);
      f();
      x.saveContext(p);
    }
    x.loadContext(own);
    f();
    x.saveContext(own);
  }

  /** Sharded runs, before a barrier row: apply the events due at its time and expire to it. */
  prepareRow(slot: { ptr: number; capacity: number }, row: number): void {
    const t = this.slotBatch(slot).ts[row]!;
    if (t >= 0n) {
      this.applyEventsUpTo(t, row);
      this.x.advanceAt(t, row);
    }
  }

  /** Trace totals from the S21 clock. */
  traceStats(): TraceStats {
    const x = this.x;
    const now = x.clockNow();
    return {
      packets: Number(x.clockPackets()),
      bytes: Number(x.clockBytes()),
      firstTs: now < 0n ? null : x.clockFirst(),
      lastTs: now < 0n ? null : now,
      reordered: Number(x.clockReordered()),
    };
  }

  /** Expires to the final virtual time and returns the counters. */
  finish(): EngineCounters {
    const x = this.x;
    const now = x.clockNow();
    if (now >= 0n) x.advance(now);
    return this.counters();
  }

  /** Counters so far. */
  counters(): EngineCounters {
    const x = this.x;
    const c = emptyCounters(this.cfg.instances.length);
    // The module counts foreign and malformed packets globally and evaluations per instance; global evaluation counts are the sums.
    const g = new BigInt64Array(x.memory.buffer, x.countersGlobal(), 16);
    for (let v = 0; v < VERDICT_SLOTS; v++) c.verdicts[v] = Number(g[v]);
    const all = new BigInt64Array(x.memory.buffer, x.countersInstances(), INST_CTR * this.cfg.instances.length);
    c.instances.forEach((ic, i) => {
      const b = i * INST_CTR;
      for (let v = 0; v < VERDICT_SLOTS; v++) {
        ic.verdicts[v] = Number(all[b + v]);
        if (v >= 1 && v <= 8) c.verdicts[v]! += ic.verdicts[v]!;
      }
      ic.peakTracked = Number(all[b + CTR_PEAK]);
      ic.trackedAtEnd = Number(all[b + CTR_ALIVE]);
      ic.conntrackAllowanceExceeded = Number(all[b + CTR_EXCEEDED]);
      ic.linklocalAllowanceExceeded = Number(all[b + CTR_LINKLOCAL]);
    });
    return c;
  }

  /** Table occupancy and memory, for benchmarks. */
  tableStats() {
    const x = this.x;
    return {
      entries4: x.entries4(),
      capacity4: x.capacity4(),
      entries6: x.entries6(),
      capacity6: x.capacity6(),
      timerNodes: x.timerNodes(),
      memoryBytes: x.memory.buffer.byteLength,
      heapBytes: x.memoryUsed(),
    };
  }
}
