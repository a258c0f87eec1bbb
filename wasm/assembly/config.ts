// The compiled config blob (src/engine/compile.ts) and what is derived from
// it: interface records, the address → interface map (S4), counters.
import { alloc, release } from './alloc';
import {
  ADDR_WORDS,
  CTR_ALLOWANCE,
  HDR_ADDRS,
  HDR_ADDR_OFF,
  HDR_IFACES,
  HDR_IFACE_OFF,
  HDR_INSTANCES,
  HDR_INST_OFF,
  IF_INSTANCE,
  IF_TIMEOUTS,
  IF_WORDS,
  INST_CTR,
  INST_WORDS,
} from './layout';
import { mix64 } from './hash';

export let blob: usize = 0;
export let nInstances: i32 = 0;
export let nIfaces: i32 = 0;
/** Byte address of the first interface record. */
export let ifBase: usize = 0;
/** Global counters: i64 by verdict code (16). */
export let ctrGlobal: usize = 0;
/** Per-instance counters: INST_CTR i64 each. */
export let ctrInst: usize = 0;
/** Per interface: address of its instance's counters (u32). */
export let ifCounters: usize = 0;
/** Per-interface link-local bucket: units i64, last i64 (S20). */
export let buckets: usize = 0;

// Exact-address maps: IPv4 (addr u32, iface+1 u32) and IPv6 (4 words, iface+1, pad ×3).
let r4: usize = 0;
let r4mask: u32 = 0;
let r4shift: u32 = 16;
let r6: usize = 0;
let r6mask: u32 = 0;
// Address blocks shorter than a host address: pointers to blob address records.
let blocks: usize = 0;
let nBlocks: i32 = 0;

// @ts-ignore: decorator
@inline export function ifWord(ifi: u32, field: usize): i32 {
  return load<i32>(ifBase + ((<usize>ifi * IF_WORDS + field) << 2));
}

// @ts-ignore: decorator
@inline export function ifTimeout(ifi: u32, tix: u32): i64 {
  return load<i64>(ifBase + ((<usize>ifi * IF_WORDS + IF_TIMEOUTS) << 2) + (<usize>tix << 3));
}

// @ts-ignore: decorator
@inline export function ifInstance(ifi: u32): u32 {
  return <u32>ifWord(ifi, IF_INSTANCE);
}

// @ts-ignore: decorator
@inline export function instCtr(inst: u32, slot: usize): usize {
  return ctrInst + ((<usize>inst * INST_CTR + slot) << 3);
}

function pow2AtLeast(n: u32): u32 {
  let c: u32 = 16;
  while (c < n) c <<= 1;
  return c;
}

/**
 * Reads a blob. On the first load, allocates counters and buckets; later
 * loads (after rule-change events) keep them and only refresh the rules,
 * timeouts and allowances.
 */
export function loadBlob(ptr: usize): void {
  const first = blob == 0;
  blob = ptr;
  nInstances = load<i32>(ptr + (HDR_INSTANCES << 2));
  nIfaces = load<i32>(ptr + (HDR_IFACES << 2));
  ifBase = ptr + (<usize>load<i32>(ptr + (HDR_IFACE_OFF << 2)) << 2);
  if (first) {
    ctrGlobal = alloc(16 * 8);
    ctrInst = alloc(<usize>nInstances * INST_CTR * 8);
    buckets = alloc(<usize>nIfaces * 16);
    ifCounters = alloc(<usize>nIfaces * 4);
    for (let i = 0; i < nIfaces; i++) store<u32>(ifCounters + (<usize>i << 2), <u32>instCtr(ifInstance(<u32>i), 0));
    for (let i = 0; i < nIfaces; i++) {
      store<i64>(buckets + (<usize>i << 4), 1024 * 1_000_000_000);
      store<i64>(buckets + (<usize>i << 4), -1, 8);
    }
  }
  const instOff = ptr + (<usize>load<i32>(ptr + (HDR_INST_OFF << 2)) << 2);
  for (let i = 0; i < nInstances; i++) {
    store<i64>(instCtr(<u32>i, CTR_ALLOWANCE), load<i64>(instOff + ((<usize>i * INST_WORDS) << 2)));
  }
  buildRoutes(ptr);
}

