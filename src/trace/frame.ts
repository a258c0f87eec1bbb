/**
 * Decodes one captured frame into a row of a PacketBatch: the link layer
 * (Ethernet with 802.1Q/QinQ tags, Linux SLL and SLL2, raw IP, BSD
 * loopback), IPv4 (options, fragments) and IPv6 (hop-by-hop, routing,
 * destination options, fragment and AH headers), TCP, UDP, ICMP/ICMPv6 with
 * query identifiers and the header quoted in errors (S6), and VXLAN (UDP
 * 4789, as delivered by VPC Traffic Mirroring), whose inner frame replaces
 * the outer packet. A frame too short for its headers is malformed (S22).
 *
 * Works on a Uint8Array and a DataView of the same bytes, in place; writes
 * every field of the row that the engines read, so rows can be reused.
 */
import { FRAG, KIND, type PacketBatch } from './batch.js';

/** Link types (LINKTYPE_* of pcap/pcapng) this decoder reads. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const SUPPORTED = new Set<number>(Object.values(LINKTYPE));

/** True if frames of this link type can be decoded. */
export function linkTypeSupported(lt: number): boolean {
  return SUPPORTED.has(lt);
}

const NAMES: Record<number, string> = {
  105: 'IEEE 802.11',
  127: 'IEEE 802.11 radiotap',
  9: 'PPP',
  50: 'PPP over HDLC',
  104: 'Cisco HDLC',
  147: 'user-defined',
  187: 'Bluetooth HCI',
  195: 'IEEE 802.15.4',
  220: 'USB Linux mmapped',
};

/** A readable name for an unsupported link type. */
export function linkTypeName(lt: number): string {
  return NAMES[lt] ? `${lt} (${NAMES[lt]})` : String(lt);
}

/** UDP port of VXLAN (RFC 7348), used by VPC Traffic Mirroring. */
export const VXLAN_PORT = 4789;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

/** Zeroes the packet fields of a row that holds no IP packet (malformed, not IP), so outputs are deterministic. */
export function clearRow(o: PacketBatch, row: number): void {
  const w = 4 * row;
  for (let k = 0; k < 4; k++) {
    o.src[w + k] = 0;
    o.dst[w + k] = 0;
  }
  o.proto[row] = 0;
  o.sport[row] = 0;
  o.dport[row] = 0;
  o.tcpFlags[row] = 0;
  o.icmpType[row] = 0;
  o.icmpCode[row] = 0;
  o.icmpId[row] = 0;
  o.fragId[row] = 0;
  o.fragFlags[row] = 0;
}

/** Frame decoder bound to one batch (keeps its arrays at hand). */
export class FrameDecoder {
  private b!: Uint8Array;
  private dv!: DataView;

  constructor(private out: PacketBatch) {}

  /** Points the decoder at another batch. */
  setBatch(out: PacketBatch): void {
    this.out = out;
  }

  /**
   * Decodes the frame at bytes[off, off + caplen) of link type `lt` into row
   * `row`; `wireLen` is its length on the wire (used when the IP length is
   * unreadable). Timestamp and capture interface are the caller's.
   */
  decode(bytes: Uint8Array, dv: DataView, off: number, caplen: number, wireLen: number, lt: number, row: number): void {
    this.b = bytes;
    this.dv = dv;
    const o = this.out;
    o.fragFlags[row] = 0;
    o.len[row] = wireLen;
    if (!this.link(off, caplen, lt, row, 0)) {
      o.kind[row] = KIND.MALFORMED;
      o.len[row] = wireLen;
    }
    if (o.kind[row]! < KIND.IPV4) clearRow(o, row);
  }

