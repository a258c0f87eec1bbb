/**
 * Opening a trace: the format is recognised by content, never by file name
 * (DESIGN.md). A file that is no known trace format is refused (TraceError,
 * exit 2) before any packet is processed.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { TraceError } from '../errors.js';
import { JsonlTrace } from './jsonl.js';
import type { Packet } from './packet.js';

/** A readable trace. */
export interface TraceSource {
  /** The format recognised. */
  readonly format: string;
  readonly file: string;
  /** Packets in trace order, in chunks. */
  chunks(): AsyncIterable<Packet[]>;
  /** Warnings found while reading (malformed lines, truncation), for stderr. */
  readonly warnings: readonly string[];
}

/** Opens a trace file, recognising its format from its first bytes. */
export function openTrace(file: string): TraceSource {
  let head: Buffer;
  try {
    const fd = openSync(file, 'r');
    try {
      head = Buffer.alloc(512);
      const n = readSync(fd, head, 0, head.length, 0);
      head = head.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new TraceError(
      file,
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EISDIR'
          ? 'is a directory'
          : `cannot read (${err.code ?? err.message})`,
    );
  }
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('{')) return new JsonlTrace(file);
  if (head.length === 0) throw new TraceError(file, 'is empty; not a trace');
  throw new TraceError(file, 'not a trace: expected JSON lines of packets (the first byte is not "{")');
}