function buildRoutes(ptr: usize): void {
  const n = load<i32>(ptr + (HDR_ADDRS << 2));
  const recs = ptr + (<usize>load<i32>(ptr + (HDR_ADDR_OFF << 2)) << 2);
  let n4: u32 = 0;
  let n6: u32 = 0;
  let nb: i32 = 0;
  for (let k = 0; k < n; k++) {
    const r = recs + ((<usize>k * ADDR_WORDS) << 2);
    const fam = load<u32>(r);
    const len = load<u32>(r, 4);
    if (fam == 4 && len == 32) n4++;
    else if (fam == 6 && len == 128) n6++;
    else nb++;
  }
  release(r4, (<usize>r4mask + 1) << 3);
  release(r6, (<usize>r6mask + 1) << 5);
  release(blocks, <usize>nBlocks << 2);
  const c4 = pow2AtLeast(n4 * 2);
  const c6 = pow2AtLeast(n6 * 2);
  r4 = alloc(<usize>c4 << 3);
  r4mask = c4 - 1;
  r4shift = 32 - <u32>ctz(c4);
  r6 = alloc(<usize>c6 << 5);
  r6mask = c6 - 1;
  const nbSlots: usize = nb > 0 ? <usize>nb : 1;
  blocks = alloc(nbSlots << 2);
  nBlocks = 0;
  for (let k = 0; k < n; k++) {
    const r = recs + ((<usize>k * ADDR_WORDS) << 2);
    const fam = load<u32>(r);
    const len = load<u32>(r, 4);
    const iface = load<u32>(r, 8);
    if (fam == 4 && len == 32) {
      const a = load<u32>(r, 16);
      let i = route4Hash(a);
      while (load<u32>(r4 + (<usize>i << 3), 4) != 0) i = (i + 1) & r4mask;
      store<u32>(r4 + (<usize>i << 3), a);
      store<u32>(r4 + (<usize>i << 3), iface + 1, 4);
    } else if (fam == 6 && len == 128) {
      const hi = (<u64>load<u32>(r, 16) << 32) | <u64>load<u32>(r, 20);
      const lo = (<u64>load<u32>(r, 24) << 32) | <u64>load<u32>(r, 28);
      let i = <u32>mix64(hi ^ mix64(lo)) & r6mask;
      while (load<u32>(r6 + (<usize>i << 5), 16) != 0) i = (i + 1) & r6mask;
      const p = r6 + (<usize>i << 5);
      store<u64>(p, hi);
      store<u64>(p, lo, 8);
      store<u32>(p, iface + 1, 16);
    } else {
      store<u32>(blocks + (<usize>nBlocks << 2), <u32>r);
      nBlocks++;
    }
  }
}

/** Prefix match of a blob CIDR (fam, len at r+4, words at r+16…) against an address. */
// @ts-ignore: decorator
@inline export function cidrMatch4(net: u32, len: u32, a: u32): bool {
  if (len == 0) return true;
  return ((net ^ a) >> (32 - len)) == 0;
}

export function cidrMatch6(w: usize, len: u32, a0: u32, a1: u32, a2: u32, a3: u32): bool {
  let remaining = len;
  for (let k: u32 = 0; k < 4; k++) {
    if (remaining == 0) return true;
    const net = load<u32>(w + (<usize>k << 2));
    const a = k == 0 ? a0 : k == 1 ? a1 : k == 2 ? a2 : a3;
    const bits = remaining >= 32 ? 32 : remaining;
    if (((net ^ a) >> (32 - bits)) != 0) return false;
    remaining -= bits;
  }
  return true;
}

/** S4: the interface holding an IPv4 address, or -1. */
// @ts-ignore: decorator
@inline function route4Hash(a: u32): u32 {
  return ((a * 0x9e3779b1) >> r4shift) & r4mask;
}

export function route4(a: u32): i32 {
  let i = route4Hash(a);
  while (true) {
    const p = r4 + (<usize>i << 3);
    const v = load<u32>(p, 4);
    if (v == 0) break;
    if (load<u32>(p) == a) return <i32>v - 1;
    i = (i + 1) & r4mask;
  }
  return nBlocks == 0 ? -1 : routeBlocks4(a);
}

function routeBlocks4(a: u32): i32 {
  for (let k = 0; k < nBlocks; k++) {
    const r = <usize>load<u32>(blocks + (<usize>k << 2));
    if (load<u32>(r) == 4 && cidrMatch4(load<u32>(r, 16), load<u32>(r, 4), a)) return load<i32>(r, 8);
  }
  return -1;
}

/** S4: the interface holding an IPv6 address, or -1. */
export function route6(a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  const hi = (<u64>a0 << 32) | <u64>a1;
  const lo = (<u64>a2 << 32) | <u64>a3;
  let i = <u32>mix64(hi ^ mix64(lo)) & r6mask;
  while (true) {
    const p = r6 + (<usize>i << 5);
    const v = load<u32>(p, 16);
    if (v == 0) break;
    if (load<u64>(p) == hi && load<u64>(p, 8) == lo) return <i32>v - 1;
    i = (i + 1) & r6mask;
  }
  for (let k = 0; k < nBlocks; k++) {
    const r = <usize>load<u32>(blocks + (<usize>k << 2));
    if (load<u32>(r) == 6 && cidrMatch6(r + 16, load<u32>(r, 4), a0, a1, a2, a3)) return load<i32>(r, 8);
  }
  return -1;
}

// ---------------------------------------------------------------- context (sharded runs, see context.ts)

/** Offset of ctrInst in a saved counter context (read without loading it). */
export const CTX_CTR_INST: usize = 4;

export function countersSave(p: usize): void {
  store<u32>(p, <u32>ctrGlobal);
  store<u32>(p, <u32>ctrInst, CTX_CTR_INST);
  store<u32>(p, <u32>ifCounters, 8);
  store<u32>(p, <u32>buckets, 12);
}

export function countersLoad(p: usize): void {
  ctrGlobal = <usize>load<u32>(p);
  ctrInst = <usize>load<u32>(p, CTX_CTR_INST);
  ifCounters = <usize>load<u32>(p, 8);
  buckets = <usize>load<u32>(p, 12);
}