  /** Link layer. Returns false for a malformed frame. */
  private link(off: number, caplen: number, lt: number, row: number, depth: number): boolean {
    const b = this.b;
    const dv = this.dv;
    switch (lt) {
      case LINKTYPE.ETHERNET: {
        if (caplen < 14) return false;
        let p = off + 12;
        let type = dv.getUint16(p);
        let tags = 0;
        // 802.1Q (0x8100), 802.1ad QinQ (0x88a8) and the old 0x9100 tags, any depth up to 4.
        while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && tags < 4) {
          p += 4;
          if (p + 2 > off + caplen) return false;
          type = dv.getUint16(p);
          tags++;
        }
        p += 2;
        return this.ethertype(type, p, off + caplen - p, row, depth);
      }
      case LINKTYPE.LINUX_SLL:
        if (caplen < 16) return false;
        return this.ethertype(dv.getUint16(off + 14), off + 16, caplen - 16, row, depth);
      case LINKTYPE.LINUX_SLL2:
        if (caplen < 20) return false;
        return this.ethertype(dv.getUint16(off), off + 20, caplen - 20, row, depth);
      case LINKTYPE.RAW:
      case LINKTYPE.RAW_12:
      case LINKTYPE.RAW_14:
      case LINKTYPE.IPV4:
      case LINKTYPE.IPV6: {
        if (caplen < 1) return false;
        const v = b[off]! >> 4;
        if (v === 4) return this.ipv4(off, caplen, row, depth);
        if (v === 6) return this.ipv6(off, caplen, row, depth);
        return false;
      }
      case LINKTYPE.NULL:
      case LINKTYPE.LOOP: {
        if (caplen < 4) return false;
        // NULL: the address family in the capturing host's byte order; LOOP: big-endian.
        let af = lt === LINKTYPE.LOOP ? dv.getUint32(off) : dv.getUint32(off, true);
        if (af > 0xffff) af = dv.getUint32(off, lt !== LINKTYPE.LOOP);
        if (af === 2) return this.ipv4(off + 4, caplen - 4, row, depth);
        if (af === 24 || af === 28 || af === 30) return this.ipv6(off + 4, caplen - 4, row, depth);
        this.out.kind[row] = KIND.NON_IP;
        return true;
      }
    }
    return false;
  }

  private ethertype(type: number, p: number, avail: number, row: number, depth: number): boolean {
    if (type === ETH_IPV4) return this.ipv4(p, avail, row, depth);
    if (type === ETH_IPV6) return this.ipv6(p, avail, row, depth);
    // ARP, LLDP, …: not IP, never seen by a security group.
    this.out.kind[row] = KIND.NON_IP;
    return true;
  }

  private ipv4(p: number, avail: number, row: number, depth: number): boolean {
    const b = this.b;
    const dv = this.dv;
    const o = this.out;
    if (avail < 20) return false;
    const vihl = b[p]!;
    if (vihl >> 4 !== 4) return false;
    const ihl = (vihl & 15) * 4;
    if (ihl < 20 || ihl > avail) return false;
    const total = dv.getUint16(p + 2);
    const frag = dv.getUint16(p + 6);
    const proto = b[p + 9]!;
    const w = 4 * row;
    o.kind[row] = KIND.IPV4;
    o.src[w] = dv.getUint32(p + 12);
    o.src[w + 1] = 0;
    o.src[w + 2] = 0;
    o.src[w + 3] = 0;
    o.dst[w] = dv.getUint32(p + 16);
    o.dst[w + 1] = 0;
    o.dst[w + 2] = 0;
    o.dst[w + 3] = 0;
    o.proto[row] = proto;
    o.len[row] = total;
    // Ethernet padding follows short datagrams; a capture may cut long ones.
    const end = total >= ihl && total < avail ? total : avail;
    const offset = frag & 0x1fff;
    const more = (frag & 0x2000) !== 0;
    if (offset !== 0 || more) {
      o.fragId[row] = dv.getUint16(p + 4);
      o.fragFlags[row] = FRAG.IS_FRAGMENT | (offset !== 0 ? FRAG.NON_FIRST : 0) | (more ? FRAG.MORE : 0);
      if (offset !== 0) return this.noTransport(row);
    }
    return this.transport(proto, p + ihl, end - ihl, row, depth, false);
  }

  private ipv6(p: number, avail: number, row: number, depth: number): boolean {
    const b = this.b;
    const dv = this.dv;
    const o = this.out;
    if (avail < 40) return false;
    if (b[p]! >> 4 !== 6) return false;
    const payload = dv.getUint16(p + 4);
    let nh = b[p + 6]!;
    const w = 4 * row;
    o.kind[row] = KIND.IPV6;
    for (let k = 0; k < 4; k++) {
      o.src[w + k] = dv.getUint32(p + 8 + 4 * k);
      o.dst[w + k] = dv.getUint32(p + 24 + 4 * k);
    }
    o.len[row] = 40 + payload;
    const end = p + (payload > 0 && 40 + payload < avail ? 40 + payload : avail);
    let q = p + 40;
    // Extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60, AH 51.
    for (let hops = 0; hops < 16; hops++) {
      if (nh === 0 || nh === 43 || nh === 60) {
        if (q + 8 > end) return false;
        const next = b[q]!;
        q += (b[q + 1]! + 1) * 8;
        nh = next;
      } else if (nh === 51) {
        if (q + 8 > end) return false;
        const next = b[q]!;
        q += (b[q + 1]! + 2) * 4;
        nh = next;
      } else if (nh === 44) {
        if (q + 8 > end) return false;
        const next = b[q]!;
        const fo = dv.getUint16(q + 2);
        const offset = fo >> 3;
        const more = (fo & 1) !== 0;
        o.fragId[row] = dv.getUint32(q + 4);
        o.fragFlags[row] = FRAG.IS_FRAGMENT | (offset !== 0 ? FRAG.NON_FIRST : 0) | (more ? FRAG.MORE : 0);
        q += 8;
        nh = next;
        if (offset !== 0) {
          o.proto[row] = nh;
          return this.noTransport(row);
        }
      } else break;
      if (q > end) return false;
    }
    o.proto[row] = nh;
    return this.transport(nh, q, end - q, row, depth, true);
  }

  private noTransport(row: number): boolean {
    const o = this.out;
    o.sport[row] = 0;
    o.dport[row] = 0;
    o.tcpFlags[row] = 0;
    o.icmpType[row] = 0;
    o.icmpCode[row] = 0;
    o.icmpId[row] = 0;
    return true;
  }

  /** The transport header at p (avail bytes). */
  private transport(proto: number, p: number, avail: number, row: number, depth: number, v6: boolean): boolean {
    const b = this.b;
    const dv = this.dv;
    const o = this.out;
    switch (proto) {
      case 6:
        if (avail < 20) return false;
        o.sport[row] = dv.getUint16(p);
        o.dport[row] = dv.getUint16(p + 2);
        o.tcpFlags[row] = b[p + 13]!;
        o.icmpType[row] = 0;
        o.icmpCode[row] = 0;
        o.icmpId[row] = 0;
        return true;
      case 17: {
        if (avail < 8) return false;
        const sport = dv.getUint16(p);
        const dport = dv.getUint16(p + 2);
        // VXLAN (Traffic Mirroring): the inner Ethernet frame is the packet; the outer one is not.
        if (dport === VXLAN_PORT && depth < 2 && avail >= 16 + 14 && (b[p + 8]! & 0x08) !== 0) {
          o.fragFlags[row] = 0;
          const inner = avail - 16;
          o.len[row] = inner;
          return this.link(p + 16, inner, LINKTYPE.ETHERNET, row, depth + 1);
        }
        o.sport[row] = sport;
        o.dport[row] = dport;
        o.tcpFlags[row] = 0;
        o.icmpType[row] = 0;
        o.icmpCode[row] = 0;
        o.icmpId[row] = 0;
        return true;
      }
      case 1:
      case 58: {
        if (avail < 8) return false;
        const type = b[p]!;
        o.sport[row] = 0;
        o.dport[row] = 0;
        o.tcpFlags[row] = 0;
        o.icmpType[row] = type;
        o.icmpCode[row] = b[p + 1]!;
        o.icmpId[row] = dv.getUint16(p + 4);
        const error =
          proto === 1 ? type === 3 || type === 4 || type === 5 || type === 11 || type === 12 : type >= 1 && type <= 4;
        if (error) this.quote(p + 8, avail - 8, row, v6);
        return true;
      }
      default:
        return this.noTransport(row);
    }
  }

  /** S6: the header quoted in an ICMP error, when enough of it was captured (else the error has no usable quote). */
  private quote(p: number, avail: number, row: number, v6: boolean): void {
    const b = this.b;
    const dv = this.dv;
    const o = this.out;
    const w = 4 * row;
    let proto: number;
    let q: number;
    let end: number;
    if (!v6) {
      if (avail < 20 || b[p]! >> 4 !== 4) return;
      const ihl = (b[p]! & 15) * 4;
      if (ihl < 20 || ihl > avail) return;
      proto = b[p + 9]!;
      o.qSrc[w] = dv.getUint32(p + 12);
      o.qDst[w] = dv.getUint32(p + 16);
      for (let k = 1; k < 4; k++) {
        o.qSrc[w + k] = 0;
        o.qDst[w + k] = 0;
      }
      q = p + ihl;
      end = p + avail;
    } else {
      if (avail < 40 || b[p]! >> 4 !== 6) return;
      for (let k = 0; k < 4; k++) {
        o.qSrc[w + k] = dv.getUint32(p + 8 + 4 * k);
        o.qDst[w + k] = dv.getUint32(p + 24 + 4 * k);
      }
      proto = b[p + 6]!;
      q = p + 40;
      end = p + avail;
      for (let hops = 0; hops < 8 && (proto === 0 || proto === 43 || proto === 60 || proto === 44); hops++) {
        if (q + 8 > end) return;
        const next = b[q]!;
        q += proto === 44 ? 8 : (b[q + 1]! + 1) * 8;
        proto = next;
      }
    }
    let sport = 0;
    let dport = 0;
    let type = 0;
    let code = 0;
    let id = 0;
    if (proto === 6 || proto === 17) {
      if (q + 4 > end) return;
      sport = dv.getUint16(q);
      dport = dv.getUint16(q + 2);
    } else if (proto === 1 || proto === 58) {
      if (q + 6 > end) return;
      type = b[q]!;
      code = b[q + 1]!;
      id = dv.getUint16(q + 4);
    }
    o.qProto[row] = proto;
    o.qSport[row] = sport;
    o.qDport[row] = dport;
    o.qType[row] = type;
    o.qCode[row] = code;
    o.qId[row] = id;
    o.fragFlags[row] = o.fragFlags[row]! | FRAG.HAS_QUOTE;
  }
}
