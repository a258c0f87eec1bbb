// The connection-tracking tables: open addressing, linear probing, power-of-
// two capacity, at most 80 % full, backward-shift deletion (no tombstones).
// One table for IPv4 flows, one for IPv6; the key holds the interface, so one
// table serves every interface of every instance (per-instance counts live in
// the counters). Keys are canonical per interface (local, remote), so both
// directions of a flow find one entry.
//
// IPv4 entry, 32 bytes:
//   0   u64  k0        local address | remote address << 32
//   8   u64  k1        lport | rport << 16 | proto << 32 | copy << 40 | (iface + 1) << 48   (0 = empty slot)
//   16  i64  lastSeen  ns of the last allowed packet (S14)
//   24  u8   tix       timeout index: the TCP state, or UDP / UDP stream / ICMP / other (layout.ts T_*)
//   25  u8   bits      TCP: SYN side and FIN sides; UDP: transactions, initiating and last direction
//   26  u16  (spare)
//   28  u32  node      its timer node (timers.ts)
// IPv6 entry, 56 bytes:
//   0   u64  local high, 8 u64 local low, 16 u64 remote high, 24 u64 remote low
//   32  u64  k1        as IPv4
//   40  i64  lastSeen
//   48  u8   tix, 49 u8 bits, 50 u16 (spare), 52 u32 node
// For ICMP, lport/rport carry (0x100 | query kind, identifier) for queries and
// (type, code) for other messages (S5).
import { alloc, release } from './alloc';
import { ifTimeout } from './config';
import { keyHash4, keyHash6 } from './hash';
import { nodeSetEntry } from './timers';

export const E4: usize = 32;
export const E6: usize = 56;
/** Entry reference: index, with REF_V6 set for the IPv6 table. */
export const REF_V6: u32 = 0x80000000;

export let t4: usize = 0;
export let m4: u32 = 0;
export let n4: u32 = 0;
let lim4: u32 = 0;
/** First empty slot of the last failed find4. */
export let pos4: u32 = 0;

export let t6: usize = 0;
export let m6: u32 = 0;
export let n6: u32 = 0;
let lim6: u32 = 0;
export let pos6: u32 = 0;

const INITIAL: u32 = 1024;

export function flowsInit(): void {
  t4 = alloc(<usize>INITIAL * E4);
  m4 = INITIAL - 1;
  lim4 = INITIAL - INITIAL / 5;
  t6 = alloc(<usize>INITIAL * E6);
  m6 = INITIAL - 1;
  lim6 = INITIAL - INITIAL / 5;
}

// ---------------------------------------------------------------- IPv4

/** The entry with this key, or 0; on a miss pos4 is the first empty slot. */
export function find4(k0: u64, k1: u64, h: u32): usize {
  let i = h & m4;
  while (true) {
    const p = t4 + (<usize>i << 5);
    const e1 = load<u64>(p, 8);
    if (e1 == 0) {
      pos4 = i;
      return 0;
    }
    if (e1 == k1 && load<u64>(p) == k0) return p;
    i = (i + 1) & m4;
  }
}

/** Inserts a key known to be absent (find4 just missed); returns the zeroed entry with its key set. */
export function insert4(k0: u64, k1: u64, h: u32): usize {
  if (n4 >= lim4) {
    grow4();
    find4(k0, k1, h);
  }
  const p = t4 + (<usize>pos4 << 5);
  store<u64>(p, k0);
  store<u64>(p, k1, 8);
  n4++;
  return p;
}

function grow4(): void {
  const old = t4;
  const oldCap = <usize>m4 + 1;
  const cap = oldCap << 1;
  t4 = alloc(cap * E4);
  m4 = <u32>cap - 1;
  lim4 = <u32>(cap - cap / 5);
  for (let j: usize = 0; j < oldCap; j++) {
    const q = old + (j << 5);
    const k1 = load<u64>(q, 8);
    if (k1 == 0) continue;
    const k0 = load<u64>(q);
    let i = keyHash4(k0, k1) & m4;
    while (load<u64>(t4 + (<usize>i << 5), 8) != 0) i = (i + 1) & m4;
    const p = t4 + (<usize>i << 5);
    memory.copy(p, q, E4);
    nodeSetEntry(load<u32>(p, 28), i);
  }
  release(old, oldCap * E4);
}

/** Removes an entry, shifting later members of its cluster back (keeps probes short, no tombstones). */
export function delete4(p: usize): void {
  let i = <u32>((p - t4) >> 5);
  let j = i;
  while (true) {
    j = (j + 1) & m4;
    const q = t4 + (<usize>j << 5);
    const k1 = load<u64>(q, 8);
    if (k1 == 0) break;
    const home = keyHash4(load<u64>(q), k1) & m4;
    // Move q into the hole at i unless its home lies cyclically in (i, j].
    const stays = i <= j ? home > i && home <= j : home > i || home <= j;
    if (!stays) {
      const hole = t4 + (<usize>i << 5);
      memory.copy(hole, q, E4);
      nodeSetEntry(load<u32>(hole, 28), i);
      i = j;
    }
  }
  memory.fill(t4 + (<usize>i << 5), 0, E4);
  n4--;
}

