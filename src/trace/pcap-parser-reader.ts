/**
 * `--reader pcap-parser`: classic pcap through the `pcap-parser` package,
 * frames decoded by our FrameDecoder. The independent second implementation
 * of pcap record parsing that tests compare ours against, and a choice for
 * users who want it. Its limits (from its source): microsecond pcap only, no
 * pcapng, a record cut short at the end is dropped silently, and a lying
 * record length makes it buffer the rest of the file.
 */
import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import { TraceError } from '../errors.js';
import type { PacketBatch } from './batch.js';
import { FrameDecoder, linkTypeName, linkTypeSupported } from './frame.js';
import { mulAdd, putTime, type TraceReader } from './reader.js';

interface ParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

interface Parser {
  on(ev: 'globalHeader', f: (h: { linkLayerType: number }) => void): void;
  on(ev: 'packet', f: (p: ParserPacket) => void): void;
  on(ev: 'end', f: () => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  stream: { pause(): void; resume(): void; destroy(): void };
}

const require = createRequire(import.meta.url);

/** A pcap read through pcap-parser. */
export class PcapParserReader implements TraceReader {
  readonly format = 'pcap (pcap-parser)';
  readonly warnings: string[] = [];
  private queue: ParserPacket[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  private decoder: FrameDecoder | null = null;
  private readonly t: [number, number] = [0, 0];
  private bytes = 0;

  private constructor(
    readonly file: string,
    private readonly parser: Parser,
    private readonly size: number,
  ) {
    // pcap-parser emits the header and the first chunk's packets in one go: listen before the header arrives.
    parser.on('packet', (p) => {
      this.queue.push(p);
      this.bytes += 16 + p.data.length;
      if (this.queue.length >= 65536) parser.stream.pause();
      this.poke();
    });
    parser.on('end', () => {
      this.ended = true;
      this.poke();
    });
  }

  private linkType = 1;

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  static async open(file: string): Promise<PcapParserReader> {
    const size = (await stat(file)).size;
    const pcapp = require('pcap-parser') as { parse(input: string): Parser };
    const parser = pcapp.parse(file);
    const reader = new PcapParserReader(file, parser, size);
    const linkType = await new Promise<number>((resolve, reject) => {
      parser.on('globalHeader', (h) => resolve(h.linkLayerType & 0xffff));
      parser.on('error', (e) => reject(new TraceError(file, `pcap-parser: ${e.message}`)));
      parser.on('end', () => reject(new TraceError(file, 'pcap-parser: not a pcap file')));
    });
    if (!linkTypeSupported(linkType)) {
      parser.stream.destroy();
      throw new TraceError(file, `pcap link type ${linkTypeName(linkType)} is not supported`);
    }
    reader.linkType = linkType;
    return reader;
  }

  async next(batch: PacketBatch): Promise<number> {
    if (this.decoder === null) this.decoder = new FrameDecoder(batch);
    else this.decoder.setBatch(batch);
    let row = 0;
    while (row < batch.capacity) {
      if (this.queue.length === 0) {
        if (this.ended) break;
        this.parser.stream.resume();
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      const p = this.queue.shift()!;
      mulAdd(p.header.timestampSeconds, 1_000_000_000, p.header.timestampMicroseconds * 1000, this.t);
      putTime(batch.tsWords, row, this.t[0], this.t[1]);
      batch.capIf[row] = 0;
      const dv = new DataView(p.data.buffer, p.data.byteOffset, p.data.length);
      this.decoder.decode(p.data, dv, 0, p.header.capturedLength, p.header.originalLength, this.linkType, row);
      row++;
    }
    return row;
  }

  progress() {
    return { read: Math.min(this.bytes, this.size), total: this.size };
  }

  async close(): Promise<void> {
    this.parser.stream.destroy();
  }
}
