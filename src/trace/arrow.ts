/**
 * The Arrow trace format (`ctreplay/trace@1`): one row per packet, one column
 * per PacketBatch field, so reading is a copy of each column into the
 * engine's typed arrays (no row objects) and writing is the reverse. IPC file
 * and stream are both read, streamed through a FileHandle with one reused
 * buffer: nothing holds the whole file.
 *
 * Columns (no nulls):
 *   ts        int64            time in ns since the epoch; −1 unreadable
 *   kind      uint8            0 malformed, 1 not IP, 4 IPv4, 6 IPv6
 *   src, dst  fixed_size_list<uint32>[4]  address as four 32-bit words, most
 *                              significant first; IPv4 in word 0, zeros after
 *   proto     uint8            IP protocol (after IPv6 extension headers)
 *   sport, dport uint16        TCP/UDP ports
 *   tcpFlags  uint8            TCP flag bits (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128)
 *   icmpType, icmpCode uint8, icmpId uint16
 *   fragFlags uint8            1 fragment, 2 not the first, 4 more fragments, 8 has a quote
 *   fragId    uint32           IP identification (IPv4 16 bits, IPv6 32 bits)
 *   qSrc, qDst fixed_size_list<uint32>[4], qProto uint8, qSport, qDport uint16,
 *   qType, qCode uint8, qId uint16   the header quoted in an ICMP error (valid when fragFlags & 8)
 *   len       uint32           IP datagram length in bytes
 *   capIf     uint16           capture interface (pcapng interface id)
 * Schema metadata: ctreplay.trace = "1".
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import * as A from 'apache-arrow';
import { TraceError } from '../errors.js';
import { ArrowDamage, decodeFooter, decodeMessage, type ArrowMessage, type FileBlock } from './arrow-ipc.js';
import type { PacketBatch } from './batch.js';
import { ByteInput } from './bytes.js';
import type { TraceReader } from './reader.js';

/** Schema version written in the metadata. */
export const ARROW_TRACE_VERSION = '1';

type Column = readonly [name: keyof PacketBatch & string, type: A.DataType, width: 1 | 4];

const u32x4 = () => new A.FixedSizeList(4, new A.Field('word', new A.Uint32(), false));

/** The columns, in order. */
export const COLUMNS: readonly Column[] = [
  ['ts', new A.Int64(), 1],
  ['kind', new A.Uint8(), 1],
  ['src', u32x4(), 4],
  ['dst', u32x4(), 4],
  ['proto', new A.Uint8(), 1],
  ['sport', new A.Uint16(), 1],
  ['dport', new A.Uint16(), 1],
  ['tcpFlags', new A.Uint8(), 1],
  ['icmpType', new A.Uint8(), 1],
  ['icmpCode', new A.Uint8(), 1],
  ['icmpId', new A.Uint16(), 1],
  ['fragFlags', new A.Uint8(), 1],
  ['fragId', new A.Uint32(), 1],
  ['qSrc', u32x4(), 4],
  ['qDst', u32x4(), 4],
  ['qProto', new A.Uint8(), 1],
  ['qSport', new A.Uint16(), 1],
  ['qDport', new A.Uint16(), 1],
  ['qType', new A.Uint8(), 1],
  ['qCode', new A.Uint8(), 1],
  ['qId', new A.Uint16(), 1],
  ['len', new A.Uint32(), 1],
  ['capIf', new A.Uint16(), 1],
];

/** The Arrow schema of trace@1. */
export function traceSchema(): A.Schema {
  return new A.Schema(
    COLUMNS.map(([name, type]) => new A.Field(name, type, false)),
    new Map([['ctreplay.trace', ARROW_TRACE_VERSION]]),
  );
}

type Typed = BigInt64Array | Uint32Array | Uint16Array | Uint8Array;

function column(b: PacketBatch, name: string): Typed {
  return (b as unknown as Record<string, Typed>)[name]!;
}

/** Writes batches of packets as an Arrow IPC file (or stream), one record batch per call. */
export class ArrowTraceWriter {
  private readonly schema = traceSchema();
  private readonly fd: number;
  private readonly writer: A.RecordBatchWriter;

  constructor(file: string, format: 'file' | 'stream' = 'file') {
    this.fd = openSync(file, 'w');
    this.writer = format === 'file' ? new SyncFileWriter(this.fd) : new SyncStreamWriter(this.fd);
  }

