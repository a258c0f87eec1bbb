/**
 * Writes packets as classic pcap (nanosecond magic, or microsecond), link
 * type Ethernet, raw IP, Linux SLL or SLL2, with optional 802.1Q/QinQ tags
 * and VXLAN encapsulation (for tests of those decoders). Frames carry their
 * headers only: the IP length field says how long the datagram was and the
 * record is cut after the headers, as a capture with a short snap length
 * would be. Readable by tcpdump and tshark.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { FRAG, KIND, type PacketBatch } from './batch.js';
import { LINKTYPE } from './frame.js';

/** How frames are framed. */
export interface PcapWriterOptions {
  /** LINKTYPE_ETHERNET (default), LINKTYPE_RAW, LINUX_SLL or LINUX_SLL2. */
  readonly linkType?: number;
  /** 802.1Q tags (0x8100) to add, outermost first, e.g. [100] or QinQ [0x88a8 ⇒ use qinq]. */
  readonly vlans?: readonly number[];
  /** Use 0x88a8 for the outer tag (QinQ). */
  readonly qinq?: boolean;
  /** Wrap every frame in VXLAN (UDP 4789) from `vxlan.src` to `vxlan.dst` (IPv4 words). */
  readonly vxlan?: { readonly src: number; readonly dst: number; readonly vni: number };
  /** Microsecond timestamps (default: nanosecond). */
  readonly micro?: boolean;
  /** Big-endian file (default little-endian). */
  readonly bigEndian?: boolean;
}

const BUF = 1 << 20;

/** A pcap file being written. */
export class PcapWriter {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(BUF);
  private at = 0;
  private readonly frame = Buffer.alloc(2048);
  private readonly le: boolean;
  private readonly lt: number;
  /** Packets written. */
  count = 0;

  constructor(
    file: string,
    private readonly opts: PcapWriterOptions = {},
  ) {
    this.fd = openSync(file, 'w');
    this.le = !opts.bigEndian;
    this.lt = opts.linkType ?? LINKTYPE.ETHERNET;
    const h = Buffer.alloc(24);
    const w32 = (v: number, o: number) => (this.le ? h.writeUInt32LE(v >>> 0, o) : h.writeUInt32BE(v >>> 0, o));
    const w16 = (v: number, o: number) => (this.le ? h.writeUInt16LE(v, o) : h.writeUInt16BE(v, o));
    w32(opts.micro ? 0xa1b2c3d4 : 0xa1b23c4d, 0);
    w16(2, 4);
    w16(4, 6);
    w32(0, 8);
    w32(0, 12);
    w32(262144, 16);
    w32(this.lt, 20);
    this.put(h);
  }

  private put(b: Buffer): void {
    if (this.at + b.length > BUF) this.flush();
    b.copy(this.buf, this.at);
    this.at += b.length;
  }

  private flush(): void {
    if (this.at > 0) writeSync(this.fd, this.buf, 0, this.at);
    this.at = 0;
  }

  /** Writes rows [0, n) of a batch (IP rows; other rows are skipped). */
  writeBatch(b: PacketBatch, n: number): void {
    for (let i = 0; i < n; i++) if (b.kind[i] === KIND.IPV4 || b.kind[i] === KIND.IPV6) this.writeRow(b, i);
  }

