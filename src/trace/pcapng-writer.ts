/**
 * A small pcapng writer (tests and the ingest benchmark): sections in either byte order, several
 * interfaces (link type, snap length, if_tsresol, if_tsoffset), Enhanced and
 * Simple packet blocks, and unknown blocks the reader must skip.
 */
import { writeFileSync } from 'node:fs';

export interface NgInterface {
  linkType: number;
  snaplen?: number;
  /** if_tsresol byte (default 6: microseconds). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
}

export class PcapngBuilder {
  private parts: Buffer[] = [];
  constructor(private readonly le = true) {}

  private u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  }
  private u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  }
  private block(type: number, body: Buffer): void {
    const pad = (4 - (body.length % 4)) % 4;
    const total = 12 + body.length + pad;
    this.parts.push(this.u32(type), this.u32(total), body, Buffer.alloc(pad), this.u32(total));
  }
  private option(code: number, value: Buffer): Buffer {
    const pad = (4 - (value.length % 4)) % 4;
    return Buffer.concat([this.u16(code), this.u16(value.length), value, Buffer.alloc(pad)]);
  }

  section(): this {
    this.block(0x0a0d0d0a, Buffer.concat([this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), Buffer.alloc(8, 0xff)]));
    return this;
  }

  iface(f: NgInterface): this {
    const opts: Buffer[] = [this.option(2, Buffer.from('eth0 test'))];
    if (f.tsresol !== undefined) opts.push(this.option(9, Buffer.from([f.tsresol])));
    if (f.tsoffset !== undefined) {
      const b = Buffer.alloc(8);
      if (this.le) b.writeBigInt64LE(f.tsoffset);
      else b.writeBigInt64BE(f.tsoffset);
      opts.push(this.option(14, b));
    }
    opts.push(this.option(0, Buffer.alloc(0)));
    this.block(1, Buffer.concat([this.u16(f.linkType), this.u16(0), this.u32(f.snaplen ?? 262144), ...opts]));
    return this;
  }

  /** An Enhanced Packet Block; `units` in the interface's resolution. */
  epb(ifId: number, units: bigint, frame: Buffer, wire = frame.length): this {
    const hi = Number(units >> 32n);
    const lo = Number(units & 0xffffffffn);
    const pad = (4 - (frame.length % 4)) % 4;
    this.block(
      6,
      Buffer.concat([
        this.u32(ifId),
        this.u32(hi),
        this.u32(lo),
        this.u32(frame.length),
        this.u32(wire),
        frame,
        Buffer.alloc(pad),
        this.option(1, Buffer.from('a comment')),
        this.option(0, Buffer.alloc(0)),
      ]),
    );
    return this;
  }

  spb(frame: Buffer): this {
    this.block(3, Buffer.concat([this.u32(frame.length), frame]));
    return this;
  }

  /** A block of a type the reader does not know (custom block 0x00000BAD). */
  unknown(): this {
    this.block(0x00000bad, Buffer.from('ignore me please'));
    return this;
  }

  /** A Name Resolution Block and an Interface Statistics Block, which carry no packets. */
  nrbAndIsb(): this {
    this.block(4, Buffer.concat([this.u16(0), this.u16(0)]));
    this.block(5, Buffer.concat([this.u32(0), this.u32(0), this.u32(0), this.option(0, Buffer.alloc(0))]));
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }

  write(file: string): void {
    writeFileSync(file, this.bytes());
  }
}