  /** Writes rows [0, n) of the batch (copied: the batch may be reused). */
  write(b: PacketBatch, n: number): void {
    if (n === 0) return;
    const children = COLUMNS.map(([name, type, width]) => {
      const values = column(b, name).slice(0, n * width);
      if (width === 4) {
        const child = A.makeData({ type: new A.Uint32(), length: 4 * n, nullCount: 0, data: values as Uint32Array });
        return A.makeData({ type: type as A.FixedSizeList, length: n, nullCount: 0, child });
      }
      return A.makeData({ type, length: n, nullCount: 0, data: values } as never);
    });
    const data = A.makeData({ type: new A.Struct(this.schema.fields), length: n, nullCount: 0, children });
    this.writer.write(new A.RecordBatch(this.schema, data));
  }

  /** Finishes the file. */
  async close(): Promise<void> {
    // An empty trace still gets its schema (and footer).
    if (!(this.writer as unknown as { _started: boolean })._started) this.writer.reset(undefined, this.schema);
    this.writer.finish();
    closeSync(this.fd);
  }
}

/**
 * apache-arrow's writers queue their bytes until the event loop drains them
 * into a stream: a producer that never yields (generate, convert of a file
 * read synchronously) would hold the whole trace in memory. These write each
 * chunk to the file as it is made, so memory stays at one record batch.
 */
function writeChunk(fd: number, chunk: unknown): number {
  const v = chunk as ArrayBufferView;
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done);
  return bytes.byteLength;
}

class SyncFileWriter extends A.RecordBatchFileWriter {
  constructor(private readonly fd: number) {
    super();
  }
  protected override _write(chunk: Parameters<A.RecordBatchWriter['_write']>[0]): this {
    if (this._started) this._position += writeChunk(this.fd, chunk);
    return this;
  }
}

class SyncStreamWriter extends A.RecordBatchStreamWriter {
  constructor(private readonly fd: number) {
    super();
  }
  protected override _write(chunk: Parameters<A.RecordBatchWriter['_write']>[0]): this {
    if (this._started) this._position += writeChunk(this.fd, chunk);
    return this;
  }
}

/** Bytes per element of each column type. */
function elemBytes(type: A.DataType): number {
  if (type instanceof A.FixedSizeList) return 4;
  return (type as A.Int).bitWidth / 8;
}

interface Placement {
  readonly name: string;
  /** A column of the quoted header (copied only when a row has one). */
  readonly quote: boolean;
  /** Index of the values buffer in the record batch. */
  readonly buffer: number;
  /** Bytes per row. */
  readonly rowBytes: number;
}

/**
 * Reads an Arrow trace (IPC file or stream) batch by batch into
 * PacketBatches: each column is one copy from the file's bytes (see
 * arrow-ipc.ts for why apache-arrow is not used to read).
 */
export class ArrowTraceReader implements TraceReader {
  readonly warnings: string[] = [];
  private placements: Placement[] = [];
  /** The record batch being consumed: its body's position in the input buffer, rows, next row. */
  private body = 0;
  private buffers: Array<[number, number]> = [];
  private rows = 0;
  private next0 = 0;
  private done = false;

  private constructor(
    readonly file: string,
    readonly format: string,
    private readonly input: ByteInput,
    /** Stream position where messages end, or Infinity. */
    private readonly messagesEnd: number,
  ) {}

  /** Opens an Arrow IPC stream (files go to ArrowFileTraceReader). */
  static async openStream(file: string): Promise<ArrowTraceReader> {
    const input = await ByteInput.open(file, false);
    const r = new ArrowTraceReader(file, 'arrow-stream', input, Infinity);
    let schema: ArrowMessage | null;
    try {
      schema = await r.message();
    } catch (e) {
      await input.close();
      if (e instanceof ArrowDamage) throw new TraceError(file, `not a readable Arrow trace (${e.message})`);
      throw e;
    }
    if (schema === null || schema.kind !== 'schema') {
      await input.close();
      throw new TraceError(file, 'not a readable Arrow trace (it does not start with a schema)');
    }
    try {
      r.placements = placements(file, schema);
    } catch (e) {
      await input.close();
      throw e;
    }
    return r;
  }

  /** Reads the next message's metadata (and makes its body available); null at the end. */
  private async message(): Promise<ArrowMessage | null> {
    const input = this.input;
    if (input.position >= this.messagesEnd) return null;
    if (!(await input.fill(8))) return null;
    let len = input.dv.getInt32(input.start, true);
    let prefix = 4;
    if (len === -1) {
      len = input.dv.getInt32(input.start + 4, true);
      prefix = 8;
    }
    if (len === 0) return null; // end of stream
    if (len < 0 || len > 1 << 24) throw new ArrowDamage(`message metadata length ${len}`);
    if (!(await input.fill(prefix + len))) throw new ArrowDamage('the file ends inside a message');
    const msg = decodeMessage(input.dv, input.start + prefix, input.start + prefix + len);
    if (!(await input.fill(prefix + len + msg.bodyLength)))
      throw new ArrowDamage('the file ends inside a message body');
    this.body = input.start + prefix + len;
    input.start += prefix + len + msg.bodyLength;
    return msg;
  }

