// Reclaiming expired entries: a timer wheel for the far future and a binary
// heap for the current slot, so every entry gone at time t (S14: t − lastSeen
// ≥ timeout) is removed before a packet at t is processed, and per-instance
// alive counts are exact at every packet (S17).
//
// Refreshing an entry never touches a timer: a node stays armed at an old,
// earlier deadline and is re-armed lazily when it fires. Only a change that
// brings a deadline *earlier* (a TCP state with a shorter timeout, new
// timeouts) arms a fresh node and kills the old one.
//
// Node, 8 bytes: entry reference u32 (NONE = dead), next u32 (wheel list / free list).
// Wheel: WHEEL slots of SLOT_NS ns; slot s holds nodes armed in it (any revolution).
// Heap element, 16 bytes: deadline i64, node u32, pad u32 — nodes armed in the current slot.
import { alloc, release } from './alloc';
import { CTR_ALIVE } from './layout';
import { instCtr, ifInstance } from './config';
import { deadlineOf, deleteRef, ifaceOf } from './flows';
import { LOG_EXPIRE, logRecord } from './log';

const SLOT_BITS: i64 = 30; // 1.07 s
const SLOT_NS: i64 = 1 << SLOT_BITS;
const WHEEL: u32 = 4096; // 73 min per revolution
export const NONE: u32 = 0xffffffff;

let nodes: usize = 0;
let nodeCap: u32 = 0;
let nodeFree: u32 = 0; // head of the free list (0 = empty; node 0 is never used)
let nodeHigh: u32 = 1; // nodes [1, nodeHigh) have been handed out
export let nodesLive: u32 = 0;

let wheel: usize = 0;
/** Start of the current slot; i64.MIN_VALUE until the first time is seen. */
export let wheelTime: i64 = i64.MIN_VALUE;
let heap: usize = 0;
let heapLen: u32 = 0;
let heapCap: u32 = 0;
/** Earliest time at which reclaim() has work: a heap deadline or the next slot. */
export let nextDue: i64 = i64.MIN_VALUE;

export function timersInit(): void {
  nodeCap = 1024;
  nodes = alloc(<usize>nodeCap << 3);
  wheel = alloc(<usize>WHEEL << 2);
  heapCap = 256;
  heap = alloc(<usize>heapCap << 4);
}

// ---------------------------------------------------------------- nodes

function nodeAlloc(): u32 {
  let n = nodeFree;
  if (n != 0) {
    nodeFree = load<u32>(nodes + (<usize>n << 3), 4);
  } else {
    if (nodeHigh == nodeCap) {
      const bigger = alloc(<usize>nodeCap << 4);
      memory.copy(bigger, nodes, <usize>nodeCap << 3);
      release(nodes, <usize>nodeCap << 3);
      nodes = bigger;
      nodeCap <<= 1;
    }
    n = nodeHigh++;
  }
  nodesLive++;
  return n;
}

function nodeFreeOne(n: u32): void {
  store<u32>(nodes + (<usize>n << 3), NONE);
  store<u32>(nodes + (<usize>n << 3), nodeFree, 4);
  nodeFree = n;
  nodesLive--;
}

/** Points a node at its entry's new index (the entry moved). */
export function nodeSetEntry(n: u32, ref: u32): void {
  store<u32>(nodes + (<usize>n << 3), ref);
}

// ---------------------------------------------------------------- heap

function heapPush(d: i64, n: u32): void {
  if (heapLen == heapCap) {
    const bigger = alloc(<usize>heapCap << 5);
    memory.copy(bigger, heap, <usize>heapCap << 4);
    release(heap, <usize>heapCap << 4);
    heap = bigger;
    heapCap <<= 1;
  }
  let i = heapLen++;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pd = load<i64>(heap + (<usize>parent << 4));
    if (pd <= d) break;
    store<i64>(heap + (<usize>i << 4), pd);
    store<u32>(heap + (<usize>i << 4), load<u32>(heap + (<usize>parent << 4), 8), 8);
    i = parent;
  }
  store<i64>(heap + (<usize>i << 4), d);
  store<u32>(heap + (<usize>i << 4), n, 8);
  if (d < nextDue) nextDue = d;
}

/** Removes the top of the heap; returns its node. */
function heapPop(): u32 {
  const top = load<u32>(heap, 8);
  heapLen--;
  if (heapLen > 0) {
    const ld = load<i64>(heap + (<usize>heapLen << 4));
    const ln = load<u32>(heap + (<usize>heapLen << 4), 8);
    let i: u32 = 0;
    while (true) {
      const l: u32 = (i << 1) + 1;
      if (l >= heapLen) break;
      const r: u32 = l + 1;
      let c = l;
      if (r < heapLen && load<i64>(heap + (<usize>r << 4)) < load<i64>(heap + (<usize>l << 4))) c = r;
      const cd = load<i64>(heap + (<usize>c << 4));
      if (cd >= ld) break;
      store<i64>(heap + (<usize>i << 4), cd);
      store<u32>(heap + (<usize>i << 4), load<u32>(heap + (<usize>c << 4), 8), 8);
      i = c;
    }
    store<i64>(heap + (<usize>i << 4), ld);
    store<u32>(heap + (<usize>i << 4), ln, 8);
  }
  return top;
}

