/**
 * Opening a trace: the format is recognised by content, never by file name
 * (DESIGN.md): pcap (4 magics), pcapng, Arrow IPC file or stream, JSON lines,
 * and gzip of pcap or pcapng. A file that is none of these is refused
 * (TraceError, exit 2) before any packet is processed.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { TraceError } from '../errors.js';
import { ArrowFileTraceReader, ArrowTraceReader } from './arrow.js';
import { ByteInput } from './bytes.js';
import { JsonlTrace } from './jsonl.js';
import { isPcapMagic, PcapReader } from './pcap.js';
import { PcapParserReader } from './pcap-parser-reader.js';
import { PCAPNG_SHB, PcapngReader } from './pcapng.js';
import type { TraceReader } from './reader.js';

export type { TraceReader } from './reader.js';

/** Reads the first bytes of a file. */
function head(file: string, n: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
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
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new TraceError(file, err.code === 'EISDIR' ? 'is a directory' : `cannot read (${err.code ?? err.message})`);
  } finally {
    closeSync(fd);
  }
}

/** The first bytes of the decompressed content of a gzip file. */
async function gunzipHead(file: string, n: number): Promise<Buffer> {
  const gz = createReadStream(file).pipe(createGunzip());
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const c of gz) {
      chunks.push(c as Buffer);
      got += (c as Buffer).length;
      if (got >= n) break;
    }
  } catch {
    // Damaged gzip: judged by what could be decompressed.
  } finally {
    gz.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}

/** What the first bytes say the content is. */
function sniff(b: Buffer): 'pcap' | 'pcapng' | 'arrow' | 'jsonl' | 'gzip' | null {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 4 && isPcapMagic(b.readUInt32LE(0))) return 'pcap';
  if (b.length >= 4 && b.readUInt32LE(0) === PCAPNG_SHB) return 'pcapng';
  if (b.length >= 6 && b.subarray(0, 6).toString('latin1') === 'ARROW1') return 'arrow';
  // Arrow IPC stream: a continuation marker (0xFFFFFFFF) then the schema message.
  if (b.length >= 8 && b.readUInt32LE(0) === 0xffffffff && b.readInt32LE(4) > 0) return 'arrow';
  const text = b
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('{')) return 'jsonl';
  return null;
}

const KNOWN = 'pcap, pcapng (optionally gzip-compressed), an Arrow trace, or JSON lines of packets';

/** Which reader decodes classic pcap: ours (default) or the pcap-parser package. */
export type PcapReaderChoice = 'builtin' | 'pcap-parser';

/** Opens a trace file, recognising its format from its first bytes. */
export async function openTrace(file: string, opts: { reader?: PcapReaderChoice } = {}): Promise<TraceReader> {
  const b = head(file, 64);
  if (b.length === 0) throw new TraceError(file, `is empty; not a trace (expected ${KNOWN})`);
  const kind = sniff(b);
  if (opts.reader === 'pcap-parser') {
    const m = kind === 'pcap' ? b.readUInt32LE(0) : 0;
    if (m !== 0xa1b2c3d4 && m !== 0xd4c3b2a1) {
      throw new TraceError(
        file,
        '--reader pcap-parser reads only classic microsecond pcap (not nanosecond pcap, pcapng, gzip or Arrow)',
      );
    }
    return PcapParserReader.open(file);
  }
  switch (kind) {
    case 'pcap':
      return PcapReader.open(await ByteInput.open(file, false), file);
    case 'pcapng':
      return PcapngReader.open(await ByteInput.open(file, false), file);
    case 'arrow':
      return b.subarray(0, 6).toString('latin1') === 'ARROW1'
        ? ArrowFileTraceReader.open(file)
        : ArrowTraceReader.openStream(file);
    case 'jsonl':
      return JsonlTrace.open(file);
    case 'gzip': {
      const inner = sniff(await gunzipHead(file, 64));
      if (inner === 'pcap') return PcapReader.open(await ByteInput.open(file, true), file);
      if (inner === 'pcapng') return PcapngReader.open(await ByteInput.open(file, true), file);
      throw new TraceError(file, `a gzip file, but its content is not a pcap or pcapng capture`);
    }
    default:
      throw new TraceError(file, `not a trace: the content is not ${KNOWN}`);
  }
}