  /** Writes one row. */
  writeRow(b: PacketBatch, i: number): void {
    const f = this.frame;
    let p = 0;
    const ipLen = ipDatagram(b, i, f, 200); // IP datagram headers at offset 200 (room for the link layer before it)
    const ip = f.subarray(200, 200 + ipLen.captured);
    // Inner frame (Ethernet) for VXLAN, or the link layer of the file.
    const link = Buffer.alloc(64);
    let linkLen = 0;
    const v6 = b.kind[i] === KIND.IPV6;
    const ethertype = v6 ? 0x86dd : 0x0800;
    const ethernet = (out: Buffer, at: number, type: number): number => {
      out.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1], at);
      let q = at + 12;
      for (const [k, vid] of (this.opts.vlans ?? []).entries()) {
        out.writeUInt16BE(k === 0 && this.opts.qinq ? 0x88a8 : 0x8100, q);
        out.writeUInt16BE(vid & 0x0fff, q + 2);
        q += 4;
      }
      out.writeUInt16BE(type, q);
      return q + 2 - at;
    };
    let payload: Buffer;
    let wire: number;
    if (this.opts.vxlan) {
      // Outer Ethernet + IPv4 + UDP 4789 + VXLAN + inner Ethernet + the packet.
      const inner = Buffer.alloc(14 + ip.length);
      const el = ethernet(inner, 0, ethertype);
      ip.copy(inner, el);
      const innerFrame = inner.subarray(0, el + ip.length);
      const vx = Buffer.alloc(8);
      vx[0] = 0x08;
      vx.writeUIntBE(this.opts.vxlan.vni, 4, 3);
      const udpLen = 8 + 8 + el + ipLen.wire;
      const outer = Buffer.alloc(20 + 8);
      outer[0] = 0x45;
      outer.writeUInt16BE(20 + udpLen, 2);
      outer[8] = 255;
      outer[9] = 17;
      outer.writeUInt32BE(this.opts.vxlan.src >>> 0, 12);
      outer.writeUInt32BE(this.opts.vxlan.dst >>> 0, 16);
      outer.writeUInt16BE(ipChecksum(outer, 0, 20), 10);
      outer.writeUInt16BE(49152 + (this.count % 16384), 20);
      outer.writeUInt16BE(4789, 22);
      outer.writeUInt16BE(udpLen, 24);
      linkLen = ethernetPlain(link, 0, 0x0800);
      payload = Buffer.concat([link.subarray(0, linkLen), outer, vx, innerFrame]);
      wire = linkLen + 20 + udpLen;
    } else {
      switch (this.lt) {
        case LINKTYPE.ETHERNET:
          linkLen = ethernet(link, 0, ethertype);
          break;
        case LINKTYPE.LINUX_SLL:
          link.writeUInt16BE(0, 0);
          link.writeUInt16BE(1, 2);
          link.writeUInt16BE(6, 4);
          link.set([0x02, 0, 0, 0, 0, 1, 0, 0], 6);
          link.writeUInt16BE(ethertype, 14);
          linkLen = 16;
          break;
        case LINKTYPE.LINUX_SLL2:
          link.writeUInt16BE(ethertype, 0);
          link.writeUInt16BE(0, 2);
          link.writeUInt32BE(2, 4);
          link.writeUInt16BE(1, 8);
          link[10] = 0;
          link[11] = 6;
          link.set([0x02, 0, 0, 0, 0, 1, 0, 0], 12);
          linkLen = 20;
          break;
        case LINKTYPE.NULL:
          link.writeUInt32LE(v6 ? 30 : 2, 0);
          linkLen = 4;
          break;
        default:
          linkLen = 0; // raw IP
      }
      payload = Buffer.concat([link.subarray(0, linkLen), ip]);
      wire = linkLen + ipLen.wire;
    }
    const rec = Buffer.alloc(16);
    const ts = b.ts[i]!;
    const sec = Number(ts / 1_000_000_000n);
    const ns = Number(ts % 1_000_000_000n);
    const w32 = (v: number, o: number) => (this.le ? rec.writeUInt32LE(v >>> 0, o) : rec.writeUInt32BE(v >>> 0, o));
    w32(sec, 0);
    w32(this.opts.micro ? Math.floor(ns / 1000) : ns, 4);
    w32(payload.length, 8);
    w32(Math.max(wire, payload.length), 12);
    this.put(rec);
    this.put(payload);
    p += payload.length;
    this.count++;
  }

  /** Finishes the file. */
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function ethernetPlain(out: Buffer, at: number, type: number): number {
  out.set([0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a], at);
  out.writeUInt16BE(type, at + 12);
  return 14;
}

