// Decoding captures: every link type and encapsulation gives the same packets (issue 4, S5–S7, S22).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { KIND } from '../../src/trace/batch.js';
import { LINKTYPE } from '../../src/trace/frame.js';
import { framesOf, packetBatch, PACKETS, readAll, row, tmp, writePcap } from './frames.js';
import { PcapngBuilder } from '../../src/trace/pcapng-writer.js';

const expected = () => {
  const b = packetBatch();
  return PACKETS.map((_, i) => row(b, i));
};

/** Rows as read, with times cut to the file's resolution. */
const expectedMicro = () => expected().map((r) => ({ ...r, ts: (r.ts! / 1000n) * 1000n }));

describe('pcap: every framing decodes to the same packets', () => {
  const framings: Array<[string, Parameters<typeof writePcap>[1]]> = [
    ['ethernet', {}],
    ['raw IP (101)', { linkType: LINKTYPE.RAW }],
    ['raw IP (12)', { linkType: LINKTYPE.RAW_12 }],
    ['raw IP (14)', { linkType: LINKTYPE.RAW_14 }],
    ['Linux SLL', { linkType: LINKTYPE.LINUX_SLL }],
    ['Linux SLL2', { linkType: LINKTYPE.LINUX_SLL2 }],
    ['BSD loopback (NULL)', { linkType: LINKTYPE.NULL }],
    ['802.1Q', { vlans: [100] }],
    ['QinQ', { vlans: [100, 200], qinq: true }],
    ['VXLAN (Traffic Mirroring)', { vxlan: { src: 0x0a000063, dst: 0x0a000064, vni: 7 } }],
  ];
  it.each(framings)('%s', async (name, opts) => {
    const f = writePcap(name.replace(/\W+/g, '-'), opts);
    const { batch, n, reader } = await readAll(f);
    expect(reader.format).toBe('pcap-ns');
    expect(n).toBe(PACKETS.length);
    expect(PACKETS.map((_, i) => row(batch, i))).toEqual(expected());
    expect(reader.warnings).toEqual([]);
  });

  it('big-endian, microsecond pcap', async () => {
    const f = writePcap('be-us', { bigEndian: true, micro: true });
    const { batch, n, reader } = await readAll(f);
    expect(reader.format).toBe('pcap');
    expect(n).toBe(PACKETS.length);
    expect(PACKETS.map((_, i) => row(batch, i))).toEqual(expectedMicro());
  });

  it('gzip of a pcap, streamed', async () => {
    const f = writePcap('gz-src');
    const gz = join(tmp, 'trace.pcap.gz.bin'); // the name says nothing: content decides
    writeFileSync(gz, gzipSync(readFileSync(f)));
    const { batch, n, reader } = await readAll(gz);
    expect(reader.format).toBe('pcap-ns+gzip');
    expect(n).toBe(PACKETS.length);
    expect(PACKETS.map((_, i) => row(batch, i))).toEqual(expected());
  });
});

describe('pcapng', () => {
  it('two interfaces with two link types, ns and µs resolutions, SPB, unknown blocks, a second big-endian section', async () => {
    const eth = framesOf(writePcap('ng-eth'));
    const raw = framesOf(writePcap('ng-raw', { linkType: LINKTYPE.RAW }));
    const exp = expected();
    const ng = new PcapngBuilder(true)
      .section()
      .iface({ linkType: LINKTYPE.ETHERNET }) // µs (default)
      .iface({ linkType: LINKTYPE.RAW, tsresol: 9 }) // ns
      .unknown()
      .nrbAndIsb();
    const rows: Array<ReturnType<typeof row>> = [];
    PACKETS.forEach((_, i) => {
      const ns = exp[i]!.ts!;
      if (i % 2 === 0) {
        ng.epb(0, ns / 1000n, eth[i]!);
        rows.push({ ...exp[i]!, ts: (ns / 1000n) * 1000n });
      } else {
        ng.epb(1, ns, raw[i]!);
        rows.push(exp[i]!);
      }
    });
    const be = new PcapngBuilder(false)
      .section()
      .iface({ linkType: LINKTYPE.ETHERNET, tsresol: 3, tsoffset: 1000n })
      .epb(0, 123_456n, eth[0]!);
    const f = join(tmp, 'two.pcapng');
    writeFileSync(f, Buffer.concat([ng.bytes(), be.bytes()]));
    const { batch, n, reader } = await readAll(f);
    expect(reader.format).toBe('pcapng');
    expect(n).toBe(PACKETS.length + 1);
    expect(PACKETS.map((_, i) => row(batch, i))).toEqual(rows);
    // Second section: ms resolution, offset 1000 s: 123.456 s + 1000 s.
    expect(row(batch, PACKETS.length)).toEqual({ ...exp[0]!, ts: 1_123_456_000_000n });
    expect([...batch.capIf.subarray(0, 4)]).toEqual([0, 1, 0, 1]);
  });

  it('power-of-two resolution is rounded to the nearest ns; a Simple Packet Block has no time', async () => {
    const eth = framesOf(writePcap('ng-eth2'));
    const ng = new PcapngBuilder(true)
      .section()
      .iface({ linkType: LINKTYPE.ETHERNET, tsresol: 0x80 | 10 })
      .epb(0, 1537n, eth[0]!)
      .spb(eth[2]!);
    const f = join(tmp, 'pow2.pcapng');
    ng.write(f);
    const { batch, n } = await readAll(f);
    expect(n).toBe(2);
    // 1537 / 1024 s = 1.500976562 5 s → 1500976563 ns (nearest).
    expect(batch.ts[0]).toBe(1_500_976_563n);
    expect(batch.ts[1]).toBe(-1n);
    expect(batch.kind[1]).toBe(KIND.IPV6);
  });
});

