/**
 * The engine of one shard: one WASM engine instance living in the shared
 * memory, deciding the rows of its shard in the coordinator's batch slots
 * and logging every admission, expiry and allowance drop by row. Shard 0
 * runs on the coordinator's thread; every other shard in a worker thread
 * (worker.ts). No IO, no config parsing.
 *
 * Its shard state (tables, timers, counters, log) is saved to its context
 * slot after every task and loaded before the next, because one shard decides
 * the rows during which an allowance may bind for every shard (`serial`).
 */
import * as hdr from 'hdr-histogram-js';
import { WasmEngine, type Exports } from '../engine/wasm.js';
import type { FinishResult, SlotRef, StepResult, WorkerInit, WorkerTask } from './protocol.js';

/** Runs the tasks of one shard. */
export class ShardRunner {
  private readonly engine: WasmEngine;
  private readonly x: Exports;
  private readonly ctxSize: number;
  private readonly myContext: number;
  private readonly logPtrAt: number;
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private currentSlot = -1;

  constructor(private readonly init: WorkerInit) {
    this.engine = new WasmEngine(init.config, {
      memory: init.memory,
      module: init.module,
      seed: init.seed,
      batchCapacity: 16,
    });
    const x = (this.x = this.engine.exports);
    x.enableLog();
    this.engine.setOwnShard(init.shard);
    this.ctxSize = x.contextBytes();
    this.myContext = init.contexts + init.shard * this.ctxSize;
    this.logPtrAt = x.contextLogOffset();
    x.saveContext(this.myContext);
  }

  /** Runs one task. */
  run(task: WorkerTask): StepResult | FinishResult {
    this.x.loadContext(this.myContext);
    try {
      return this.runTask(task);
    } finally {
      this.x.saveContext(this.myContext);
    }
  }

  private use(slot: SlotRef): void {
    if (slot.ptr !== this.currentSlot) {
      this.x.useBatch(slot.ptr, slot.capacity);
      this.x.setShard(slot.col, this.init.shard, slot.hashes);
      this.currentSlot = slot.ptr;
    }
  }

  /** A copy of the change log of the task (the coordinator may merge it after this shard's next task). */
  private log(ptr = this.x.logPtr(), len = this.x.logLen()): Uint32Array | null {
    return len === 0 ? null : new Uint32Array(this.init.memory.buffer, ptr, 2 * len).slice();
  }

  private result(rows: number, ns: number, bits = 0): StepResult {
    return { log: this.log(), rows, ns, bits };
  }

  private record(rows: number, ns: number): void {
    if (rows > 0) this.histogram.recordValueWithCount(Math.max(1, Math.round(ns / rows)), rows);
  }

  private runTask(task: WorkerTask): StepResult | FinishResult {
    const { x, engine, init } = this;
    switch (task.kind) {
      case 'ready':
        return this.result(0, 0);
      case 'segment': {
        this.use(task.slot);
        x.resetLog();
        const t0 = process.hrtime.bigint();
        const rows = engine.processShard(task.slot, task.from, task.to, init.shard);
        const ns = Number(process.hrtime.bigint() - t0);
        this.record(rows, ns);
        return this.result(rows, ns);
      }
      case 'serial': {
        this.use(task.slot);
        // Every shard's log starts empty.
        const size = this.ctxSize;
        const lenAt = this.logPtrAt + 4;
        const words = () => new Uint32Array(init.memory.buffer, init.contexts, (init.shards * size) / 4);
        for (let w = 0; w < init.shards; w++) words()[(w * size + lenAt) / 4] = 0;
        x.resetLog();
        const t0 = process.hrtime.bigint();
        const next = engine.processSerial(task.slot, task.from, task.to, init.shards, init.contexts, task.bFrom);
        const ns = Number(process.hrtime.bigint() - t0);
        this.record(task.to - task.from, ns);
        const w32 = words();
        const logs = Array.from({ length: init.shards }, (_, w) =>
          this.log(w32[(w * size + this.logPtrAt) / 4]!, w32[(w * size + lenAt) / 4]!),
        );
        return { ...this.result(task.to - task.from, ns), logs, nextBarrier: next };
      }
      case 'prepare': {
        this.use(task.slot);
        x.resetLog();
        engine.prepareRow(task.slot, task.row);
        return this.result(0, 0, task.answer ? x.relatedBits(task.row) : 0);
      }
      case 'decide': {
        this.use(task.slot);
        x.resetLog();
        const t0 = process.hrtime.bigint();
        x.processRowHint(task.row, task.bits);
        const ns = Number(process.hrtime.bigint() - t0);
        this.histogram.recordValue(Math.max(1, ns));
        return this.result(1, ns);
      }
      case 'finish': {
        if (task.t !== null) x.advanceAt(task.t, 0);
        const c = engine.counters();
        return {
          verdicts: c.verdicts,
          instances: c.instances.map((i) => ({
            verdicts: i.verdicts,
            exceeded: i.conntrackAllowanceExceeded,
            linklocal: i.linklocalAllowanceExceeded,
            alive: i.trackedAtEnd,
          })),
          latency: hdr.encodeIntoCompressedBase64(this.histogram),
          tableBytes: engine.tableStats().heapBytes,
        } satisfies FinishResult;
      }
    }
  }
}
