// Our classic-pcap reader against an independent implementation: the pcap-parser package.
import { describe, expect, it } from 'vitest';
import { PacketBatch } from '../../src/trace/batch.js';
import { LINKTYPE } from '../../src/trace/frame.js';
import { openTrace } from '../../src/trace/source.js';
import { PACKETS, row, writePcap } from './frames.js';

async function rows(file: string, reader: 'builtin' | 'pcap-parser') {
  const r = await openTrace(file, { reader });
  const b = new PacketBatch(256);
  const n = await r.next(b);
  await r.close();
  return Array.from({ length: n }, (_, i) => row(b, i));
}

describe('pcap-parser agrees with the built-in reader on microsecond pcap', () => {
  it.each([
    ['little-endian Ethernet', { micro: true }],
    ['big-endian Ethernet', { micro: true, bigEndian: true }],
    ['little-endian VLAN', { micro: true, vlans: [7] }],
    ['big-endian Linux SLL2', { micro: true, bigEndian: true, linkType: LINKTYPE.LINUX_SLL2 }],
  ])('%s', async (name, opts) => {
    const f = writePcap(`pp-${name.replace(/\W+/g, '-')}`, opts);
    const ours = await rows(f, 'builtin');
    const theirs = await rows(f, 'pcap-parser');
    expect(ours).toHaveLength(PACKETS.length);
    expect(theirs).toEqual(ours);
  });

  it('pcap-parser refuses nanosecond pcap; so --reader pcap-parser says so', async () => {
    const f = writePcap('pp-ns');
    await expect(openTrace(f, { reader: 'pcap-parser' })).rejects.toThrow(/reads only classic microsecond pcap/);
  });
});
