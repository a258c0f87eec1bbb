/**
 * IP protocol numbers and the names configs and scenarios may use for them.
 */

/** Protocol numbers the model treats specially. */
export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

const NAMES: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  ipip: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  ospf: 89,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
};

/** Reads a protocol given as a name (tcp, udp, icmp, icmpv6, gre, …) or a number 0…255 (or decimal string); null if unknown. */
export function readProtocol(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 255 ? v : null;
  if (typeof v !== 'string') return null;
  if (/^(?:0|[1-9]\d{0,2})$/.test(v)) {
    const n = Number(v);
    return n <= 255 ? n : null;
  }
  return NAMES[v.toLowerCase()] ?? null;
}

/** A short name for a protocol number ("tcp", "icmp", "proto-47"). */
export function protocolName(p: number): string {
  switch (p) {
    case 1:
      return 'icmp';
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 58:
      return 'icmpv6';
    default: {
      for (const [k, n] of Object.entries(NAMES)) if (n === p) return k;
      return `proto-${p}`;
    }
  }
}

/** True for the protocols whose flows have ports (S5). */
export function hasPorts(p: number): boolean {
  return p === PROTO.TCP || p === PROTO.UDP;
}

/** True for ICMP and ICMPv6. */
export function isIcmp(p: number): boolean {
  return p === PROTO.ICMP || p === PROTO.ICMPV6;
}

/** TCP flag bits, as in the TCP header. */
export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

const FLAG_LETTERS: Record<string, number> = {
  F: TCP.FIN,
  S: TCP.SYN,
  R: TCP.RST,
  P: TCP.PSH,
  A: TCP.ACK,
  U: TCP.URG,
  E: TCP.ECE,
  C: TCP.CWR,
};

/** Reads TCP flag letters ("SA", "PA", "" ; also E and C) to bits; null on an unknown letter. */
export function readTcpFlags(s: string): number | null {
  let bits = 0;
  for (const ch of s) {
    if (ch === '.' || ch === ' ') continue;
    const b = FLAG_LETTERS[ch.toUpperCase()];
    if (b === undefined) return null;
    bits |= b;
  }
  return bits;
}

/** Flag bits as letters in S A F R P U E C order. */
export function formatTcpFlags(bits: number): string {
  let s = '';
  for (const [ch, b] of [
    ['S', TCP.SYN],
    ['A', TCP.ACK],
    ['F', TCP.FIN],
    ['R', TCP.RST],
    ['P', TCP.PSH],
    ['U', TCP.URG],
    ['E', TCP.ECE],
    ['C', TCP.CWR],
  ] as const) {
    if (bits & b) s += ch;
  }
  return s;
}

/** ICMPv4 error types (S6). */
export function isIcmpError(proto: number, type: number): boolean {
  if (proto === PROTO.ICMP) return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
  if (proto === PROTO.ICMPV6) return type >= 1 && type <= 4;
  return false;
}

/**
 * The query kind of an ICMP query type (S5): a request and its reply share a
 * kind — echo 8/0, timestamp 13/14, ICMPv6 echo 128/129. Returns -1 if the
 * type is not a query type.
 */
export function icmpQueryKind(proto: number, type: number): number {
  if (proto === PROTO.ICMP) {
    if (type === 8 || type === 0) return 8;
    if (type === 13 || type === 14) return 13;
  } else if (proto === PROTO.ICMPV6) {
    if (type === 128 || type === 129) return 128;
  }
  return -1;
}
