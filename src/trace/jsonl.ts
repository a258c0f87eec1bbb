/**
 * Reads a `.jsonl` trace: one JSON packet per line (the scenario packet
 * format, DESIGN.md). A line that is not valid JSON or not a valid packet is
 * a malformed packet (S22), never a reason to stop.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { decodeJsonPacket } from './json-packet.js';
import type { Packet } from './packet.js';
import type { TraceSource } from './source.js';

const CHUNK = 4096;
/** How many malformed-line reasons to keep for the warning. */
const KEEP_REASONS = 3;

/** A JSONL trace file. */
export class JsonlTrace implements TraceSource {
  readonly format = 'jsonl';
  readonly warnings: string[] = [];
  private malformed = 0;

  constructor(readonly file: string) {}

  async *chunks(): AsyncGenerator<Packet[]> {
    const lines = createInterface({ input: createReadStream(this.file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let chunk: Packet[] = [];
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let p: Packet;
      try {
        p = decodeJsonPacket(JSON.parse(line));
      } catch (e) {
        p = { kind: 'malformed', ts: null, len: 0, reason: `not valid JSON (${(e as Error).message})` };
      }
      if (p.kind === 'malformed') {
        this.malformed++;
        if (this.malformed <= KEEP_REASONS)
          this.warnings.push(
            `${this.file}: line ${lineNo}: malformed packet (counted; the replay goes on): ${p.reason}`,
          );
      }
      chunk.push(p);
      if (chunk.length === CHUNK) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
    if (this.malformed > KEEP_REASONS) this.warnings.push(`${this.file}: ${this.malformed} malformed packets in all`);
  }
}
