/**
 * IP addresses and CIDR blocks as exact integers: IPv4 as a 32-bit and IPv6
 * as a 128-bit bigint, tagged with the family. Parsers are strict (no leading
 * zeros in IPv4 octets, no zone ids) and return null on bad input so callers
 * can name the field that is wrong.
 */

/** An IP address: family and integer value. */
export interface Addr {
  readonly v: 4 | 6;
  readonly n: bigint;
}

/** A CIDR block: family, network value (host bits zero) and prefix length. */
export interface Cidr {
  readonly v: 4 | 6;
  readonly n: bigint;
  readonly len: number;
}

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** Parses dotted-quad IPv4 to its 32-bit value, or null. */
export function parseIPv4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!OCTET.test(p)) return null;
    const o = Number(p);
    if (o > 255) return null;
    n = (n << 8n) | BigInt(o);
  }
  return n;
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/** Parses IPv6 text (RFC 4291 forms, incl. `::` and a trailing dotted quad) to its 128-bit value, or null. */
export function parseIPv6(s: string): bigint | null {
  if (s.length === 0 || s.includes('%')) return null;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  const toGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (i === fields.length - 1 && f.includes('.')) {
        const v4 = parseIPv4(f);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!HEXTET.test(f)) return null;
        out.push(parseInt(f, 16));
      }
    }
    return out;
  };
  let groups: number[];
  if (dbl === -1) {
    const g = toGroups(s);
    if (g === null || g.length !== 8) return null;
    groups = g;
  } else {
    const head = toGroups(s.slice(0, dbl));
    const tail = toGroups(s.slice(dbl + 2));
    if (head === null || tail === null) return null;
    // An embedded IPv4 may only be the last field overall.
    if (head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

/** Parses an IPv4 or IPv6 address, or null. */
export function parseAddr(s: string): Addr | null {
  if (typeof s !== 'string') return null;
  if (s.includes(':')) {
    const n = parseIPv6(s);
    return n === null ? null : { v: 6, n };
  }
  const n = parseIPv4(s);
  return n === null ? null : { v: 4, n };
}

/** Bits in an address of the family. */
export function familyBits(v: 4 | 6): number {
  return v === 4 ? 32 : 128;
}

/** Result of parsing a CIDR: the block, or why it is bad. */
export type CidrParse = { ok: true; cidr: Cidr } | { ok: false; problem: string };

/** Parses "a.b.c.d/len" or "x::/len"; host bits must be zero. A bare address is refused unless `allowBare`. */
export function parseCidr(s: string, allowBare = false): CidrParse {
  if (typeof s !== 'string') return { ok: false, problem: 'expected a CIDR string' };
  const slash = s.indexOf('/');
  if (slash === -1 && !allowBare) return { ok: false, problem: `"${s}" is not a CIDR block (missing /prefix length)` };
  const addrText = slash === -1 ? s : s.slice(0, slash);
  const a = parseAddr(addrText);
  if (a === null) return { ok: false, problem: `"${s}" is not a valid CIDR block (bad address "${addrText}")` };
  const bits = familyBits(a.v);
  let len = bits;
  if (slash !== -1) {
    const lt = s.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(lt) || Number(lt) > bits) {
      return { ok: false, problem: `"${s}" is not a valid CIDR block (prefix length must be 0…${bits})` };
    }
    len = Number(lt);
  }
  const hostMask = len === bits ? 0n : (1n << BigInt(bits - len)) - 1n;
  if ((a.n & hostMask) !== 0n) {
    return {
      ok: false,
      problem: `"${s}" has host bits set (did you mean ${formatAddr({ v: a.v, n: a.n & ~hostMask })}/${len}?)`,
    };
  }
  return { ok: true, cidr: { v: a.v, n: a.n, len } };
}

/** True when the address is inside the block (same family). */
export function cidrContains(c: Cidr, a: Addr): boolean {
  if (c.v !== a.v) return false;
  const shift = BigInt(familyBits(c.v) - c.len);
  return a.n >> shift === c.n >> shift;
}

/** Canonical text of an address (IPv6 compressed per RFC 5952). */
export function formatAddr(a: Addr): string {
  if (a.v === 4) {
    const n = Number(a.n);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((a.n >> BigInt(i * 16)) & 0xffffn));
  // Longest run of ≥ 2 zero groups, leftmost on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart === -1) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Canonical text of a CIDR block. */
export function formatCidr(c: Cidr): string {
  return `${formatAddr(c)}/${c.len}`;
}

/** A string key unique per address (family and value), for maps. */
export function addrKey(a: Addr): string {
  return `${a.v}:${a.n.toString(16)}`;
}