// ---------------------------------------------------------------- arming

/** Arms node n at deadline d: into the heap if d falls in the current slot, else into the wheel. */
function arm(n: u32, d: i64): void {
  if (d < wheelTime + SLOT_NS) {
    heapPush(d, n);
  } else {
    const s = <usize>(<u32>(d >> SLOT_BITS) & (WHEEL - 1));
    store<u32>(nodes + (<usize>n << 3), load<u32>(wheel + (s << 2)), 4);
    store<u32>(wheel + (s << 2), n);
  }
}

function updateNextDue(): void {
  const slotEnd = wheelTime + SLOT_NS;
  nextDue = heapLen > 0 && load<i64>(heap) < slotEnd ? load<i64>(heap) : slotEnd;
}

/** First use: starts the wheel at the slot of time t. */
export function timersStart(t: i64): void {
  if (wheelTime == i64.MIN_VALUE) {
    wheelTime = t & ~(SLOT_NS - 1);
    updateNextDue();
  }
}

/** A new timer for entry `ref` due at d; returns its node. */
export function timerNew(ref: u32, d: i64): u32 {
  const n = nodeAlloc();
  store<u32>(nodes + (<usize>n << 3), ref);
  arm(n, d);
  return n;
}

/** The entry's deadline moved earlier: kill its node and arm a new one at d. Returns the new node. */
export function timerEarlier(oldNode: u32, ref: u32, d: i64): u32 {
  store<u32>(nodes + (<usize>oldNode << 3), NONE);
  return timerNew(ref, d);
}

// ---------------------------------------------------------------- reclaiming

/** A fired node at time t: free it if dead, delete its entry if gone, else re-arm at the real deadline. */
function fire(n: u32, t: i64): void {
  const ref = load<u32>(nodes + (<usize>n << 3));
  if (ref == NONE) {
    nodeFreeOne(n);
    return;
  }
  const d = deadlineOf(ref);
  if (d <= t) {
    const inst = ifInstance(ifaceOf(ref));
    deleteRef(ref);
    const c = instCtr(inst, CTR_ALIVE);
    store<i64>(c, load<i64>(c) - 1);
    logRecord(inst, LOG_EXPIRE);
    nodeFreeOne(n);
  } else {
    arm(n, d);
  }
}

function drainSlot(s: usize, t: i64): void {
  let n = load<u32>(wheel + (s << 2));
  store<u32>(wheel + (s << 2), 0);
  while (n != 0) {
    const next = load<u32>(nodes + (<usize>n << 3), 4);
    fire(n, t);
    n = next;
  }
}

/** Removes every entry gone at time t (deadline ≤ t). Called when t ≥ nextDue. */
export function reclaim(t: i64): void {
  if (t >= wheelTime + SLOT_NS * <i64>WHEEL) {
    // A jump of more than a revolution: look at every node once, then restart the wheel at t.
    wheelTime = t & ~(SLOT_NS - 1);
    for (let s: usize = 0; s < <usize>WHEEL; s++) drainSlot(s, t);
  }
  while (true) {
    if (heapLen > 0 && load<i64>(heap) <= t) {
      fire(heapPop(), t);
    } else if (t >= wheelTime + SLOT_NS) {
      wheelTime += SLOT_NS;
      drainSlot(<usize>(<u32>(wheelTime >> SLOT_BITS) & (WHEEL - 1)), t);
    } else {
      break;
    }
  }
  updateNextDue();
}

/** Nodes that exist (live or dead) and heap size, for statistics. */
export function timerStats(): u64 {
  return (<u64>nodeHigh << 32) | <u64>heapLen;
}

// ---------------------------------------------------------------- context (sharded runs, see context.ts)

/** Offset of nextDue in a saved timer context (read without loading it). */
export const CTX_NEXT_DUE: usize = 48;

export function timersSave(p: usize): void {
  store<u32>(p, <u32>nodes);
  store<u32>(p, nodeCap, 4);
  store<u32>(p, nodeFree, 8);
  store<u32>(p, nodeHigh, 12);
  store<u32>(p, nodesLive, 16);
  store<u32>(p, <u32>wheel, 20);
  store<u32>(p, <u32>heap, 24);
  store<u32>(p, heapLen, 28);
  store<u32>(p, heapCap, 32);
  store<i64>(p, wheelTime, 40);
  store<i64>(p, nextDue, CTX_NEXT_DUE);
}

export function timersLoad(p: usize): void {
  nodes = <usize>load<u32>(p);
  nodeCap = load<u32>(p, 4);
  nodeFree = load<u32>(p, 8);
  nodeHigh = load<u32>(p, 12);
  nodesLive = load<u32>(p, 16);
  wheel = <usize>load<u32>(p, 20);
  heap = <usize>load<u32>(p, 24);
  heapLen = load<u32>(p, 28);
  heapCap = load<u32>(p, 32);
  wheelTime = load<i64>(p, 40);
  nextDue = load<i64>(p, CTX_NEXT_DUE);
}
