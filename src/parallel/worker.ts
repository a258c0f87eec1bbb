/**
 * A replay worker (piscina, one thread per shard): owns one WASM engine
 * instance living in the shared memory, decides the rows of its shard in the
 * coordinator's batch slots, and logs every admission, expiry and allowance
 * drop by row. No IO, no config parsing: the resolved config arrives with the
 * thread.
 *
 * Its shard state (tables, timers, counters, log) is saved to its context
 * slot after every task and loaded before the next, because worker 0 decides
 * the rows during which an allowance may bind for every shard (`serial`).
 */
import { workerData } from 'piscina';
import * as hdr from 'hdr-histogram-js';
import { WasmEngine } from '../engine/wasm.js';
import type { FinishResult, SlotRef, StepResult, WorkerInit, WorkerTask } from './protocol.js';

const init = workerData as WorkerInit;
const engine = new WasmEngine(init.config, {
  memory: init.memory,
  module: init.module,
  seed: init.seed,
  batchCapacity: 16,
});
const x = engine.exports;
x.enableLog();
engine.setOwnShard(init.shard);
const ctxSize = x.contextBytes();
const myContext = init.contexts + init.shard * ctxSize;
const LOG_PTR_AT = x.contextLogOffset();
const LOG_LEN_AT = LOG_PTR_AT + 4;
x.saveContext(myContext);
const histogram = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000_000,
  numberOfSignificantValueDigits: 3,
});
let currentSlot = -1;

function use(slot: SlotRef): void {
  if (slot.ptr !== currentSlot) {
    x.useBatch(slot.ptr, slot.capacity);
    x.setShard(slot.col, init.shard);
    currentSlot = slot.ptr;
  }
}

function result(rows: number, ns: number, bits = 0): StepResult {
  return { logPtr: x.logPtr(), logLen: x.logLen(), rows, ns, bits };
}

function record(rows: number, ns: number): void {
  if (rows > 0) histogram.recordValueWithCount(Math.max(1, Math.round(ns / rows)), rows);
}

/** Runs one task. */
export default function run(task: WorkerTask): StepResult | FinishResult {
  x.loadContext(myContext);
  try {
    return runTask(task);
  } finally {
    x.saveContext(myContext);
  }
}

function runTask(task: WorkerTask): StepResult | FinishResult {
  switch (task.kind) {
    case 'ready':
      return result(0, 0);
    case 'segment': {
      use(task.slot);
      x.resetLog();
      const t0 = process.hrtime.bigint();
      const rows = engine.processShard(task.slot, task.from, task.to, init.shard);
      const ns = Number(process.hrtime.bigint() - t0);
      record(rows, ns);
      return result(rows, ns);
    }
    case 'serial': {
      use(task.slot);
      // Every shard's log starts empty.
      const words = () => new Uint32Array(init.memory.buffer, init.contexts, (init.shards * ctxSize) / 4);
      for (let w = 0; w < init.shards; w++) words()[(w * ctxSize + LOG_LEN_AT) / 4] = 0;
      x.resetLog();
      const t0 = process.hrtime.bigint();
      const next = engine.processSerial(task.slot, task.from, task.to, init.shards, init.contexts, task.bFrom);
      const ns = Number(process.hrtime.bigint() - t0);
      record(task.to - task.from, ns);
      const w32 = words();
      const logs = Array.from({ length: init.shards }, (_, w) => ({
        ptr: w32[(w * ctxSize + LOG_PTR_AT) / 4]!,
        len: w32[(w * ctxSize + LOG_LEN_AT) / 4]!,
      }));
      return { ...result(task.to - task.from, ns), logs, nextBarrier: next };
    }
    case 'prepare': {
      use(task.slot);
      x.resetLog();
      engine.prepareRow(task.slot, task.row);
      return result(0, 0, task.answer ? x.relatedBits(task.row) : 0);
    }
    case 'decide': {
      use(task.slot);
      x.resetLog();
      const t0 = process.hrtime.bigint();
      x.processRowHint(task.row, task.bits);
      const ns = Number(process.hrtime.bigint() - t0);
      histogram.recordValue(Math.max(1, ns));
      return result(1, ns);
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
        latency: hdr.encodeIntoCompressedBase64(histogram),
        tableBytes: engine.tableStats().heapBytes,
      } satisfies FinishResult;
    }
  }
}