  private async nextRecordBatch(): Promise<boolean> {
    for (;;) {
      let m: ArrowMessage | null;
      try {
        m = await this.message();
      } catch (e) {
        if (!(e instanceof ArrowDamage)) throw e;
        this.warnings.push(
          `${this.file}: damaged Arrow message (${e.message}); the trace ends at the last whole batch`,
        );
        return false;
      }
      if (m === null) return false;
      if (m.kind !== 'recordBatch') continue;
      if (m.compressed || !batchFits(m, this.placements)) {
        this.warnings.push(
          `${this.file}: ${m.compressed ? 'a compressed Arrow record batch (not supported; write without compression)' : 'a damaged Arrow record batch'}; the trace ends there`,
        );
        return false;
      }
      if (m.length === 0) continue;
      this.buffers = m.buffers;
      this.rows = m.length;
      this.next0 = 0;
      return true;
    }
  }

  async next(batch: PacketBatch): Promise<number> {
    let row = 0;
    while (row < batch.capacity && !this.done) {
      if (this.next0 >= this.rows) {
        if (!(await this.nextRecordBatch())) {
          this.done = true;
          break;
        }
      }
      const n = Math.min(batch.capacity - row, this.rows - this.next0);
      const buf = this.input.buf;
      for (const p of this.placements) {
        const col = column(batch, p.name);
        const src = this.body + this.buffers[p.buffer]![0] + this.next0 * p.rowBytes;
        new Uint8Array(col.buffer, col.byteOffset + row * p.rowBytes, n * p.rowBytes).set(
          buf.subarray(src, src + n * p.rowBytes),
        );
      }
      this.next0 += n;
      row += n;
    }
    return row;
  }

  progress() {
    return { read: this.input.fileBytesRead, total: this.input.fileSize };
  }

  async close(): Promise<void> {
    await this.input.close();
  }
}

/**
 * Reads an Arrow IPC *file* by position: the footer lists the record
 * batches, and each needed column range is read from the file straight into
 * the consumer's batch (for the WASM engine, its linear memory): one copy,
 * and the quote columns only when a row is an ICMP error with a quote.
 */
export class ArrowFileTraceReader implements TraceReader {
  readonly format = 'arrow';
  readonly warnings: string[] = [];
  private block = 0;
  /** The record batch being consumed. */
  private bodyAt = 0;
  private buffers: Array<[number, number]> = [];
  private rows = 0;
  private next0 = 0;
  private read = 0;
  private readonly ffScratch = new Uint8Array(65536);

  private constructor(
    readonly file: string,
    private readonly fd: number,
    private readonly size: number,
    private readonly blocks: readonly FileBlock[],
    private readonly placements: readonly Placement[],
  ) {}

