// Hashing for the flow, route and fragment tables. The seed is chosen per run
// by the host: verdicts never depend on it, only the table layout does, so a
// trace crafted against one layout cannot degrade every run.

export let seed: u64 = 0x9e3779b97f4a7c15;

export function setSeed(s: u64): void {
  seed = s | 1;
}

/** A strong 64-bit finaliser (from splitmix64). */
// @ts-ignore: decorator
@inline export function mix64(x: u64): u64 {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  x ^= x >> 31;
  return x;
}

/**
 * Flow hashes are symmetric: both orientations of a flow (and so the egress
 * and ingress keys of one packet) hash alike, which lets the interleaved
 * stage hash a packet before knowing which interface it belongs to. Each
 * side is (address, port) for TCP/UDP and (address, 0) otherwise; `extra`
 * carries the protocol and, for ICMP, the (kind, id) or (type, code) word.
 */
// @ts-ignore: decorator
@inline export function symHash4(x: u64, y: u64, extra: u64): u32 {
  const lo = select<u64>(x, y, x < y);
  const hi = select<u64>(y, x, x < y);
  let h = (lo ^ seed) * 0x9e3779b97f4a7c15;
  h ^= (hi + (h >> 29)) * 0xc2b2ae3d27d4eb4f;
  h ^= (extra + (h >> 31)) * 0x165667b19e3779f9;
  h ^= h >> 32;
  return <u32>h;
}

/** IPv6: sides (address high, address low, port). */
// @ts-ignore: decorator
@inline export function symHash6(ah: u64, al: u64, pa: u64, bh: u64, bl: u64, pb: u64, extra: u64): u32 {
  const aFirst = ah < bh || (ah == bh && (al < bl || (al == bl && pa <= pb)));
  let h = mix64(select<u64>(ah, bh, aFirst) ^ seed);
  h = mix64(h ^ select<u64>(al, bl, aFirst));
  h = mix64(h ^ (select<u64>(pa, pb, aFirst) | (select<u64>(pb, pa, aFirst) << 16)) ^ mix64(extra));
  h = mix64(h ^ select<u64>(bh, ah, aFirst));
  return <u32>(mix64(h ^ select<u64>(bl, al, aFirst)) >> 32);
}

/** Side word and extra of a stored key's ports word: TCP/UDP ports go with their side; others go to extra. */
// @ts-ignore: decorator
@inline export function hasSidePorts(proto: u32): bool {
  return proto == 6 || proto == 17;
}

/** Where a key's copy number (capacity scaling) sits: in k1, and in a hash's extra word. */
export const COPY_SHIFT: u64 = 40;

/** The copy number of a stored key. */
// @ts-ignore: decorator
@inline export function copyOf(k1: u64): u64 {
  return (k1 >> COPY_SHIFT) & 0xff;
}

/** Hash of a stored IPv4 key (k0 = local | remote << 32; k1 = ports | proto << 32 | copy << 40 | iface << 48). */
// @ts-ignore: decorator
@inline export function keyHash4(k0: u64, k1: u64): u32 {
  const proto = <u32>(k1 >> 32) & 0xff;
  const local = k0 & 0xffffffff;
  const remote = k0 >> 32;
  const c = copyOf(k1) << COPY_SHIFT;
  if (hasSidePorts(proto)) return symHash4((local << 16) | (k1 & 0xffff), (remote << 16) | ((k1 >> 16) & 0xffff), <u64>proto ^ c);
  return symHash4(local << 16, remote << 16, (<u64>proto | ((k1 & 0xffffffff) << 8)) ^ c);
}

/** Hash of a stored IPv6 key (local a,b; remote c,d; k1 as IPv4). */
// @ts-ignore: decorator
@inline export function keyHash6(a: u64, b: u64, c: u64, d: u64, k1: u64): u32 {
  const proto = <u32>(k1 >> 32) & 0xff;
  const x = copyOf(k1) << COPY_SHIFT;
  if (hasSidePorts(proto)) return symHash6(a, b, k1 & 0xffff, c, d, (k1 >> 16) & 0xffff, <u64>proto ^ x);
  return symHash6(a, b, 0, c, d, 0, (<u64>proto | ((k1 & 0xffffffff) << 8)) ^ x);
}
