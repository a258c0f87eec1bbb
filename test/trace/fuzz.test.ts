// Fuzzing the readers with damaged captures: bit flips, truncation, lying length fields (caplen of
// 4 GB), garbage. Every file is either refused as not a trace (TraceError: exit 2) or read to the end
// — never a crash, a hang, or an allocation sized by a lying header.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TraceError } from '../../src/errors.js';
import { Rng } from '../../src/generate/rng.js';
import { runTrace } from '../../src/replay/run.js';
import { ArrowTraceWriter } from '../../src/trace/arrow.js';
import { PacketBatch } from '../../src/trace/batch.js';
import { LINKTYPE } from '../../src/trace/frame.js';
import { openTrace } from '../../src/trace/source.js';
import { resolve } from '../helpers.js';
import { framesOf, packetBatch, PACKETS, tmp, writePcap } from './frames.js';
import { PcapngBuilder } from '../../src/trace/pcapng-writer.js';

const cfg = resolve({
  securityGroups: [
    {
      GroupId: 'sg',
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '192.0.2.0/24' }] }],
      IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    },
  ],
  instances: [{ id: 'a', addresses: ['10.0.0.1', '2001:db8::1'], securityGroups: ['sg'] }],
});

/** Reads a file to the end; returns packets read, or 'refused'. Throws on anything else. */
async function readOrRefuse(file: string, size: number): Promise<number | 'refused'> {
  let reader;
  try {
    reader = await openTrace(file);
  } catch (e) {
    if (e instanceof TraceError) return 'refused';
    throw e;
  }
  const b = new PacketBatch(64);
  let total = 0;
  let calls = 0;
  try {
    for (;;) {
      const n = await reader.next(b);
      if (n === 0) break;
      total += n;
      // A packet record takes at least 16 bytes of file: more packets than that means a loop.
      if (++calls > size + 10 || total > size) throw new Error(`reader does not end on ${file}`);
    }
  } finally {
    await reader.close();
  }
  return total;
}

/** An Arrow trace of the packets in two record batches. */
async function arrowBase(): Promise<Buffer> {
  const f = join(tmp, 'fz.arrow');
  const w = new ArrowTraceWriter(f);
  const b = packetBatch();
  w.write(b, 8);
  w.write(b, PACKETS.length);
  await w.close();
  return readFileSync(f);
}

function bases(): Array<[string, Buffer]> {
  const eth = framesOf(writePcap('fz-eth'));
  const ng = new PcapngBuilder()
    .section()
    .iface({ linkType: LINKTYPE.ETHERNET })
    .iface({ linkType: LINKTYPE.RAW, tsresol: 9 })
    .unknown();
  PACKETS.forEach((_, i) =>
    ng.epb(
      i % 2,
      BigInt(1_700_000_000_000 + i),
      i % 2 ? framesOf(writePcap('fz-raw', { linkType: LINKTYPE.RAW }))[i]! : eth[i]!,
    ),
  );
  return [
    ['pcap', readFileSync(writePcap('fz-base'))],
    ['pcap-vxlan', readFileSync(writePcap('fz-vx', { vxlan: { src: 1, dst: 2, vni: 3 } }))],
    ['pcap-be', readFileSync(writePcap('fz-be', { bigEndian: true, micro: true }))],
    ['pcapng', ng.bytes()],
    ['pcap-gz', gzipSync(readFileSync(writePcap('fz-gz')))],
  ];
}