  static async open(file: string): Promise<ArrowFileTraceReader> {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const tail = Buffer.alloc(10);
      readSync(fd, tail, 0, 10, Math.max(0, size - 10));
      const footerLen = tail.readInt32LE(0);
      if (
        size < 18 ||
        tail.subarray(4, 10).toString('latin1') !== 'ARROW1' ||
        footerLen <= 0 ||
        footerLen > Math.min(size - 18, 1 << 26)
      ) {
        throw new TraceError(file, 'a damaged Arrow file (its footer is missing or cut short)');
      }
      const footer = Buffer.alloc(footerLen);
      readSync(fd, footer, 0, footerLen, size - 10 - footerLen);
      let decoded;
      try {
        decoded = decodeFooter(new DataView(footer.buffer, footer.byteOffset, footerLen), 0, footerLen);
      } catch (e) {
        if (e instanceof ArrowDamage) throw new TraceError(file, `a damaged Arrow file (${e.message})`);
        throw e;
      }
      const places = placements(file, decoded.schema);
      return new ArrowFileTraceReader(file, fd, size, decoded.blocks, places);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Reads the metadata of the next record batch; false at the end (or on damage, with a warning). */
  private nextRecordBatch(): boolean {
    while (this.block < this.blocks.length) {
      const b = this.blocks[this.block++]!;
      if (b.offset + b.metaDataLength + b.bodyLength > this.size - 10) {
        this.warnings.push(`${this.file}: a record batch lies outside the file; the trace ends there`);
        return false;
      }
      const meta = Buffer.alloc(b.metaDataLength);
      readSync(this.fd, meta, 0, b.metaDataLength, b.offset);
      let m: ArrowMessage;
      try {
        const dv = new DataView(meta.buffer, meta.byteOffset, meta.length);
        const prefix = dv.getInt32(0, true) === -1 ? 8 : 4;
        m = decodeMessage(dv, prefix, meta.length);
      } catch (e) {
        if (!(e instanceof ArrowDamage)) throw e;
        this.warnings.push(
          `${this.file}: damaged Arrow message (${e.message}); the trace ends at the last whole batch`,
        );
        return false;
      }
      if (m.kind !== 'recordBatch') continue;
      if (m.compressed || !batchFits(m, this.placements)) {
        this.warnings.push(
          `${this.file}: ${m.compressed ? 'a compressed Arrow record batch (not supported; write without compression)' : 'a damaged Arrow record batch'}; the trace ends there`,
        );
        return false;
      }
      if (m.length === 0) continue;
      this.bodyAt = b.offset + b.metaDataLength;
      this.buffers = m.buffers;
      this.rows = m.length;
      this.next0 = 0;
      return true;
    }
    return false;
  }

  async next(batch: PacketBatch): Promise<number> {
    let row = 0;
    while (row < batch.capacity) {
      if (this.next0 >= this.rows && !this.nextRecordBatch()) break;
      const n = Math.min(batch.capacity - row, this.rows - this.next0, this.ffScratch.length);
      // fragFlags first: it says whether any row carries a quote.
      let quotes = false;
      for (const p of this.placements) {
        if (p.name !== 'fragFlags') continue;
        this.readColumn(batch, p, row, n);
        const ff = batch.fragFlags;
        for (let k = row; k < row + n; k++) {
          if (ff[k]! & 8) {
            quotes = true;
            break;
          }
        }
      }
      for (const p of this.placements) {
        if (p.name === 'fragFlags' || (!quotes && p.quote)) continue;
        this.readColumn(batch, p, row, n);
      }
      this.next0 += n;
      row += n;
    }
    return row;
  }

  private readColumn(batch: PacketBatch, p: Placement, row: number, n: number): void {
    const col = column(batch, p.name);
    const bytes = n * p.rowBytes;
    const got = readSync(
      this.fd,
      new Uint8Array(col.buffer, col.byteOffset + row * p.rowBytes, bytes),
      0,
      bytes,
      this.bodyAt + this.buffers[p.buffer]![0] + this.next0 * p.rowBytes,
    );
    this.read += got;
    if (got !== bytes) throw new TraceError(this.file, 'the file changed while it was read');
  }

  progress() {
    return { read: Math.min(this.size, Math.round(this.read * 1.66)), total: this.size };
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }
}

/** The record batch has the buffers of trace@1, each long enough for its rows. */
function batchFits(m: Extract<ArrowMessage, { kind: 'recordBatch' }>, places: readonly Placement[]): boolean {
  return (
    m.buffers.length === 2 * COLUMNS.length + COLUMNS.filter((c) => c[2] === 4).length &&
    places.every((p) => m.buffers[p.buffer]![1] >= m.length * p.rowBytes)
  );
}

/** Checks a schema against trace@1 and places each column's values buffer. */
function placements(file: string, m: Extract<ArrowMessage, { kind: 'schema' }>): Placement[] {
  const version = m.metadata.get('ctreplay.trace');
  if (version === undefined) {
    throw new TraceError(
      file,
      'an Arrow file, but not a ctreplay trace (no ctreplay.trace schema metadata; write one with `ctreplay convert`)',
    );
  }
  if (version !== ARROW_TRACE_VERSION) {
    throw new TraceError(
      file,
      `ctreplay trace format version ${version} is not supported (this ctreplay reads version ${ARROW_TRACE_VERSION})`,
    );
  }
  const want = (type: A.DataType): string =>
    type instanceof A.FixedSizeList
      ? `fixed_size_list<${type.listSize}>`
      : `int${(type as A.Int).bitWidth}${(type as A.Int).isSigned ? 's' : 'u'}`;
  const out: Placement[] = [];
  let buffer = 0;
  if (m.fields.length !== COLUMNS.length)
    throw new TraceError(file, `an Arrow trace has ${COLUMNS.length} columns; this one has ${m.fields.length}`);
  for (const f of m.fields) {
    const c = COLUMNS.find((x) => x[0] === f.name);
    if (c === undefined) throw new TraceError(file, `unexpected Arrow trace column "${f.name}"`);
    if (f.type !== want(c[1]))
      throw new TraceError(file, `Arrow trace column "${f.name}" has type ${f.type}, expected ${want(c[1])}`);
    if (c[2] === 4) {
      if (f.children.length !== 1 || f.children[0]!.type !== 'int32u')
        throw new TraceError(file, `Arrow trace column "${f.name}" must hold uint32 words`);
      out.push({ name: c[0], buffer: buffer + 2, rowBytes: 16, quote: c[0].startsWith('q') });
      buffer += 3;
    } else {
      out.push({ name: c[0], buffer: buffer + 1, rowBytes: elemBytes(c[1]), quote: c[0].startsWith('q') });
      buffer += 2;
    }
  }
  return out;
}
