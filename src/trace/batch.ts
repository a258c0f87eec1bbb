/**
 * PacketBatch: decoded packets as a struct of typed arrays over one buffer
 * (an ArrayBuffer, a SharedArrayBuffer, or a region of WASM memory), so no
 * object exists per packet on the fast path. The byte layout below is
 * mirrored by wasm/assembly/layout.ts; test/engine/layout.test.ts checks they
 * agree.
 *
 * Layout for capacity C (a multiple of 16), each field an array of C elements:
 *
 *   offset  field      type        meaning
 *   0       ts         i64         time in ns (-1: unreadable); S21 makes it the virtual time
 *   8C      src        u32 × 4     address: IPv4 in word 0; IPv6 as 4 big-endian words
 *   24C     dst        u32 × 4
 *   40C     qSrc       u32 × 4     quoted header of an ICMP error (S6)
 *   56C     qDst       u32 × 4
 *   72C     len        u32         bytes on the wire
 *   76C     fragId     u32         IP identification (S7)
 *   80C     sport      u16
 *   82C     dport      u16
 *   84C     icmpId     u16
 *   86C     qSport     u16
 *   88C     qDport     u16
 *   90C     qId        u16         quoted ICMP identifier
 *   92C     capIf      u16         capture interface (pcapng interface id, else 0)
 *   94C     kind       u8          0 malformed, 1 not IP (ARP…), 4 IPv4, 6 IPv6
 *   95C     proto      u8
 *   96C     tcpFlags   u8
 *   97C     fragFlags  u8          FRAG_* bits
 *   98C     icmpType   u8
 *   99C     icmpCode   u8
 *   100C    qProto     u8
 *   101C    qType      u8
 *   102C    qCode      u8
 *   103C    out        u8          outcome byte (model/verdict.ts)
 *   104C    copy       u8          copy of the flow (capacity scaling: copies are keyed apart, S5)
 *   105C    end
 */
import type { Addr } from '../model/addr.js';
import type { Packet } from './packet.js';

/** fragFlags bits. */
export const FRAG = { IS_FRAGMENT: 1, NON_FIRST: 2, MORE: 4, HAS_QUOTE: 8 } as const;

/** Packet kinds. */
export const KIND = { MALFORMED: 0, NON_IP: 1, IPV4: 4, IPV6: 6 } as const;

/** Bytes per packet of capacity. */
export const BATCH_BYTES_PER_PACKET = 105;

/** Byte offset of each field for capacity C. */
export function batchOffsets(c: number) {
  return {
    ts: 0,
    src: 8 * c,
    dst: 24 * c,
    qSrc: 40 * c,
    qDst: 56 * c,
    len: 72 * c,
    fragId: 76 * c,
    sport: 80 * c,
    dport: 82 * c,
    icmpId: 84 * c,
    qSport: 86 * c,
    qDport: 88 * c,
    qId: 90 * c,
    capIf: 92 * c,
    kind: 94 * c,
    proto: 95 * c,
    tcpFlags: 96 * c,
    fragFlags: 97 * c,
    icmpType: 98 * c,
    icmpCode: 99 * c,
    qProto: 100 * c,
    qType: 101 * c,
    qCode: 102 * c,
    out: 103 * c,
    copy: 104 * c,
    end: 105 * c,
  };
}

/** A batch of packets, struct of arrays. */
export class PacketBatch {
  /** Number of packets in use. */
  length = 0;
  readonly ts: BigInt64Array;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly qSrc: Uint32Array;
  readonly qDst: Uint32Array;
  readonly len: Uint32Array;
  readonly fragId: Uint32Array;
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  readonly icmpId: Uint16Array;
  readonly qSport: Uint16Array;
  readonly qDport: Uint16Array;
  readonly qId: Uint16Array;
  readonly capIf: Uint16Array;
  /** The ts column as 32-bit words (low, high), for writing times without BigInt. */
  readonly tsWords: Uint32Array;
  readonly kind: Uint8Array;
  readonly proto: Uint8Array;
  readonly tcpFlags: Uint8Array;
  readonly fragFlags: Uint8Array;
  readonly icmpType: Uint8Array;
  readonly icmpCode: Uint8Array;
  readonly qProto: Uint8Array;
  readonly qType: Uint8Array;
  readonly qCode: Uint8Array;
  readonly out: Uint8Array;
  /** Copy number of the flow (0 in traces; capacity scaling sets 1…k−1). */
  readonly copy: Uint8Array;

