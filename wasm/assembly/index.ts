// Exports of the conntrack engine module. The host (src/engine/wasm.ts) is
// the only code that calls these; one call processes a whole batch.
import { alloc, allocInit, errorCode as allocError, heapTop, release } from './alloc';
import { ctrGlobal, ctrInst, loadBlob as loadConfigBlob } from './config';
import { flowsInit, m4, m6, n4, n6 } from './flows';
import { fragsInit } from './frags';
import { setSeed } from './hash';
import { B_KIND, B_LEN, B_TS, BATCH_BYTES_PER_PACKET, BLOB_MAGIC, BLOB_VERSION, KIND_MALFORMED } from './layout';
import { CTX_BYTES, ctxLoad, ctxSave, LOG as CTX_LOG } from './context';
import { lastOwnRows, assignShards as assign, rowInstances as instancesOf, processSerial as serial, processRowHint as processHint, processRows, rearmEntries, relatedBits as related, setBatch, setScratch, setShard as shard } from './engine';
import { setFragTimeoutOverride } from './frags';
import { logClear, logEnable, logLength, logPointer, setCurRow } from './log';
import { nextDue, reclaim, timersInit, timersStart, timerStats, nodesLive } from './timers';

let batchPtr: usize = 0;
let batchCap: usize = 0;

/** Sets up the allocator and empty tables; `seedLo/Hi` seed the hash (layout only, never verdicts). */
export function init(seedLo: u32, seedHi: u32): void {
  allocInit();
  setSeed((<u64>seedHi << 32) | <u64>seedLo);
  flowsInit();
  timersInit();
  fragsInit();
  setScratch(alloc(64 * 4));
}

/** Allocates the packet batch of `capacity` rows (layout of src/trace/batch.ts); returns its address. */
export function allocBatch(capacity: usize): usize {
  release(batchPtr, batchCap * BATCH_BYTES_PER_PACKET);
  batchPtr = alloc(capacity * BATCH_BYTES_PER_PACKET);
  batchCap = capacity;
  setBatch(batchPtr, batchCap);
  return batchPtr;
}

/** Allocates room for a config blob of `words` 32-bit words. */
export function allocBlob(words: usize): usize {
  return alloc(words << 2);
}

/** Loads (or, after an event, reloads) a config blob. Returns 0, or 1 if the blob is of another format. */
export function loadBlob(ptr: usize): i32 {
  if (load<u32>(ptr) != BLOB_MAGIC || load<u32>(ptr, 4) != BLOB_VERSION) return 1;
  loadConfigBlob(ptr);
  return 0;
}

export function freeBlob(ptr: usize, words: usize): void {
  release(ptr, words << 2);
}

// ---- the S21 clock, applied to a batch in place (ts becomes the virtual time)
let clkNow: i64 = -1;
let clkFirst: i64 = -1;
let clkReordered: i64 = 0;
let clkPackets: i64 = 0;
let clkBytes: i64 = 0;

/** S21 over rows [0, n): counts, and rewrites each readable ts to the virtual time. Unreadable ts (−1) stay −1 before any time. */
export function clock(n: usize): void {
  const c = batchCap;
  const b = batchPtr;
  let now = clkNow;
  let reordered = clkReordered;
  let bytes = clkBytes;
  for (let i: usize = 0; i < n; i++) {
    const p = b + B_TS(c) + (i << 3);
    const ts = load<i64>(p);
    bytes += <i64>load<u32>(b + B_LEN(c) + (i << 2));
    if (ts >= 0) {
      if (now < 0) {
        clkFirst = ts;
        now = ts;
      } else if (ts > now) {
        now = ts;
      } else if (ts < now) {
        reordered++;
      }
    }
    store<i64>(p, now);
  }
  clkNow = now;
  clkReordered = reordered;
  clkBytes = bytes;
  clkPackets += <i64>n;
}

export function clockNow(): i64 { return clkNow; }
export function clockFirst(): i64 { return clkFirst; }
export function clockReordered(): i64 { return clkReordered; }
export function clockPackets(): i64 { return clkPackets; }
export function clockBytes(): i64 { return clkBytes; }

/**
 * One call per batch: applies the S21 clock to rows [0, n), then processes
 * them up to the first row whose virtual time reaches `stopAt` (the next
 * rule-change event; i64.MAX_VALUE when none). Returns the number of rows
 * processed; the host applies the event and calls process() for the rest.
 */
