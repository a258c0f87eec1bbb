// Captures written by Wireshark's own tools (libwiretap), not by ours: mergecap makes a pcapng with two
// interfaces of two link types, editcap rewrites, truncates and changes the timestamp precision.
// These tools come with tshark (a test prerequisite).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KIND } from '../../src/trace/batch.js';
import { LINKTYPE } from '../../src/trace/frame.js';
import { packetBatch, PACKETS, readAll, row, tmp, writePcap } from './frames.js';

const run = (cmd: string, ...args: string[]) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

describe('captures written by Wireshark tools', () => {
  it('mergecap: a pcapng with two interfaces (Ethernet and Linux SLL2) in time order', async () => {
    const eth = writePcap('ws-eth');
    const sll2 = writePcap('ws-sll2', { linkType: LINKTYPE.LINUX_SLL2 });
    const out = join(tmp, 'merged.pcapng');
    run('mergecap', '-F', 'pcapng', '-w', out, eth, sll2);
    const { batch, n, reader } = await readAll(out);
    expect(reader.format).toBe('pcapng');
    expect(n).toBe(2 * PACKETS.length);
    // Both copies of every packet, decoded the same whatever the interface's link type.
    const exp = packetBatch();
    const key = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    const got = Array.from({ length: n }, (_, i) => key(row(batch, i)));
    for (let i = 0; i < PACKETS.length; i++) {
      const matches = got.filter((g) => g === key(row(exp, i)));
      expect(matches.length, `packet ${i}`).toBe(2);
    }
    expect(new Set(batch.capIf.subarray(0, n))).toEqual(new Set([0, 1]));
  });

  it('editcap: pcap → pcapng (nanosecond), pcapng → microsecond pcap, and VLAN frames kept', async () => {
    const src = writePcap('ws-vlan', { vlans: [42] });
    const ng = join(tmp, 'ws.pcapng');
    const us = join(tmp, 'ws-us.pcap');
    run('editcap', '-F', 'pcapng', src, ng);
    run('editcap', '-F', 'pcap', ng, us);
    const a = await readAll(ng);
    const b = await readAll(us);
    const exp = packetBatch();
    expect(Array.from({ length: a.n }, (_, i) => row(a.batch, i))).toEqual(PACKETS.map((_, i) => row(exp, i)));
    expect(b.reader.format).toBe('pcap');
    expect(Array.from({ length: b.n }, (_, i) => row(b.batch, i))).toEqual(
      PACKETS.map((_, i) => ({ ...row(exp, i), ts: (exp.ts[i]! / 1000n) * 1000n })),
    );
  });

  it('editcap -s: a short snap length makes the cut packets malformed, as capinfos counts them', async () => {
    const src = writePcap('ws-snap');
    const cut = join(tmp, 'snap40.pcapng');
    run('editcap', '-s', '40', src, cut);
    const { batch, n } = await readAll(cut);
    expect(n).toBe(Number(/Number of packets:\s+(\d+)/.exec(run('capinfos', '-c', cut))![1]));
    // 40 bytes = Ethernet (14) + 26 of IP: an IPv4 header fits, a TCP/UDP/ICMP header after it does not
    // (a non-first fragment or GRE needs none); an IPv6 header does not fit at all.
    const exp = packetBatch();
    for (let i = 0; i < n; i++) {
      const needsTransport = [1, 6, 17].includes(exp.proto[i]!) && (exp.fragFlags[i]! & 2) === 0;
      const decodable = exp.kind[i] === KIND.IPV4 && !needsTransport;
      expect(batch.kind[i], `packet ${i}`).toBe(decodable ? KIND.IPV4 : KIND.MALFORMED);
    }
  });
});
