/**
 * The interface every trace reader offers: fill a batch the consumer owns
 * (the engine's, in WASM memory, or a shared one) with the next packets, in
 * trace order. No object per packet.
 */
import type { PacketBatch } from './batch.js';

/** A trace being read. */
export interface TraceReader {
  /** The format recognised (pcap, pcapng, arrow, jsonl, … with "+gzip"). */
  readonly format: string;
  readonly file: string;
  /** Warnings for stderr (truncation, malformed lines, unsupported interfaces). */
  readonly warnings: string[];
  /** Fills rows [0, k) of `batch` (k ≤ capacity) with the next packets; resolves to k, 0 at the end. */
  next(batch: PacketBatch): Promise<number>;
  /** Bytes of the file read so far and its size, for progress. */
  progress(): { read: number; total: number };
  close(): Promise<void>;
}

/** Writes an i64 time (ns) into row `row` of the batch's ts column as two 32-bit words (no BigInt). */
export function putTime(words: Uint32Array, row: number, hi: number, lo: number): void {
  words[2 * row] = lo >>> 0;
  words[2 * row + 1] = hi >>> 0;
}

const TWO32 = 4294967296;

/**
 * a × m + c as 64-bit (hi, lo) words, exactly, for a < 2^32, m ≤ 10^9 < 2^30,
 * c < 2^32 — the conversion of (seconds, fraction) to ns without BigInt.
 */
export function mulAdd(a: number, m: number, c: number, out: [number, number]): void {
  const aHi = Math.floor(a / 65536);
  const aLo = a - aHi * 65536;
  const hiPart = aHi * m; // < 2^46, to be shifted left 16
  const low = aLo * m + c; // < 2^47
  const hiA = Math.floor(hiPart / 65536);
  const loA = (hiPart - hiA * 65536) * 65536;
  const hiB = Math.floor(low / TWO32);
  const loB = low - hiB * TWO32;
  let lo = loA + loB;
  let hi = hiA + hiB;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi += 1;
  }
  out[0] = hi;
  out[1] = lo;
}
