// First fragments seen per interface (S7): key (interface, source,
// destination, protocol, IP id) → (time, verdict). Records older than the
// interface's fragmentTimeout no longer match; they are dropped when the
// table is rebuilt, so memory follows the fragments of the last
// fragmentTimeout, not the trace length.
//
// Record, 48 bytes:
//   0 u64 src high, 8 u64 src low, 16 u64 dst high, 24 u64 dst low (IPv4: high 0, low = address)
//   32 u32 IP id, 36 u16 iface + 1 (0 = empty), 38 u8 proto, 39 u8 verdict
//   40 i64 time of the first fragment
//   48 u64 copy of the flow (capacity scaling)
import { alloc, release } from './alloc';
import { ifTimeout } from './config';
import { mix64 } from './hash';
import { T_FRAGMENT } from './layout';

const R: usize = 56;
/** When > 0, the timeout of every record (the coordinator's first-fragment → shard map uses the longest one). */
let timeoutOverride: i64 = 0;

export function setFragTimeoutOverride(ns: i64): void {
  timeoutOverride = ns;
}

// @ts-ignore: decorator
@inline function timeoutOf(iface: u32): i64 {
  return timeoutOverride > 0 ? timeoutOverride : ifTimeout(iface, T_FRAGMENT);
}
let tab: usize = 0;
let mask: u32 = 0;
let used: u32 = 0;

export function fragsInit(): void {
  tab = alloc(64 * R);
  mask = 63;
}

// @ts-ignore: decorator
@inline function hashOf(sh: u64, sl: u64, dh: u64, dl: u64, tail: u64): u32 {
  return <u32>(mix64(mix64(mix64(sh ^ sl) ^ dh) ^ mix64(dl ^ tail)) >> 32);
}

// @ts-ignore: decorator
@inline function tailOf(id: u32, iface: u32, proto: u32): u64 {
  return <u64>id | (<u64>(iface + 1) << 32) | (<u64>proto << 48);
}

/** The record's slot for this key, or the empty slot where it would go. */
function slot(sh: u64, sl: u64, dh: u64, dl: u64, tail: u64, copy: u64): usize {
  let i = hashOf(sh, sl, dh, dl, tail ^ (copy << 56)) & mask;
  while (true) {
    const p = tab + <usize>i * R;
    const t = load<u64>(p, 32) & 0x00ffffffffffffff;
    if ((t >> 32) == 0) return p; // empty
    if (t == tail && load<u64>(p) == sh && load<u64>(p, 8) == sl && load<u64>(p, 16) == dh && load<u64>(p, 24) == dl && load<u64>(p, 48) == copy) return p;
    i = (i + 1) & mask;
  }
}

/** Remembers the verdict of a first fragment at time t (a later first fragment with the same key replaces it). */
export function fragRecord(sh: u64, sl: u64, dh: u64, dl: u64, id: u32, iface: u32, proto: u32, copy: u32, verdict: u32, t: i64): void {
  if (used >= mask - mask / 4) rebuild(t);
  const tail = tailOf(id, iface, proto);
  const p = slot(sh, sl, dh, dl, tail, <u64>copy);
  if ((load<u64>(p, 32) & 0x0000ffff00000000) == 0) {
    used++;
    store<u64>(p, sh);
    store<u64>(p, sl, 8);
    store<u64>(p, dh, 16);
    store<u64>(p, dl, 24);
    store<u64>(p, <u64>copy, 48);
  }
  store<u64>(p, tail | (<u64>verdict << 56), 32);
  store<i64>(p, t, 40);
}

/** The verdict of the first fragment if seen less than fragmentTimeout before t, else 0. */
export function fragFind(sh: u64, sl: u64, dh: u64, dl: u64, id: u32, iface: u32, proto: u32, copy: u32, t: i64): u32 {
  const p = slot(sh, sl, dh, dl, tailOf(id, iface, proto), <u64>copy);
  const w = load<u64>(p, 32);
  if (((w >> 32) & 0xffff) == 0) return 0;
  if (t - load<i64>(p, 40) >= timeoutOf(iface)) return 0;
  return <u32>(w >> 56);
}

/** Drops records that can no longer match and resizes for the rest. */
function rebuild(t: i64): void {
  const old = tab;
  const oldCap = <usize>mask + 1;
  let live: u32 = 0;
  for (let j: usize = 0; j < oldCap; j++) {
    const q = old + j * R;
    const w = load<u64>(q, 32);
    const iface = <u32>((w >> 32) & 0xffff);
    if (iface != 0 && t - load<i64>(q, 40) < timeoutOf(iface - 1)) live++;
  }
  let cap: usize = 64;
  while (cap < <usize>live * 3) cap <<= 1;
  tab = alloc(cap * R);
  mask = <u32>cap - 1;
  used = 0;
  for (let j: usize = 0; j < oldCap; j++) {
    const q = old + j * R;
    const w = load<u64>(q, 32);
    const iface = <u32>((w >> 32) & 0xffff);
    if (iface == 0 || t - load<i64>(q, 40) >= timeoutOf(iface - 1)) continue;
    const p = slot(load<u64>(q), load<u64>(q, 8), load<u64>(q, 16), load<u64>(q, 24), w & 0x00ffffffffffffff, load<u64>(q, 48));
    memory.copy(p, q, R);
    used++;
  }
  release(old, oldCap * R);
}

// ---------------------------------------------------------------- context (sharded runs, see context.ts)

export function fragsSave(p: usize): void {
  store<u32>(p, <u32>tab);
  store<u32>(p, mask, 4);
  store<u32>(p, used, 8);
}

export function fragsLoad(p: usize): void {
  tab = <usize>load<u32>(p);
  mask = load<u32>(p, 4);
  used = load<u32>(p, 8);
}