  /** Views a batch of `capacity` packets at `byteOffset` of `buffer` (a fresh ArrayBuffer if none). */
  constructor(
    readonly capacity: number,
    readonly buffer: ArrayBufferLike = new ArrayBuffer(capacity * BATCH_BYTES_PER_PACKET),
    readonly byteOffset = 0,
  ) {
    if (capacity % 16 !== 0 || capacity <= 0)
      throw new RangeError(`batch capacity must be a positive multiple of 16, got ${capacity}`);
    const o = batchOffsets(capacity);
    const b = byteOffset;
    const c = capacity;
    this.ts = new BigInt64Array(buffer, b + o.ts, c);
    this.src = new Uint32Array(buffer, b + o.src, 4 * c);
    this.dst = new Uint32Array(buffer, b + o.dst, 4 * c);
    this.qSrc = new Uint32Array(buffer, b + o.qSrc, 4 * c);
    this.qDst = new Uint32Array(buffer, b + o.qDst, 4 * c);
    this.len = new Uint32Array(buffer, b + o.len, c);
    this.fragId = new Uint32Array(buffer, b + o.fragId, c);
    this.sport = new Uint16Array(buffer, b + o.sport, c);
    this.dport = new Uint16Array(buffer, b + o.dport, c);
    this.icmpId = new Uint16Array(buffer, b + o.icmpId, c);
    this.qSport = new Uint16Array(buffer, b + o.qSport, c);
    this.qDport = new Uint16Array(buffer, b + o.qDport, c);
    this.qId = new Uint16Array(buffer, b + o.qId, c);
    this.capIf = new Uint16Array(buffer, b + o.capIf, c);
    this.tsWords = new Uint32Array(buffer, b + o.ts, 2 * c);
    this.kind = new Uint8Array(buffer, b + o.kind, c);
    this.proto = new Uint8Array(buffer, b + o.proto, c);
    this.tcpFlags = new Uint8Array(buffer, b + o.tcpFlags, c);
    this.fragFlags = new Uint8Array(buffer, b + o.fragFlags, c);
    this.icmpType = new Uint8Array(buffer, b + o.icmpType, c);
    this.icmpCode = new Uint8Array(buffer, b + o.icmpCode, c);
    this.qProto = new Uint8Array(buffer, b + o.qProto, c);
    this.qType = new Uint8Array(buffer, b + o.qType, c);
    this.qCode = new Uint8Array(buffer, b + o.qCode, c);
    this.out = new Uint8Array(buffer, b + o.out, c);
    this.copy = new Uint8Array(buffer, b + o.copy, c);
  }

  /** Copies packet `i` of `from` into row `j` of this batch. */
  copyRow(from: PacketBatch, i: number, j: number): void {
    this.ts[j] = from.ts[i]!;
    for (let w = 0; w < 4; w++) {
      this.src[4 * j + w] = from.src[4 * i + w]!;
      this.dst[4 * j + w] = from.dst[4 * i + w]!;
      this.qSrc[4 * j + w] = from.qSrc[4 * i + w]!;
      this.qDst[4 * j + w] = from.qDst[4 * i + w]!;
    }
    this.len[j] = from.len[i]!;
    this.fragId[j] = from.fragId[i]!;
    this.sport[j] = from.sport[i]!;
    this.dport[j] = from.dport[i]!;
    this.icmpId[j] = from.icmpId[i]!;
    this.qSport[j] = from.qSport[i]!;
    this.qDport[j] = from.qDport[i]!;
    this.qId[j] = from.qId[i]!;
    this.capIf[j] = from.capIf[i]!;
    this.kind[j] = from.kind[i]!;
    this.proto[j] = from.proto[i]!;
    this.tcpFlags[j] = from.tcpFlags[i]!;
    this.fragFlags[j] = from.fragFlags[i]!;
    this.icmpType[j] = from.icmpType[i]!;
    this.icmpCode[j] = from.icmpCode[i]!;
    this.qProto[j] = from.qProto[i]!;
    this.qType[j] = from.qType[i]!;
    this.qCode[j] = from.qCode[i]!;
    this.copy[j] = from.copy[i]!;
  }
}

