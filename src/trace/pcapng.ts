/**
 * pcapng reader: sections in either byte order, interfaces with their own
 * link type, snap length, if_tsresol and if_tsoffset, Enhanced, Simple and
 * (obsolete) Packet blocks; other blocks are skipped. Streamed, decoding in
 * place. A block cut short at the end of the file ends the trace with a
 * warning; a block whose length cannot be true ends it too, without
 * allocating that length.
 */
import { TraceError } from '../errors.js';
import type { PacketBatch } from './batch.js';
import { KIND } from './batch.js';
import type { ByteInput } from './bytes.js';
import { clearRow, FrameDecoder, linkTypeName, linkTypeSupported } from './frame.js';
import { mulAdd, putTime, type TraceReader } from './reader.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
const IDB = 1;
const OPB = 2;
const SPB = 3;
const EPB = 6;
const MAX_BLOCK = (16 << 20) + 64;

/** How one interface's timestamps become ns. */
interface Iface {
  readonly linkType: number;
  readonly supported: boolean;
  readonly snaplen: number;
  /** Multiplier of units to ns when resolution is 10^-e with e ≤ 9; 0 when the exact BigInt path is needed. */
  readonly factor: number;
  /** ns = round(units × num / den) + offset, exactly (the general path). */
  readonly num: bigint;
  readonly den: bigint;
  /** if_tsoffset in ns. */
  readonly offsetNs: bigint;
}

/** Streaming pcapng reader. */
export class PcapngReader implements TraceReader {
  readonly warnings: string[] = [];
  private le = true;
  private ifaces: Iface[] = [];
  private done = false;
  private decoder: FrameDecoder | null = null;
  private warnedIfaces = new Set<number>();
  private readonly t: [number, number] = [0, 0];

  private constructor(
    private readonly input: ByteInput,
    readonly file: string,
    readonly format: string,
  ) {}

  static async open(input: ByteInput, file: string): Promise<PcapngReader> {
    if (!(await input.fill(12))) throw new TraceError(file, 'not a trace: too short for a pcapng section header');
    const bom = input.dv.getUint32(input.start + 8, true);
    if (bom !== BOM && bom !== 0x4d3c2b1a)
      throw new TraceError(file, 'not a trace: pcapng section header without a byte-order magic');
    return new PcapngReader(input, file, `pcapng${input.gzip ? '+gzip' : ''}`);
  }

  async next(batch: PacketBatch): Promise<number> {
    if (this.done) return 0;
    if (this.decoder === null) this.decoder = new FrameDecoder(batch);
    else this.decoder.setBatch(batch);
    const input = this.input;
    const cap = batch.capacity;
    let row = 0;
    while (row < cap) {
      // Every whole block already in the buffer, without awaiting.
      let pos = input.start;
      const end = input.end;
      const dv = input.dv;
      let need = 12;
      while (row < cap && end - pos >= 12) {
        let type = dv.getUint32(pos, this.le);
        if (type === PCAPNG_SHB) {
          // A new section: its own byte order and interfaces.
          const bom = dv.getUint32(pos + 8, true);
          if (bom === BOM) this.le = true;
          else if (bom === 0x4d3c2b1a) this.le = false;
          else {
            input.start = pos;
            return this.corrupt(row, `section header at byte ${input.base + pos} has no byte-order magic`);
          }
          this.ifaces = [];
          type = PCAPNG_SHB;
        }
        const total = dv.getUint32(pos + 4, this.le);
        if (total < 12 || total % 4 !== 0 || total > MAX_BLOCK) {
          input.start = pos;
          return this.corrupt(
            row,
            `block at byte ${input.base + pos} has an impossible length ${total}; the rest of the file is not read`,
          );
        }
        if (end - pos < total) {
          need = total;
          break;
        }
        if (type === EPB || type === OPB) {
          const ifId = type === EPB ? dv.getUint32(pos + 8, this.le) : dv.getUint16(pos + 8, this.le);
          const caplen = dv.getUint32(pos + 20, this.le);
          this.packet(
            batch,
            row,
            ifId,
            dv.getUint32(pos + 12, this.le),
            dv.getUint32(pos + 16, this.le),
            true,
            pos + 28,
            Math.min(caplen, total - 32),
            dv.getUint32(pos + 24, this.le),
            caplen > total - 32,
          );
          row++;
        } else if (type === SPB) {
          const wire = dv.getUint32(pos + 8, this.le);
          const iface = this.ifaces[0];
          const room = total - 16;
          const caplen = Math.min(wire, room, iface && iface.snaplen > 0 ? iface.snaplen : room);
          // A Simple Packet Block has no timestamp: the packet takes the current virtual time (S21).
          this.packet(batch, row, 0, 0, 0, false, pos + 12, caplen, wire, false);
          row++;
        } else if (type === IDB) {
          this.addInterface(dv, pos, total);
        }
        pos += total;
      }
      input.start = pos;
      if (row === cap) break;
      if (!(await input.fill(need))) {
        if (input.available > 0 && !input.error) {
          this.warnings.push(
            `${this.file}: the file ends in the middle of a block (${input.available} bytes of it at byte ${input.position}); the trace ends at the last whole packet`,
          );
        }
        this.end();
        break;
      }
    }
    return row;
  }

