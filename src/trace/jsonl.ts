/**
 * Reads a `.jsonl` trace: one JSON packet per line (the scenario packet
 * format, DESIGN.md). A line that is not valid JSON or not a valid packet is
 * a malformed packet (S22), never a reason to stop.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { writePacket, type PacketBatch } from './batch.js';
import { decodeJsonPacket } from './json-packet.js';
import type { Packet } from './packet.js';
import type { TraceReader } from './reader.js';

/** How many malformed-line reasons to keep for the warning. */
const KEEP_REASONS = 3;

/** A JSONL trace file. */
export class JsonlTrace implements TraceReader {
  readonly format = 'jsonl';
  readonly warnings: string[] = [];
  private malformed = 0;
  private lineNo = 0;
  private bytes = 0;
  private readonly lines: AsyncIterator<string>;
  private done = false;

  private constructor(
    readonly file: string,
    private readonly size: number,
  ) {
    const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    this.lines = rl[Symbol.asyncIterator]();
  }

  static async open(file: string): Promise<JsonlTrace> {
    return new JsonlTrace(file, (await stat(file)).size);
  }

  async next(batch: PacketBatch): Promise<number> {
    let row = 0;
    while (row < batch.capacity && !this.done) {
      const r = await this.lines.next();
      if (r.done) {
        this.done = true;
        if (this.malformed > KEEP_REASONS)
          this.warnings.push(`${this.file}: ${this.malformed} malformed packets in all`);
        break;
      }
      const line = r.value;
      this.lineNo++;
      this.bytes += line.length + 1;
      if (line.trim() === '') continue;
      let p: Packet;
      try {
        p = decodeJsonPacket(JSON.parse(line));
      } catch (e) {
        p = { kind: 'malformed', ts: null, len: 0, reason: `not valid JSON (${(e as Error).message})` };
      }
      if (p.kind === 'malformed') {
        this.malformed++;
        if (this.malformed <= KEEP_REASONS) {
          this.warnings.push(
            `${this.file}: line ${this.lineNo}: malformed packet (counted; the replay goes on): ${p.reason}`,
          );
        }
      }
      writePacket(batch, row++, p);
    }
    return row;
  }

  progress() {
    return { read: Math.min(this.bytes, this.size), total: this.size };
  }

  async close(): Promise<void> {
    await this.lines.return?.();
  }
}

/** A list of packets in memory as a trace (scenarios, tests). */
export class PacketListReader implements TraceReader {
  readonly format = 'packets';
  readonly file = '(packets)';
  readonly warnings: string[] = [];
  private at = 0;

  constructor(private readonly packets: readonly Packet[]) {}

  async next(batch: PacketBatch): Promise<number> {
    const n = Math.min(batch.capacity, this.packets.length - this.at);
    for (let i = 0; i < n; i++) writePacket(batch, i, this.packets[this.at + i]!);
    this.at += n;
    return n;
  }

  progress() {
    return { read: this.at, total: this.packets.length };
  }

  async close(): Promise<void> {}
}
