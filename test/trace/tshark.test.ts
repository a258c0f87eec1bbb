// Cross-check: tshark (an independent decoder) reads the captures we generate as we do.
// tshark is a test prerequisite (Debian package; .ci/run and the pretest step install it).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FRAG, KIND, type PacketBatch } from '../../src/trace/batch.js';
import { LINKTYPE } from '../../src/trace/frame.js';
import { PACKETS, readAll, writePcap } from './frames.js';

const FIELDS = [
  'frame.time_epoch',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'udp.srcport',
  'udp.dstport',
  'icmp.type',
  'icmp.code',
  'icmp.ident',
  'icmpv6.type',
  'icmpv6.code',
  'ip.id',
  'ip.flags.mf',
  'ip.frag_offset',
  'ipv6.fraghdr.ident',
] as const;

type Fields = Record<(typeof FIELDS)[number], string[]>;

function tshark(file: string): Fields[] {
  const out = execFileSync(
    'tshark',
    [
      '-r',
      file,
      '-o',
      'ip.defragment:FALSE',
      '-o',
      'ipv6.defragment:FALSE',
      '-T',
      'fields',
      '-E',
      'separator=|',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=;',
      ...FIELDS.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .trimEnd()
    .split('\n')
    .map((line) => {
      const cols = line.split('|');
      return Object.fromEntries(FIELDS.map((f, k) => [f, cols[k] ? cols[k]!.split(';') : []])) as Fields;
    });
}

const v4 = (w: number) => `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
const v6 = (b: Uint32Array, i: number) => {
  const g: string[] = [];
  for (let k = 0; k < 4; k++) g.push((b[4 * i + k]! >>> 16).toString(16), (b[4 * i + k]! & 0xffff).toString(16));
  return g
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
    .replace(/^:::?/, '::');
};

/** What tshark should show for row i of our decode (outer VXLAN header first, then the packet, then a quote). */
function expectedFields(b: PacketBatch, i: number, vxlan: boolean) {
  const isV6 = b.kind[i] === KIND.IPV6;
  const ff = b.fragFlags[i]!;
  const nonFirst = (ff & FRAG.NON_FIRST) !== 0;
  const quote = (ff & FRAG.HAS_QUOTE) !== 0;
  const proto = b.proto[i]!;
  const qp = b.qProto[i]!;
  const e = {
    ip4: [] as string[],
    ip6: [] as string[],
    tcp: [] as string[],
    udp: [] as string[],
    icmp: [] as string[],
    icmp6: [] as string[],
    frag: '',
  };
  if (vxlan) e.ip4.push('10.0.0.99>10.0.0.100');
  (isV6 ? e.ip6 : e.ip4).push(isV6 ? `${v6(b.src, i)}>${v6(b.dst, i)}` : `${v4(b.src[4 * i]!)}>${v4(b.dst[4 * i]!)}`);
  if (quote)
    (isV6 ? e.ip6 : e.ip4).push(
      isV6 ? `${v6(b.qSrc, i)}>${v6(b.qDst, i)}` : `${v4(b.qSrc[4 * i]!)}>${v4(b.qDst[4 * i]!)}`,
    );
  if (vxlan) e.udp.push('4789');
  if (!nonFirst) {
    if (proto === 6) e.tcp.push(`${b.sport[i]}>${b.dport[i]}/${b.tcpFlags[i]}`);
    if (proto === 17) e.udp.push(`${b.dport[i]}`);
    if (proto === 1) e.icmp.push(`${b.icmpType[i]}/${b.icmpCode[i]}`);
    if (proto === 58) e.icmp6.push(`${b.icmpType[i]}/${b.icmpCode[i]}`);
  }
  if (quote) {
    if (qp === 6) e.tcp.push(`${b.qSport[i]}>${b.qDport[i]}/0`);
    if (qp === 17) e.udp.push(`${b.qDport[i]}`);
    if (qp === 1) e.icmp.push(`${b.qType[i]}/${b.qCode[i]}`);
  }
  if (ff & FRAG.IS_FRAGMENT)
    e.frag = isV6 ? `id ${b.fragId[i]}` : `id ${b.fragId[i]} mf ${ff & FRAG.MORE ? 1 : 0} first ${nonFirst ? 0 : 1}`;
  return e;
}

function shown(t: Fields) {
  const zip = (a: string[], b: string[]) => a.map((x, k) => `${x}>${b[k]}`);
  const flags = (f: string) => Number.parseInt(f, 16);
  return {
    ip4: zip(t['ip.src'], t['ip.dst']),
    ip6: zip(t['ipv6.src'], t['ipv6.dst']),
    tcp: t['tcp.srcport'].map(
      (p, k) => `${p}>${t['tcp.dstport'][k]}/${t['tcp.flags'][k] ? flags(t['tcp.flags'][k]!) : 0}`,
    ),
    udp: t['udp.dstport'],
    icmp: t['icmp.type'].map((x, k) => `${x}/${t['icmp.code'][k]}`),
    icmp6: t['icmpv6.type'].map((x, k) => `${x}/${t['icmpv6.code'][k]}`),
    frag: t['ipv6.fraghdr.ident'].length
      ? `id ${Number.parseInt(t['ipv6.fraghdr.ident'].at(-1)!, 16)}`
      : t['ip.flags.mf'].length && (t['ip.flags.mf'].at(-1) === '1' || t['ip.frag_offset'].at(-1) !== '0')
        ? `id ${Number.parseInt(t['ip.id'].at(-1)!, 16)} mf ${t['ip.flags.mf'].at(-1) === '1' || t['ip.flags.mf'].at(-1) === 'True' ? 1 : 0} first ${t['ip.frag_offset'].at(-1) === '0' ? 1 : 0}`
        : '',
  };
}

describe('tshark reads our captures as we do', () => {
  const cases: Array<[string, Parameters<typeof writePcap>[1]]> = [
    ['ethernet', {}],
    ['raw', { linkType: LINKTYPE.RAW }],
    ['sll', { linkType: LINKTYPE.LINUX_SLL }],
    ['sll2', { linkType: LINKTYPE.LINUX_SLL2 }],
    ['qinq', { vlans: [10, 20], qinq: true }],
    ['vxlan', { vxlan: { src: 0x0a000063, dst: 0x0a000064, vni: 5 } }],
    ['null', { linkType: LINKTYPE.NULL }],
  ];
  it.each(cases)('%s', async (name, opts) => {
    const f = writePcap(`tshark-${name}`, opts);
    const { batch, n } = await readAll(f);
    const t = tshark(f);
    expect(t).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const exp = expectedFields(batch, i, name === 'vxlan');
      const got = shown(t[i]!);
      // Times: tshark prints seconds with 9 decimals.
      expect(t[i]!['frame.time_epoch'][0]!.replace('.', '').replace(/^0+/, ''), `packet ${i} time`).toBe(
        String(batch.ts[i]),
      );
      expect(got, `packet ${i}: ${JSON.stringify(PACKETS[i])}`).toEqual(exp);
    }
  });
});
