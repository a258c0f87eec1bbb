/**
 * `ctreplay bench --suite ingest`: packets/s from a file to filled batches,
 * for pcap, pcapng, Arrow (file and stream), gzip pcap, and pcap through
 * the pcap-parser package for scale. The files hold the same `generate
 * mixed` traffic (microsecond pcap, so pcap-parser can read it too) and sit
 * in the page cache: this measures decoding, not the disk.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Bench } from 'tinybench';
import { generate } from '../src/generate/generate.js';
import { ArrowTraceWriter } from '../src/trace/arrow.js';
import { PacketBatch } from '../src/trace/batch.js';
import { openTrace, type PcapReaderChoice } from '../src/trace/source.js';
import { throughputResult, type BenchResult } from './results.js';

/** Options of the ingest suite. */
export interface IngestSuiteOptions {
  readonly quick?: boolean;
  readonly log?: (line: string) => void;
}

/** Rewrites a little-endian microsecond pcap as pcapng (one Ethernet interface, µs), block by block. */
function pcapToPcapng(pcap: string, out: string): void {
  const d = readFileSync(pcap);
  const fd = openSync(out, 'w');
  const buf = Buffer.alloc(1 << 20);
  let at = 0;
  const put = (b: Buffer) => {
    if (at + b.length > buf.length) {
      writeSync(fd, buf, 0, at);
      at = 0;
    }
    b.copy(buf, at);
    at += b.length;
  };
  const shb = Buffer.alloc(28);
  shb.writeUInt32LE(0x0a0d0d0a, 0);
  shb.writeUInt32LE(28, 4);
  shb.writeUInt32LE(0x1a2b3c4d, 8);
  shb.writeUInt16LE(1, 12);
  shb.writeBigInt64LE(-1n, 16);
  shb.writeUInt32LE(28, 24);
  put(shb);
  const idb = Buffer.alloc(20);
  idb.writeUInt32LE(1, 0);
  idb.writeUInt32LE(20, 4);
  idb.writeUInt16LE(d.readUInt32LE(20) & 0xffff, 8);
  idb.writeUInt32LE(262144, 12);
  idb.writeUInt32LE(20, 16);
  put(idb);
  for (let p = 24; p + 16 <= d.length;) {
    const cap = d.readUInt32LE(p + 8);
    const pad = (4 - (cap % 4)) % 4;
    const total = 32 + cap + pad;
    const epb = Buffer.alloc(total);
    epb.writeUInt32LE(6, 0);
    epb.writeUInt32LE(total, 4);
    const us = BigInt(d.readUInt32LE(p)) * 1_000_000n + BigInt(d.readUInt32LE(p + 4));
    epb.writeUInt32LE(Number(us >> 32n), 12);
    epb.writeUInt32LE(Number(us & 0xffffffffn), 16);
    epb.writeUInt32LE(cap, 20);
    epb.writeUInt32LE(d.readUInt32LE(p + 12), 24);
    d.copy(epb, 28, p + 16, p + 16 + cap);
    epb.writeUInt32LE(total, total - 4);
    put(epb);
    p += 16 + cap;
  }
  writeSync(fd, buf, 0, at);
  closeSync(fd);
}

async function readAll(file: string, batch: PacketBatch, reader: PcapReaderChoice = 'builtin'): Promise<number> {
  const r = await openTrace(file, { reader });
  let n = 0;
  for (;;) {
    const k = await r.next(batch);
    if (k === 0) break;
    n += k;
  }
  await r.close();
  return n;
}

/** Runs the ingest suite. */
export async function ingestSuite(opts: IngestSuiteOptions = {}): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const dir = mkdtempSync(join(tmpdir(), 'ctreplay-bench-ingest-'));
  try {
    const packets = quick ? 100_000 : 1_000_000;
    const base = join(dir, 'mixed');
    await generate({
      workload: 'mixed',
      packets,
      seed: 1,
      out: `${base}.pcapns`,
      format: 'pcap',
      configOut: `${base}.config.yaml`,
    });
    // A microsecond pcap (what tcpdump writes by default, and all pcap-parser reads).
    const { PcapWriter } = await import('../src/trace/pcap-writer.js');
    const src = await openTrace(`${base}.pcapns`);
    const w = new PcapWriter(`${base}.pcap`, { micro: true });
    const aw = new ArrowTraceWriter(`${base}.arrow`);
    const sw = new ArrowTraceWriter(`${base}.stream.arrow`, 'stream');
    const b = new PacketBatch(65536);
    let total = 0;
    for (;;) {
      const k = await src.next(b);
      if (k === 0) break;
      total += k;
      w.writeBatch(b, k);
      aw.write(b, k);
      sw.write(b, k);
    }
    await src.close();
    w.close();
    await aw.close();
    await sw.close();
    pcapToPcapng(`${base}.pcap`, `${base}.pcapng`);
    writeFileSync(`${base}.pcap.gz`, gzipSync(readFileSync(`${base}.pcap`), { level: 1 }));

    const batch = new PacketBatch(4096);
    const cases: Array<[string, string, PcapReaderChoice]> = [
      ['ingest/pcap/batches', `${base}.pcap`, 'builtin'],
      ['ingest/pcapng/batches', `${base}.pcapng`, 'builtin'],
      ['ingest/arrow/batches', `${base}.arrow`, 'builtin'],
      ['ingest/arrow-stream/batches', `${base}.stream.arrow`, 'builtin'],
      ['ingest/pcap-gzip/batches', `${base}.pcap.gz`, 'builtin'],
      ['ingest/pcap-parser/batches', `${base}.pcap`, 'pcap-parser'],
    ];
    const results: BenchResult[] = [];
    for (const [name, file, reader] of cases) {
      const bench = new Bench({
        time: quick ? 200 : 2000,
        warmupTime: quick ? 50 : 300,
        iterations: quick ? 3 : 8,
        retainSamples: true,
      });
      let n = 0;
      bench.add(name, async () => {
        n = await readAll(file, batch, reader);
      });
      await bench.run();
      if (n !== total) throw new Error(`${name}: read ${n} packets of ${total}`);
      const r = throughputResult(name, bench.tasks[0]!, total);
      opts.log?.(`${name}: ${(r.value / 1e6).toFixed(2)} M packets/s`);
      results.push(r);
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
