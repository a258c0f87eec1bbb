/**
 * The Arrow trace format (`ctreplay/trace@1`): one row per packet, one column
 * per PacketBatch field, so reading is a copy of each column into the
 * engine's typed arrays (no row objects) and writing is the reverse. IPC file
 * and stream are both read; files through a FileHandle (random access), so
 * nothing buffers the whole file.
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
import { createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import * as A from 'apache-arrow';
import { TraceError } from '../errors.js';
import type { PacketBatch } from './batch.js';
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
  private readonly writer: A.RecordBatchWriter;
  private readonly out: ReturnType<typeof createWriteStream>;
  private readonly finished: Promise<void>;

  constructor(file: string, format: 'file' | 'stream' = 'file') {
    this.writer = format === 'file' ? new A.RecordBatchFileWriter() : new A.RecordBatchStreamWriter();
    this.out = createWriteStream(file);
    this.finished = new Promise((resolve, reject) => {
      this.out.on('finish', resolve);
      this.out.on('error', reject);
    });
    this.writer.pipe(this.out);
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
    this.writer.finish();
    await this.finished;
  }
}

/** Reads an Arrow trace batch by batch into PacketBatches. */
export class ArrowTraceReader implements TraceReader {
  readonly warnings: string[] = [];
  private current: A.RecordBatch | null = null;
  private offset = 0;
  private iterator: AsyncIterator<A.RecordBatch> | null = null;
  private sources: Array<{ name: string; values: Typed; width: number; base: number }> = [];
  private bytesRead = 0;

  private constructor(
    readonly file: string,
    readonly format: string,
    private readonly reader: A.AsyncRecordBatchFileReader | A.AsyncRecordBatchStreamReader,
    private readonly fh: import('node:fs/promises').FileHandle,
    private readonly size: number,
  ) {}

  static async open(file: string): Promise<ArrowTraceReader> {
    const fh = await open(file, 'r');
    let reader: A.AsyncRecordBatchFileReader | A.AsyncRecordBatchStreamReader;
    try {
      reader = (await A.RecordBatchReader.from(fh)) as A.AsyncRecordBatchFileReader | A.AsyncRecordBatchStreamReader;
      await reader.open();
    } catch (e) {
      await fh.close();
      throw new TraceError(file, `not a readable Arrow IPC file or stream (${(e as Error).message})`);
    }
    const schema = reader.schema;
    const version = schema?.metadata.get('ctreplay.trace');
    if (schema === undefined || version === undefined) {
      await fh.close();
      throw new TraceError(
        file,
        'an Arrow file, but not a ctreplay trace (no ctreplay.trace schema metadata; write one with `ctreplay convert`)',
      );
    }
    if (version !== ARROW_TRACE_VERSION) {
      await fh.close();
      throw new TraceError(
        file,
        `ctreplay trace format version ${version} is not supported (this ctreplay reads version ${ARROW_TRACE_VERSION})`,
      );
    }
    for (const [name, type] of COLUMNS) {
      const f = schema.fields.find((x: A.Field) => x.name === name);
      if (f === undefined) throw new TraceError(file, `Arrow trace column "${name}" is missing`);
      if (String(f.type) !== String(type))
        throw new TraceError(file, `Arrow trace column "${name}" has type ${f.type}, expected ${type}`);
    }
    const size = (await stat(file)).size;
    return new ArrowTraceReader(file, reader.isFile() ? 'arrow' : 'arrow-stream', reader, fh, size);
  }

  private async nextRecordBatch(): Promise<boolean> {
    this.iterator ??= this.reader[Symbol.asyncIterator]();
    for (;;) {
      const r = await this.iterator.next();
      if (r.done) return false;
      const rb = r.value;
      if (rb.numRows === 0) continue;
      this.current = rb;
      this.offset = 0;
      this.sources = COLUMNS.map(([name, , width], k) => {
        const d = rb.getChildAt(k)!.data[0]! as A.Data;
        if (width === 4) {
          const child = d.children[0]! as A.Data;
          return { name, values: child.values as Typed, width, base: (d.offset + child.offset) * 1 };
        }
        return { name, values: d.values as Typed, width, base: d.offset };
      });
      this.bytesRead += rb.numRows * 120;
      return true;
    }
  }

  async next(batch: PacketBatch): Promise<number> {
    let row = 0;
    while (row < batch.capacity) {
      if (this.current === null || this.offset >= this.current.numRows) {
        if (!(await this.nextRecordBatch())) {
          this.current = null;
          break;
        }
      }
      const n = Math.min(batch.capacity - row, this.current!.numRows - this.offset);
      for (const s of this.sources) {
        const from = (s.base + this.offset) * s.width;
        (column(batch, s.name) as Uint8Array).set(
          s.values.subarray(from, from + n * s.width) as Uint8Array,
          row * s.width,
        );
      }
      this.offset += n;
      row += n;
    }
    return row;
  }

  progress() {
    return { read: Math.min(this.bytesRead, this.size), total: this.size };
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