function writeAddr(words: Uint32Array, i: number, a: Addr): void {
  const b = 4 * i;
  if (a.v === 4) {
    words[b] = Number(a.n);
    words[b + 1] = 0;
    words[b + 2] = 0;
    words[b + 3] = 0;
  } else {
    words[b] = Number((a.n >> 96n) & 0xffffffffn);
    words[b + 1] = Number((a.n >> 64n) & 0xffffffffn);
    words[b + 2] = Number((a.n >> 32n) & 0xffffffffn);
    words[b + 3] = Number(a.n & 0xffffffffn);
  }
}

function readAddr(words: Uint32Array, i: number, v: 4 | 6): Addr {
  const b = 4 * i;
  if (v === 4) return { v, n: BigInt(words[b]!) };
  let n = 0n;
  for (let w = 0; w < 4; w++) n = (n << 32n) | BigInt(words[b + w]!);
  return { v, n };
}

/** Writes a Packet into row i. */
export function writePacket(b: PacketBatch, i: number, p: Packet): void {
  b.ts[i] = p.ts ?? -1n;
  b.len[i] = p.len;
  b.out[i] = 0;
  b.copy[i] = p.kind === 'ip' ? (p.copy ?? 0) : 0;
  if (p.kind === 'malformed' || p.kind === 'non-ip') {
    b.kind[i] = p.kind === 'malformed' ? KIND.MALFORMED : KIND.NON_IP;
    return;
  }
  b.kind[i] = p.src.v === 4 ? KIND.IPV4 : KIND.IPV6;
  writeAddr(b.src, i, p.src);
  writeAddr(b.dst, i, p.dst);
  b.proto[i] = p.proto;
  b.sport[i] = p.sport;
  b.dport[i] = p.dport;
  b.tcpFlags[i] = p.flags;
  b.icmpType[i] = p.icmpType;
  b.icmpCode[i] = p.icmpCode;
  b.icmpId[i] = p.icmpId;
  let ff = 0;
  if (p.frag !== null) {
    ff |= FRAG.IS_FRAGMENT;
    if (p.frag.offset > 0) ff |= FRAG.NON_FIRST;
    if (p.frag.more) ff |= FRAG.MORE;
    b.fragId[i] = p.frag.id;
  } else {
    b.fragId[i] = 0;
  }
  if (p.quote !== null) {
    ff |= FRAG.HAS_QUOTE;
    writeAddr(b.qSrc, i, p.quote.src);
    writeAddr(b.qDst, i, p.quote.dst);
    b.qProto[i] = p.quote.proto;
    b.qSport[i] = p.quote.sport;
    b.qDport[i] = p.quote.dport;
    b.qType[i] = p.quote.icmpType;
    b.qCode[i] = p.quote.icmpCode;
    b.qId[i] = p.quote.icmpId;
  }
  b.fragFlags[i] = ff;
}

/** Reads row i as a Packet (for the reference engine and for listings). */
export function readPacket(b: PacketBatch, i: number): Packet {
  const ts = b.ts[i]!;
  const len = b.len[i]!;
  const kind = b.kind[i]!;
  if (kind === KIND.MALFORMED) return { kind: 'malformed', ts: ts < 0n ? null : ts, len, reason: 'undecodable packet' };
  if (kind === KIND.NON_IP) return { kind: 'non-ip', ts: ts < 0n ? null : ts, len };
  const v = kind === KIND.IPV4 ? 4 : 6;
  const ff = b.fragFlags[i]!;
  return {
    kind: 'ip',
    ts,
    len,
    src: readAddr(b.src, i, v),
    dst: readAddr(b.dst, i, v),
    proto: b.proto[i]!,
    sport: b.sport[i]!,
    dport: b.dport[i]!,
    flags: b.tcpFlags[i]!,
    icmpType: b.icmpType[i]!,
    icmpCode: b.icmpCode[i]!,
    icmpId: b.icmpId[i]!,
    ...(b.copy[i] ? { copy: b.copy[i]! } : {}),
    quote:
      ff & FRAG.HAS_QUOTE
        ? {
            src: readAddr(b.qSrc, i, v),
            dst: readAddr(b.qDst, i, v),
            proto: b.qProto[i]!,
            sport: b.qSport[i]!,
            dport: b.qDport[i]!,
            icmpType: b.qType[i]!,
            icmpCode: b.qCode[i]!,
            icmpId: b.qId[i]!,
          }
        : null,
    frag:
      ff & FRAG.IS_FRAGMENT
        ? { id: b.fragId[i]!, offset: ff & FRAG.NON_FIRST ? 1 : 0, more: (ff & FRAG.MORE) !== 0 }
        : null,
  };
}
