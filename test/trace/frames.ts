/**
 * Test fixtures made by the project's own writers: a packet list covering
 * every decoder path, written as pcap with any framing, read back as frames
 * or rows.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketBatch, writePacket } from '../../src/trace/batch.js';
import { decodeJsonPacket } from '../../src/trace/json-packet.js';
import { PcapWriter, type PcapWriterOptions } from '../../src/trace/pcap-writer.js';
import { openTrace } from '../../src/trace/source.js';

export const tmp = mkdtempSync(join(tmpdir(), 'ctreplay-trace-'));

/** Packets covering TCP flags, UDP, ICMP queries and errors with quotes, fragments, IPv6, other protocols. */
export const PACKETS = [
  {
    t: '1700000000.000000001',
    src: '10.0.0.1',
    dst: '192.0.2.1',
    proto: 'tcp',
    sport: 1234,
    dport: 443,
    flags: 'S',
    len: 60,
  },
  {
    t: '1700000000.000001',
    src: '192.0.2.1',
    dst: '10.0.0.1',
    proto: 'tcp',
    sport: 443,
    dport: 1234,
    flags: 'SA',
    len: 60,
  },
  { t: '1700000000.5', src: '2001:db8::1', dst: '2001:db8::2', proto: 'udp', sport: 53, dport: 5353, len: 100 },
  {
    t: '1700000001',
    src: '192.0.2.254',
    dst: '10.0.0.1',
    proto: 'icmp',
    icmpType: 3,
    icmpCode: 4,
    quote: { src: '10.0.0.1', dst: '192.0.2.1', proto: 'tcp', sport: 1234, dport: 443 },
    len: 56,
  },
  {
    t: '1700000001.25',
    src: '192.0.2.254',
    dst: '10.0.0.1',
    proto: 'icmp',
    icmpType: 11,
    icmpCode: 0,
    quote: { src: '10.0.0.1', dst: '192.0.2.1', proto: 'icmp', icmpType: 8, icmpId: 9 },
    len: 56,
  },
  {
    t: '1700000002',
    src: '10.0.0.1',
    dst: '192.0.2.1',
    proto: 'udp',
    sport: 1,
    dport: 2,
    fragment: { id: 77, offset: 0, more: true },
    len: 1500,
  },
  {
    t: '1700000002.001',
    src: '10.0.0.1',
    dst: '192.0.2.1',
    proto: 'udp',
    fragment: { id: 77, offset: 1480, more: false },
    len: 100,
  },
  {
    t: '1700000003',
    src: '2001:db8::1',
    dst: '2001:db8::2',
    proto: 'tcp',
    fragment: { id: 99, offset: 1232, more: false },
    len: 300,
  },
  {
    t: '1700000003.5',
    src: '2001:db8::1',
    dst: '2001:db8::2',
    proto: 'tcp',
    sport: 80,
    dport: 40000,
    flags: 'FA',
    fragment: { id: 100, offset: 0, more: true },
    len: 1280,
  },
  {
    t: '1700000004',
    src: '2001:db8::9',
    dst: '2001:db8::1',
    proto: 'icmpv6',
    icmpType: 1,
    icmpCode: 4,
    quote: { src: '2001:db8::1', dst: '2001:db8::9', proto: 'udp', sport: 7, dport: 8 },
    len: 96,
  },
  { t: '1700000004.5', src: '2001:db8::1', dst: '2001:db8::9', proto: 'icmpv6', icmpType: 128, icmpId: 77, len: 64 },
  { t: '1700000005', src: '10.0.0.1', dst: '192.0.2.1', proto: 'icmp', icmpType: 8, icmpId: 4242, len: 84 },
  { t: '1700000006', src: '10.0.0.1', dst: '192.0.2.1', proto: 47, len: 100 },
  { t: '1700000007', src: '10.0.0.1', dst: '192.0.2.1', proto: 'tcp', sport: 5, dport: 6, flags: 'RPAUEC', len: 40 },
] as const;

/** The packets as a batch. */
export function packetBatch(): PacketBatch {
  const b = new PacketBatch(32);
  PACKETS.forEach((p, i) => writePacket(b, i, decodeJsonPacket(p)));
  b.length = PACKETS.length;
  return b;
}

/** Writes the packets as a pcap with the given framing; returns the file. */
export function writePcap(name: string, opts: PcapWriterOptions = {}): string {
  const f = join(tmp, `${name}.pcap`);
  const w = new PcapWriter(f, opts);
  const b = packetBatch();
  w.writeBatch(b, b.length);
  w.close();
  return f;
}

/** The frames (record payloads) of a little-endian pcap file. */
export function framesOf(file: string): Buffer[] {
  const d = readFileSync(file);
  const out: Buffer[] = [];
  let p = 24;
  while (p + 16 <= d.length) {
    const caplen = d.readUInt32LE(p + 8);
    out.push(d.subarray(p + 16, p + 16 + caplen));
    p += 16 + caplen;
  }
  return out;
}

/** The engine-visible fields of row i, as a plain object. */
export function row(b: PacketBatch, i: number) {
  const w = (a: Uint32Array) => [...a.subarray(4 * i, 4 * i + 4)];
  const quote = (b.fragFlags[i]! & 8) !== 0;
  return {
    ts: b.ts[i],
    kind: b.kind[i],
    src: w(b.src),
    dst: w(b.dst),
    proto: b.proto[i],
    sport: b.sport[i],
    dport: b.dport[i],
    tcpFlags: b.tcpFlags[i],
    icmp: [b.icmpType[i], b.icmpCode[i], b.icmpId[i]],
    fragFlags: b.fragFlags[i],
    fragId: b.fragFlags[i]! & 1 ? b.fragId[i] : 0,
    quote: quote
      ? [w(b.qSrc), w(b.qDst), b.qProto[i], b.qSport[i], b.qDport[i], b.qType[i], b.qCode[i], b.qId[i]]
      : null,
    len: b.len[i],
  };
}

/** Reads a whole (small) trace file into one batch. */
export async function readAll(file: string, capacity = 4096) {
  const r = await openTrace(file);
  const batch = new PacketBatch(capacity);
  const n = await r.next(batch);
  const more = await r.next(new PacketBatch(16));
  await r.close();
  if (more !== 0) throw new Error(`${file} holds more than ${capacity} packets`);
  return { reader: r, batch, n };
}