export function step(n: usize, stopAt: i64): usize {
  clock(n);
  let k: usize = n;
  if (stopAt != i64.MAX_VALUE && clkNow >= stopAt) {
    const c = batchCap;
    k = 0;
    while (k < n && load<i64>(batchPtr + B_TS(c) + (k << 3)) < stopAt) k++;
  }
  processRows(0, k);
  return k;
}

/** Processes rows [from, to) of the batch (virtual times already applied). */
export function process(from: usize, to: usize): void {
  processRows(from, to);
}

/** Sharded runs: rows of this shard in the last process(). */
export function ownRows(): u32 {
  return lastOwnRows;
}

/** Removes every entry gone at time t (before an event at t, and at the end of the trace). */
export function advance(t: i64): void {
  timersStart(t);
  if (t >= nextDue) reclaim(t);
}

/** After timeouts changed: re-arm every entry at its deadline under the new timeouts. */
export function rearm(): void {
  rearmEntries();
}

export function countersGlobal(): usize { return ctrGlobal; }
export function countersInstances(): usize { return ctrInst; }
export function error(): i32 { return allocError; }

/** Table statistics: entries and capacity of each table, timer nodes, heap. */
export function entries4(): u32 { return n4; }
export function capacity4(): u32 { return m4 + 1; }
export function entries6(): u32 { return n6; }
export function capacity6(): u32 { return m6 + 1; }
export function timerNodes(): u32 { return nodesLive; }
export function timerInfo(): u64 { return timerStats(); }
export function memoryUsed(): usize { return heapTop(); }

/** For the layout test: the byte offset of batch field k for capacity c. */
export { batchOffset, layoutConstant } from './layoutexport';

// ---- sharded runs (src/parallel): several instances on one shared memory

/** Points the engine at a batch that lives elsewhere in the shared memory (a coordinator's slot). */
export function useBatch(ptr: usize, capacity: usize): void {
  batchPtr = ptr;
  batchCap = capacity;
  setBatch(ptr, capacity);
}

/** Processes only the rows whose shard (byte in `col`) is `me`; col 0 turns filtering off. */
export function setShard(col: usize, me: u32, hashes: usize): void {
  shard(col, me, hashes);
}

/** Expires what is gone at time t, logging expiries at batch row `row`. */
export function advanceAt(t: i64, row: u32): void {
  setCurRow(row);
  timersStart(t);
  if (t >= nextDue) reclaim(t);
}

export function enableLog(): void {
  logEnable();
}
export function logPtr(): usize {
  return logPointer();
}
export function logLen(): u32 {
  return logLength();
}
export function resetLog(): void {
  logClear();
}

export function relatedBits(row: usize): u32 {
  return related(row);
}
export function processRowHint(row: usize, bits: u32): void {
  processHint(row, bits);
}

/** The coordinator: shard of each row (see engine.ts assignShards); `fragTimeoutNs` the longest fragment timeout. */
export function assignShards(n: usize, nShards: u32, col: usize, barriers: usize, hashes: usize, cut: u32, fragTimeoutNs: i64): u32 {
  setFragTimeoutOverride(fragTimeoutNs);
  return assign(n, nShards, col, barriers, hashes, cut);
}

/** The coordinator, when an allowance may bind: the instances of rows [from, to) (engine.ts rowInstances). */
export function rowInstances(from: usize, to: usize, insts: usize): void {
  instancesOf(from, to, insts);
}

/** Saves this instance's shard state at p (CTX_BYTES bytes), or loads it from there. */
export function saveContext(p: usize): void {
  ctxSave(p);
}
export function loadContext(p: usize): void {
  ctxLoad(p);
}
export function contextBytes(): usize {
  return CTX_BYTES;
}
/** Where a saved context keeps its log: pointer u32, then length u32. */
export function contextLogOffset(): usize {
  return CTX_LOG;
}

/** Decides rows [from, to) of every shard in trace order on this instance (engine.ts processSerial). */
export function processSerial(from: usize, to: usize, nShards: u32, ctxBase: usize, barriers: usize, bFrom: u32): u32 {
  return serial(from, to, nShards, ctxBase, barriers, bFrom);
}