/** The Internet checksum of bytes [from, from + n). */
export function ipChecksum(b: Buffer, from: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k += 2) s += (b[from + k]! << 8) | (b[from + k + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function putAddr(out: Buffer, at: number, words: Uint32Array, i: number, v6: boolean): void {
  if (!v6) out.writeUInt32BE(words[4 * i]! >>> 0, at);
  else for (let k = 0; k < 4; k++) out.writeUInt32BE(words[4 * i + k]! >>> 0, at + 4 * k);
}

/**
 * Writes the IP datagram headers of row i at `at`: IP (with an IPv6
 * fragment header when needed), then TCP/UDP/ICMP headers (ICMP errors with
 * the quoted IP header and 8 bytes). Returns the captured and wire lengths.
 */
function ipDatagram(b: PacketBatch, i: number, out: Buffer, at: number): { captured: number; wire: number } {
  const v6 = b.kind[i] === KIND.IPV6;
  const proto = b.proto[i]!;
  const ff = b.fragFlags[i]!;
  const nonFirst = (ff & FRAG.NON_FIRST) !== 0;
  const isFrag = (ff & FRAG.IS_FRAGMENT) !== 0;
  const l4 = Buffer.alloc(256);
  let l4Len = 0;
  if (!nonFirst) {
    if (proto === 6) {
      l4.writeUInt16BE(b.sport[i]!, 0);
      l4.writeUInt16BE(b.dport[i]!, 2);
      l4.writeUInt32BE(1, 4);
      l4.writeUInt32BE(b.tcpFlags[i]! & 0x10 ? 1 : 0, 8);
      l4[12] = 5 << 4;
      l4[13] = b.tcpFlags[i]!;
      l4.writeUInt16BE(65535, 14);
      l4Len = 20;
    } else if (proto === 17) {
      l4.writeUInt16BE(b.sport[i]!, 0);
      l4.writeUInt16BE(b.dport[i]!, 2);
      l4.writeUInt16BE(8, 4);
      l4Len = 8;
    } else if (proto === 1 || proto === 58) {
      l4[0] = b.icmpType[i]!;
      l4[1] = b.icmpCode[i]!;
      l4.writeUInt16BE(b.icmpId[i]!, 4);
      l4Len = 8;
      if (ff & FRAG.HAS_QUOTE) {
        // The quoted header: the offending packet's IP header and 8 bytes of its transport header.
        const qv6 = v6;
        const q = 8;
        if (!qv6) {
          l4[q] = 0x45;
          l4.writeUInt16BE(60, q + 2);
          l4[q + 8] = 64;
          l4[q + 9] = b.qProto[i]!;
          putAddr(l4, q + 12, b.qSrc, i, false);
          putAddr(l4, q + 16, b.qDst, i, false);
          l4.writeUInt16BE(ipChecksum(l4, q, 20), q + 10);
          l4Len = q + 20;
        } else {
          l4[q] = 0x60;
          l4.writeUInt16BE(20, q + 4);
          l4[q + 6] = b.qProto[i]!;
          l4[q + 7] = 64;
          putAddr(l4, q + 8, b.qSrc, i, true);
          putAddr(l4, q + 24, b.qDst, i, true);
          l4Len = q + 40;
        }
        const qp = b.qProto[i]!;
        if (qp === 6 || qp === 17) {
          l4.writeUInt16BE(b.qSport[i]!, l4Len);
          l4.writeUInt16BE(b.qDport[i]!, l4Len + 2);
        } else if (qp === 1 || qp === 58) {
          l4[l4Len] = b.qType[i]!;
          l4[l4Len + 1] = b.qCode[i]!;
          l4.writeUInt16BE(b.qId[i]!, l4Len + 4);
        }
        l4Len += 8;
      }
    }
  }
  const len = b.len[i]!;
  if (!v6) {
    const h = at;
    out.fill(0, h, h + 20);
    out[h] = 0x45;
    const total = Math.max(len, 20 + l4Len);
    out.writeUInt16BE(Math.min(total, 65535), h + 2);
    out.writeUInt16BE(isFrag ? b.fragId[i]! & 0xffff : 0, h + 4);
    out.writeUInt16BE((ff & FRAG.MORE ? 0x2000 : 0) | (nonFirst ? 185 : 0), h + 6);
    out[h + 8] = 64;
    out[h + 9] = proto;
    putAddr(out, h + 12, b.src, i, false);
    putAddr(out, h + 16, b.dst, i, false);
    out.writeUInt16BE(ipChecksum(out, h, 20), h + 10);
    l4.copy(out, h + 20, 0, l4Len);
    return { captured: 20 + l4Len, wire: Math.min(total, 65535) };
  }
  const h = at;
  out.fill(0, h, h + 40);
  out[h] = 0x60;
  const ext = isFrag ? 8 : 0;
  const total = Math.max(len, 40 + ext + l4Len);
  out.writeUInt16BE(Math.min(total - 40, 65535), h + 4);
  out[h + 6] = isFrag ? 44 : proto;
  out[h + 7] = 64;
  putAddr(out, h + 8, b.src, i, true);
  putAddr(out, h + 24, b.dst, i, true);
  let q = h + 40;
  if (isFrag) {
    out[q] = proto;
    out[q + 1] = 0;
    out.writeUInt16BE(((nonFirst ? 185 : 0) << 3) | (ff & FRAG.MORE ? 1 : 0), q + 2);
    out.writeUInt32BE(b.fragId[i]! >>> 0, q + 4);
    q += 8;
  }
  l4.copy(out, q, 0, l4Len);
  return { captured: q - h + l4Len, wire: Math.min(total, 65575) };
}