describe('IP details', () => {
  const ipv4WithOptions = () => {
    const f = framesOf(writePcap('opt', { linkType: LINKTYPE.RAW }))[0]!; // TCP SYN 10.0.0.1:1234 > 192.0.2.1:443
    const ip = Buffer.from(f);
    // Insert 4 bytes of options (NOP NOP NOP EOL): IHL 6.
    const withOpts = Buffer.concat([ip.subarray(0, 20), Buffer.from([1, 1, 1, 0]), ip.subarray(20)]);
    withOpts[0] = 0x46;
    return withOpts;
  };

  const ipv6WithExtensions = () => {
    const f = framesOf(writePcap('ext', { linkType: LINKTYPE.RAW }))[2]!; // UDP over IPv6
    const hdr = Buffer.from(f.subarray(0, 40));
    const udp = f.subarray(40);
    // hop-by-hop (8) → routing (8) → destination options (16) → AH (12: length 1 → (1+2)*4) → UDP
    const hbh = Buffer.from([43, 0, 1, 4, 0, 0, 0, 0]);
    const rt = Buffer.from([60, 0, 0, 0, 0, 0, 0, 0]);
    const dst = Buffer.concat([Buffer.from([51, 1]), Buffer.alloc(14)]);
    const ah = Buffer.concat([Buffer.from([17, 1]), Buffer.alloc(10)]);
    hdr[6] = 0;
    const payload = Buffer.concat([hbh, rt, dst, ah, udp]);
    hdr.writeUInt16BE(payload.length + 52, 4);
    return Buffer.concat([hdr, payload]);
  };

  it('IPv4 options and IPv6 extension headers are skipped to the transport header', async () => {
    const exp = expected();
    const ng = new PcapngBuilder().section().iface({ linkType: LINKTYPE.RAW, tsresol: 9 });
    ng.epb(0, exp[0]!.ts!, ipv4WithOptions());
    ng.epb(0, exp[2]!.ts!, ipv6WithExtensions());
    const f = join(tmp, 'ext.pcapng');
    ng.write(f);
    const { batch, n } = await readAll(f);
    expect(n).toBe(2);
    expect(row(batch, 0)).toEqual(exp[0]);
    expect({ ...row(batch, 1), len: 0 }).toEqual({ ...exp[2]!, len: 0 });
    expect(batch.proto[1]).toBe(17);
  });

  it('frames too short for their headers are malformed; ARP is not IP; the replay goes on', async () => {
    const eth = framesOf(writePcap('short'));
    const arp = Buffer.concat([Buffer.alloc(12, 0xff), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    const ng = new PcapngBuilder().section().iface({ linkType: LINKTYPE.ETHERNET, tsresol: 9 });
    // Cut in the Ethernet header, the IPv4 header, and twice in the TCP header.
    const cuts = [10, 14 + 19, 14 + 20 + 19, 14 + 20 + 7];
    cuts.forEach((c, k) => ng.epb(0, BigInt(k + 1), eth[0]!.subarray(0, c)));
    ng.epb(0, 5n, arp);
    ng.epb(0, 6n, eth[0]!);
    ng.epb(0, 7n, eth[2]!.subarray(0, 14 + 39)); // IPv6 header cut
    const f = join(tmp, 'short.pcapng');
    ng.write(f);
    const { batch, n } = await readAll(f);
    expect(n).toBe(7);
    expect([...batch.kind.subarray(0, 7)]).toEqual([
      KIND.MALFORMED,
      KIND.MALFORMED,
      KIND.MALFORMED,
      KIND.MALFORMED,
      KIND.NON_IP,
      KIND.IPV4,
      KIND.MALFORMED,
    ]);
    expect(batch.ts[3]).toBe(4n); // malformed packets keep their time (S21)
  });

  it('an ICMP error whose quote was not captured has no quote (evaluated by rules, not related)', async () => {
    const raw = framesOf(writePcap('q', { linkType: LINKTYPE.RAW }))[3]!; // ICMP 3/4 quoting TCP
    const ng = new PcapngBuilder()
      .section()
      .iface({ linkType: LINKTYPE.RAW, tsresol: 9 })
      .epb(0, 1n, raw.subarray(0, 20 + 8 + 10));
    const f = join(tmp, 'q.pcapng');
    ng.write(f);
    const { batch } = await readAll(f);
    expect(batch.kind[0]).toBe(KIND.IPV4);
    expect(batch.icmpType[0]).toBe(3);
    expect(batch.fragFlags[0]! & 8).toBe(0);
  });
});
