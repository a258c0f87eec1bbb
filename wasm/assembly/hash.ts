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

/** Hash of an IPv4 flow key (two words). */
// @ts-ignore: decorator
@inline export function hash4(k0: u64, k1: u64): u32 {
  let h = (k0 ^ seed) * 0x9e3779b97f4a7c15;
  h ^= (k1 + (h >> 29)) * 0xc2b2ae3d27d4eb4f;
  h ^= h >> 32;
  h *= 0x165667b19e3779f9;
  return <u32>(h >> 32);
}

/** Hash of an IPv6 flow key (five words). */
// @ts-ignore: decorator
@inline export function hash6(a: u64, b: u64, c: u64, d: u64, k1: u64): u32 {
  let h = mix64(a ^ seed);
  h = mix64(h ^ b);
  h = mix64(h ^ c);
  h = mix64(h ^ d);
  return <u32>(mix64(h ^ k1) >> 32);
}
