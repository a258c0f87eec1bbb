/**
 * Classic pcap (libpcap) reader: microsecond and nanosecond magic, both byte
 * orders, streamed, decoding each record in place into the batch. A record
 * cut short at the end of the file ends the trace with a warning; a record
 * whose length field cannot be true (over 16 MiB, or over the larger of the
 * snap length and 256 KiB) means the rest of the file is not a trace: the
 * trace ends there with a warning, and nothing of that size is allocated.
 */
import { TraceError } from '../errors.js';
import type { PacketBatch } from './batch.js';
import type { ByteInput } from './bytes.js';
import { FrameDecoder, linkTypeName, linkTypeSupported } from './frame.js';
import { mulAdd, putTime, type TraceReader } from './reader.js';

/** The four magic numbers of pcap, as read little-endian from the first 4 bytes. */
export const PCAP_MAGIC = {
  LE_US: 0xa1b2c3d4,
  LE_NS: 0xa1b23c4d,
  BE_US: 0xd4c3b2a1,
  BE_NS: 0x4d3cb2a1,
} as const;

/** True if the first four bytes are a pcap magic number. */
export function isPcapMagic(le32: number): boolean {
  return (
    le32 === PCAP_MAGIC.LE_US || le32 === PCAP_MAGIC.LE_NS || le32 === PCAP_MAGIC.BE_US || le32 === PCAP_MAGIC.BE_NS
  );
}

const MAX_RECORD = 16 << 20;

/** Streaming classic-pcap reader. */
export class PcapReader implements TraceReader {
  readonly warnings: string[] = [];
  private le = true;
  private nanos = false;
  private linkType = 1;
  private maxCap = 262144;
  private done = false;
  private decoder: FrameDecoder | null = null;
  private readonly t: [number, number] = [0, 0];

  private constructor(
    private readonly input: ByteInput,
    readonly file: string,
    readonly format: string,
  ) {}

  /** Reads the global header; refuses unsupported link types (exit 2). */
  static async open(input: ByteInput, file: string): Promise<PcapReader> {
    if (!(await input.fill(24)))
      throw new TraceError(file, 'not a trace: a pcap file header is 24 bytes, the file is shorter');
    const dv = input.dv;
    const m = dv.getUint32(input.start, true);
    const le = m === PCAP_MAGIC.LE_US || m === PCAP_MAGIC.LE_NS;
    const nanos = m === PCAP_MAGIC.LE_NS || m === PCAP_MAGIC.BE_NS;
    const major = dv.getUint16(input.start + 4, le);
    if (major !== 2)
      throw new TraceError(
        file,
        `not a trace: pcap version ${major}.${dv.getUint16(input.start + 6, le)} (expected 2.4)`,
      );
    const snaplen = dv.getUint32(input.start + 16, le);
    const linkType = dv.getUint32(input.start + 20, le) & 0xffff;
    if (!linkTypeSupported(linkType))
      throw new TraceError(file, `pcap link type ${linkTypeName(linkType)} is not supported`);
    const r = new PcapReader(input, file, `pcap${nanos ? '-ns' : ''}${input.gzip ? '+gzip' : ''}`);
    r.le = le;
    r.nanos = nanos;
    r.linkType = linkType;
    r.maxCap = Math.min(MAX_RECORD, Math.max(snaplen, 262144));
    input.start += 24;
    return r;
  }

  async next(batch: PacketBatch): Promise<number> {
    if (this.done) return 0;
    if (this.decoder === null) this.decoder = new FrameDecoder(batch);
    else this.decoder.setBatch(batch);
    const dec = this.decoder;
    const input = this.input;
    const le = this.le;
    const fracMul = this.nanos ? 1 : 1000;
    const t = this.t;
    const words = batch.tsWords;
    const cap = batch.capacity;
    let row = 0;
    while (row < cap) {
      let pos = input.start;
      let end = input.end;
      const dv = input.dv;
      const bytes = input.buf;
      // Decode every whole record in the buffer.
      while (row < cap && end - pos >= 16) {
        const caplen = dv.getUint32(pos + 8, le);
        if (caplen > this.maxCap) {
          this.corrupt(
            `record at byte ${input.base + pos} claims ${caplen} captured bytes (more than the snap length allows); the rest of the file is not read`,
          );
          input.start = pos;
          return row;
        }
        if (end - pos < 16 + caplen) break;
        const sec = dv.getUint32(pos, le);
        const frac = dv.getUint32(pos + 4, le);
        const wire = dv.getUint32(pos + 12, le);
        mulAdd(sec, 1_000_000_000, frac * fracMul, t);
        putTime(words, row, t[0], t[1]);
        batch.capIf[row] = 0;
        dec.decode(bytes, dv, pos + 16, caplen, wire, this.linkType, row);
        row++;
        pos += 16 + caplen;
      }
      input.start = pos;
      if (row === cap) break;
      // Need more bytes: the next header, or the rest of the current record.
      const need = end - pos >= 16 ? 16 + dv.getUint32(pos + 8, le) : 16;
      if (!(await input.fill(need))) {
        if (input.available > 0) {
          this.warnings.push(
            `${this.file}: the file ends in the middle of a record (${input.available} bytes of it at byte ${input.position}); the trace ends at the last whole packet`,
          );
        }
        if (input.error) this.warnings.push(`${this.file}: ${input.error}; the trace ends at the last whole packet`);
        this.done = true;
        break;
      }
      end = input.end;
    }
    return row;
  }

  private corrupt(msg: string): void {
    this.warnings.push(`${this.file}: ${msg}`);
    this.done = true;
  }

  progress() {
    return { read: this.input.fileBytesRead, total: this.input.fileSize };
  }

  async close(): Promise<void> {
    await this.input.close();
  }
}