  private packet(
    batch: PacketBatch,
    row: number,
    ifId: number,
    hi: number,
    lo: number,
    timed: boolean,
    at: number,
    caplen: number,
    wire: number,
    lying: boolean,
  ): void {
    const iface = this.ifaces[ifId];
    batch.capIf[row] = ifId & 0xffff;
    if (timed && iface) this.time(batch.tsWords, row, iface, hi, lo);
    else putTime(batch.tsWords, row, 0xffffffff, 0xffffffff); // −1: unreadable
    if (iface === undefined || !iface.supported || lying) {
      if (iface === undefined)
        this.warnOnce(
          ifId,
          `packets refer to interface ${ifId}, which no interface block describes; they are malformed`,
        );
      else if (!iface.supported)
        this.warnOnce(
          ifId,
          `interface ${ifId} has link type ${linkTypeName(iface.linkType)}, which is not supported; its packets are malformed`,
        );
      batch.kind[row] = KIND.MALFORMED;
      batch.len[row] = wire;
      clearRow(batch, row);
      return;
    }
    this.decoder!.decode(this.input.buf, this.input.dv, at, caplen, wire, iface.linkType, row);
  }

  private time(words: Uint32Array, row: number, f: Iface, hi: number, lo: number): void {
    if (f.factor === 1 && f.offsetNs === 0n) {
      putTime(words, row, hi, lo);
      return;
    }
    if (f.factor > 1 && f.offsetNs === 0n && hi * f.factor < 2 ** 32) {
      // units × factor = hi × factor × 2^32 + lo × factor, exactly.
      mulAdd(lo, f.factor, 0, this.t);
      putTime(words, row, hi * f.factor + this.t[0], this.t[1]);
      return;
    }
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    const ns = (units * f.num * 2n + f.den) / (2n * f.den) + f.offsetNs;
    putTime(words, row, Number((ns >> 32n) & 0xffffffffn), Number(ns & 0xffffffffn));
  }

  private addInterface(dv: DataView, b: number, total: number): void {
    const linkType = dv.getUint16(b + 8, this.le);
    const snaplen = dv.getUint32(b + 12, this.le);
    let resol = 6;
    let base2 = false;
    let offsetSec = 0n;
    // Options: code u16, length u16, value padded to 4 bytes; 0 ends them.
    let p = b + 16;
    const end = b + total - 4;
    while (p + 4 <= end) {
      const code = dv.getUint16(p, this.le);
      const len = dv.getUint16(p + 2, this.le);
      if (code === 0 || p + 4 + len > end) break;
      if (code === 9 && len >= 1) {
        const v = dv.getUint8(p + 4);
        base2 = (v & 0x80) !== 0;
        resol = v & 0x7f;
      } else if (code === 14 && len >= 8) {
        offsetSec = dv.getBigInt64(p + 4, this.le);
      }
      p += 4 + ((len + 3) & ~3);
    }
    let num: bigint;
    let den: bigint;
    let factor = 0;
    if (base2) {
      num = 1_000_000_000n;
      den = 1n << BigInt(resol);
    } else if (resol <= 9) {
      num = 10n ** BigInt(9 - resol);
      den = 1n;
      factor = Number(num);
    } else {
      num = 1n;
      den = 10n ** BigInt(resol - 9);
    }
    this.ifaces.push({
      linkType,
      supported: linkTypeSupported(linkType),
      snaplen,
      factor,
      num,
      den,
      offsetNs: offsetSec * 1_000_000_000n,
    });
  }

  private warnOnce(ifId: number, msg: string): void {
    if (this.warnedIfaces.has(ifId)) return;
    this.warnedIfaces.add(ifId);
    this.warnings.push(`${this.file}: ${msg}`);
  }

  private end(): void {
    if (this.input.error)
      this.warnings.push(`${this.file}: ${this.input.error}; the trace ends at the last whole packet`);
    else if (this.input.available > 0) {
      this.warnings.push(
        `${this.file}: ${this.input.available} bytes at the end of the file are not a whole block; ignored`,
      );
    }
    this.done = true;
  }

  private corrupt(row: number, msg: string): number {
    this.warnings.push(`${this.file}: ${msg}`);
    this.done = true;
    return row;
  }

  progress() {
    return { read: this.input.fileBytesRead, total: this.input.fileSize };
  }

  async close(): Promise<void> {
    await this.input.close();
  }
}
