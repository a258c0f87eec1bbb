/**
 * Virtual time (SPEC S14): integer nanoseconds as bigint. JSON seconds given
 * as a number are rounded once to the nearest nanosecond from the exact value
 * of the double; seconds given as a decimal string are read exactly.
 */

const NS_PER_S = 1_000_000_000n;

/** Converts exact decimal seconds ("1700000000.123456789") to ns, or null if malformed or not exact to the ns. */
export function decimalSecondsToNs(s: string): bigint | null {
  const m = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(s);
  if (!m) return null;
  const whole = BigInt(m[1]!);
  let frac = m[2] ?? '';
  // Digits beyond the ninth must be zeros: the string claims exactness.
  if (frac.length > 9) {
    if (!/^0*$/.test(frac.slice(9))) return null;
    frac = frac.slice(0, 9);
  }
  return whole * NS_PER_S + BigInt(frac.padEnd(9, '0') || '0');
}

/**
 * Rounds the exact value of a finite non-negative double (seconds) to the
 * nearest nanosecond, ties away from zero. Exact: the double is decomposed
 * into mantissa × 2^exponent and the product with 10^9 is formed in bigint,
 * so `1.001` gives 1001000000 and epoch-sized values lose nothing further.
 */
export function secondsToNs(x: number): bigint {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`not a non-negative finite number: ${x}`);
  if (x === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) {
    exp = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  // value = mant * 2^exp; ns = value * 1e9
  const scaled = mant * NS_PER_S;
  if (exp >= 0) return scaled << BigInt(exp);
  const shift = BigInt(-exp);
  const q = scaled >> shift;
  const rem = scaled - (q << shift);
  const half = 1n << (shift - 1n);
  return rem >= half ? q + 1n : q;
}

/** Reads a JSON time value (number of seconds, or decimal string of seconds) as ns; null if not a valid time. */
export function readTime(v: unknown): bigint | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? secondsToNs(v) : null;
  if (typeof v === 'string') return decimalSecondsToNs(v);
  return null;
}

/** Formats ns as decimal seconds with trailing zeros trimmed ("1.5", "3"). */
export function formatNs(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const whole = a / NS_PER_S;
  const frac = (a % NS_PER_S).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

/** ns as a floating-point number of seconds (for reports). */
export function nsToSeconds(ns: bigint): number {
  return Number(ns / NS_PER_S) + Number(ns % NS_PER_S) / 1e9;
}