function mutate(rng: Rng, src: Buffer): Buffer {
  const b = Buffer.from(src);
  switch (rng.int(6)) {
    case 0: // bit flips
      for (let k = rng.range(1, 8); k > 0; k--) {
        const at = rng.int(b.length);
        b[at] = b[at]! ^ (1 << rng.int(8));
      }
      return b;
    case 1: // truncation
      return b.subarray(0, rng.int(b.length));
    case 2: {
      // a lying 32-bit field: 4 GB, 1 GB, or random, at an aligned offset
      const at = 4 * rng.int(Math.floor(b.length / 4));
      const v = rng.pick([0xffffffff, 0x40000000, 0x7fffffff, rng.int(0xffffffff)]);
      if (at + 4 <= b.length) b.writeUInt32LE(v >>> 0, at);
      return b;
    }
    case 3: // garbage appended
      return Buffer.concat([b, Buffer.from(Array.from({ length: rng.range(1, 64) }, () => rng.int(256)))]);
    case 4: // random bytes overwritten
      for (let k = rng.range(1, 32); k > 0; k--) b[rng.int(b.length)] = rng.int(256);
      return b;
    default: {
      // the first record's caplen (pcap) or block length (pcapng) set to 4 GB
      if (b.length >= 40) b.writeUInt32LE(0xffffffff, b.readUInt32LE(0) === 0x0a0d0d0a ? 4 : 24 + 8);
      return b;
    }
  }
}

async function fuzz(name: string, base: Buffer): Promise<void> {
  {
    const rng = new Rng(name.length * 7919);
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const outcomes = { refused: 0, read: 0 };
    for (let k = 0; k < 300; k++) {
      const m = mutate(rng, base);
      const f = join(tmp, `fuzz-${name}-${k}.bin`);
      writeFileSync(f, m);
      const r = await readOrRefuse(f, m.length);
      if (r === 'refused') outcomes.refused++;
      else outcomes.read++;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      // Every readable damaged file also goes through the engine.
      if (r !== 'refused' && k % 10 === 0) {
        const reader = await openTrace(f);
        await runTrace(cfg, reader, { engine: 'wasm' });
        await reader.close();
      }
    }
    expect(outcomes.read).toBeGreaterThan(0);
    // No allocation sized by a lying header: far below the 1–4 GB the headers claim.
    expect(peak - before).toBeLessThan(64 << 20);
  }
}

describe('fuzz: damaged captures never crash, hang or over-allocate', () => {
  it.each(bases())('%s: 300 mutations', (name, base) => fuzz(name, base), 60_000);
  it('arrow: 300 mutations', async () => fuzz('arrow', await arrowBase()), 60_000);

  it('a pcap record claiming 4 GB ends the trace with a warning after the whole packets', async () => {
    const base = readFileSync(writePcap('fz-lie'));
    // Third record: skip the header (24) and two records.
    let p = 24;
    for (let k = 0; k < 2; k++) p += 16 + base.readUInt32LE(p + 8);
    const b = Buffer.from(base);
    b.writeUInt32LE(0xffffffff, p + 8);
    const f = join(tmp, 'lie.pcap');
    writeFileSync(f, b);
    const reader = await openTrace(f);
    const n = await reader.next(new PacketBatch(64));
    expect(n).toBe(2);
    expect(reader.warnings.join()).toMatch(/claims 4294967295 captured bytes/);
    await reader.close();
  });

  it('a file cut in the middle of a record ends with a warning and the whole packets', async () => {
    const base = readFileSync(writePcap('fz-cut'));
    const f = join(tmp, 'cut.pcap');
    writeFileSync(f, base.subarray(0, base.length - 5));
    const reader = await openTrace(f);
    const n = await reader.next(new PacketBatch(64));
    expect(n).toBe(PACKETS.length - 1);
    expect(reader.warnings.join()).toMatch(/ends in the middle of a record/);
    await reader.close();
    const g = join(tmp, 'cut.pcap.gz');
    writeFileSync(g, gzipSync(base).subarray(0, Math.floor(gzipSync(base).length * 0.7)));
    const gr = await openTrace(g);
    const gn = await gr.next(new PacketBatch(64));
    expect(gn).toBeLessThan(PACKETS.length);
    expect(gr.warnings.length).toBeGreaterThan(0);
    await gr.close();
  });
});
