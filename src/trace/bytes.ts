/**
 * A pull-based byte input over a file, plain or gzip (streamed), with one
 * reused buffer: readers ask for `need` contiguous bytes and decode in place.
 * A record larger than `maxRecord` is never buffered: the reader is told the
 * file is corrupt instead (a lying length field must not allocate).
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

const INITIAL = 1 << 20;

/** Chunked bytes of a file. */
export class ByteInput {
  buf: Uint8Array = new Uint8Array(INITIAL);
  dv = new DataView(this.buf.buffer);
  /** Valid bytes are buf[start, end). */
  start = 0;
  end = 0;
  /** Bytes of the (decompressed) stream before buf[0]. */
  base = 0;
  eof = false;
  /** Plain files are read synchronously: a read of the page cache is cheaper than a thread-pool round trip. */
  private fd: number | null = null;
  private gz: AsyncIterator<Buffer> | null = null;
  private pending: Buffer | null = null;
  private pendingAt = 0;
  /** Why the input ended early (a damaged gzip stream), if it did. */
  error: string | null = null;
  /** File bytes read (compressed bytes for gzip), for progress. */
  fileBytesRead = 0;

  private constructor(
    readonly file: string,
    readonly gzip: boolean,
    readonly fileSize: number,
  ) {}

  /** Opens a file; `gzip` streams it through gunzip. */
  static async open(file: string, gzip: boolean): Promise<ByteInput> {
    const size = (await stat(file)).size;
    const input = new ByteInput(file, gzip, size);
    if (gzip) {
      const raw = createReadStream(file, { highWaterMark: 1 << 20 });
      raw.on('data', (c: Buffer | string) => {
        input.fileBytesRead += c.length;
      });
      const gunzip = createGunzip({ chunkSize: 1 << 20 });
      raw.pipe(gunzip);
      input.gz = gunzip[Symbol.asyncIterator]();
    } else {
      input.fd = openSync(file, 'r');
    }
    return input;
  }

  /** Bytes available in the buffer. */
  get available(): number {
    return this.end - this.start;
  }

  /**
   * Makes at least `need` bytes available, reading more as needed; false if
   * the input ends first. The buffer grows by doubling only while data keeps
   * arriving, so a length field that lies costs no memory.
   */
  async fill(need: number): Promise<boolean> {
    if (this.end - this.start >= need) return true;
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    while (this.end < need && !this.eof) {
      if (this.end === this.buf.length) {
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf.subarray(0, this.end));
        this.buf = bigger;
        this.dv = new DataView(bigger.buffer);
      }
      const n = await this.readInto(this.buf, this.end, this.buf.length - this.end);
      if (n === 0) this.eof = true;
      this.end += n;
    }
    return this.end - this.start >= need;
  }

  private async readInto(dst: Uint8Array, at: number, max: number): Promise<number> {
    if (this.fd !== null) {
      const bytesRead = readSync(this.fd, dst, at, max, null);
      this.fileBytesRead += bytesRead;
      return bytesRead;
    }
    if (this.pending === null) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.gz!.next();
      } catch (e) {
        // A damaged or cut-short gzip stream ends the input; the reader reports what it got.
        this.error = `gzip: ${(e as Error).message}`;
        return 0;
      }
      if (r.done) return 0;
      this.pending = r.value;
      this.pendingAt = 0;
    }
    const n = Math.min(max, this.pending.length - this.pendingAt);
    dst.set(this.pending.subarray(this.pendingAt, this.pendingAt + n), at);
    this.pendingAt += n;
    if (this.pendingAt === this.pending.length) this.pending = null;
    return n;
  }

  /** Offset in the (decompressed) stream of buf[start]. */
  get position(): number {
    return this.base + this.start;
  }

  async close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.gz !== null) await this.gz.return?.();
    this.gz = null;
  }
}