// ---------------------------------------------------------------- IPv6

export function find6(a: u64, b: u64, c: u64, d: u64, k1: u64, h: u32): usize {
  let i = h & m6;
  while (true) {
    const p = t6 + <usize>i * E6;
    const e1 = load<u64>(p, 32);
    if (e1 == 0) {
      pos6 = i;
      return 0;
    }
    if (e1 == k1 && load<u64>(p) == a && load<u64>(p, 8) == b && load<u64>(p, 16) == c && load<u64>(p, 24) == d) return p;
    i = (i + 1) & m6;
  }
}

export function insert6(a: u64, b: u64, c: u64, d: u64, k1: u64, h: u32): usize {
  if (n6 >= lim6) {
    grow6();
    find6(a, b, c, d, k1, h);
  }
  const p = t6 + <usize>pos6 * E6;
  store<u64>(p, a);
  store<u64>(p, b, 8);
  store<u64>(p, c, 16);
  store<u64>(p, d, 24);
  store<u64>(p, k1, 32);
  n6++;
  return p;
}

// @ts-ignore: decorator
@inline function home6(q: usize): u32 {
  return keyHash6(load<u64>(q), load<u64>(q, 8), load<u64>(q, 16), load<u64>(q, 24), load<u64>(q, 32));
}

function grow6(): void {
  const old = t6;
  const oldCap = <usize>m6 + 1;
  const cap = oldCap << 1;
  t6 = alloc(cap * E6);
  m6 = <u32>cap - 1;
  lim6 = <u32>(cap - cap / 5);
  for (let j: usize = 0; j < oldCap; j++) {
    const q = old + j * E6;
    if (load<u64>(q, 32) == 0) continue;
    let i = home6(q) & m6;
    while (load<u64>(t6 + <usize>i * E6, 32) != 0) i = (i + 1) & m6;
    const p = t6 + <usize>i * E6;
    memory.copy(p, q, E6);
    nodeSetEntry(load<u32>(p, 52), i | REF_V6);
  }
  release(old, oldCap * E6);
}

export function delete6(p: usize): void {
  let i = <u32>((p - t6) / E6);
  let j = i;
  while (true) {
    j = (j + 1) & m6;
    const q = t6 + <usize>j * E6;
    if (load<u64>(q, 32) == 0) break;
    const home = home6(q) & m6;
    const stays = i <= j ? home > i && home <= j : home > i || home <= j;
    if (!stays) {
      const hole = t6 + <usize>i * E6;
      memory.copy(hole, q, E6);
      nodeSetEntry(load<u32>(hole, 52), i | REF_V6);
      i = j;
    }
  }
  memory.fill(t6 + <usize>i * E6, 0, E6);
  n6--;
}

// ---------------------------------------------------------------- by reference

/** Pointer of an entry reference. */
// @ts-ignore: decorator
@inline export function entryPtr(ref: u32): usize {
  return ref & REF_V6 ? t6 + <usize>(ref & ~REF_V6) * E6 : t4 + (<usize>ref << 5);
}

/** Offset of the common tail (lastSeen, tix, bits, node) in an entry of either table. */
// @ts-ignore: decorator
@inline export function tailOf(ref: u32): usize {
  return ref & REF_V6 ? 40 : 16;
}

/** S14: the time from which the entry is gone: lastSeen + the timeout of its state on its interface. */
export function deadlineOf(ref: u32): i64 {
  const p = entryPtr(ref);
  const tail = p + tailOf(ref);
  const k1 = load<u64>(tail - 8);
  const iface = <u32>(k1 >> 48) - 1;
  return load<i64>(tail) + ifTimeout(iface, load<u8>(tail, 8));
}

/** The interface of an entry. */
export function ifaceOf(ref: u32): u32 {
  return <u32>(load<u64>(entryPtr(ref) + tailOf(ref) - 8) >> 48) - 1;
}

/** Removes an entry by reference. */
export function deleteRef(ref: u32): void {
  if (ref & REF_V6) delete6(entryPtr(ref));
  else delete4(entryPtr(ref));
}

/** Reference of an entry pointer. */
export function refOf4(p: usize): u32 {
  return <u32>((p - t4) >> 5);
}

export function refOf6(p: usize): u32 {
  return <u32>((p - t6) / E6) | REF_V6;
}

// ---------------------------------------------------------------- context (sharded runs, see context.ts)

export function flowsSave(p: usize): void {
  store<u32>(p, <u32>t4);
  store<u32>(p, m4, 4);
  store<u32>(p, n4, 8);
  store<u32>(p, lim4, 12);
  store<u32>(p, <u32>t6, 16);
  store<u32>(p, m6, 20);
  store<u32>(p, n6, 24);
  store<u32>(p, lim6, 28);
}

export function flowsLoad(p: usize): void {
  t4 = <usize>load<u32>(p);
  m4 = load<u32>(p, 4);
  n4 = load<u32>(p, 8);
  lim4 = load<u32>(p, 12);
  t6 = <usize>load<u32>(p, 16);
  m6 = load<u32>(p, 20);
  n6 = load<u32>(p, 24);
  lim6 = load<u32>(p, 28);
}
