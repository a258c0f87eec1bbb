// S22 bad packets: malformed, counted, and the replay goes on.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, run } from '../helpers.js';

const W = '10.0.0.10';
const cfg = { securityGroups: [group('sg', [], EGRESS_ALL)], instances: [instance('w', [W], ['sg'])] };

describe('S22 malformed packets', () => {
  it.each([
    ['no time', { src: W, dst: '192.0.2.1', proto: 'udp', sport: 1, dport: 2 }],
    ['bad address', { t: 1, src: '10.0.0.300', dst: '192.0.2.1', proto: 'udp', sport: 1, dport: 2 }],
    ['mixed families', { t: 1, src: W, dst: '2001:db8::1', proto: 'udp', sport: 1, dport: 2 }],
    ['unknown protocol', { t: 1, src: W, dst: '192.0.2.1', proto: 'bogus' }],
    ['protocol over 255', { t: 1, src: W, dst: '192.0.2.1', proto: 256 }],
    ['TCP without ports', { t: 1, src: W, dst: '192.0.2.1', proto: 'tcp', flags: 'S' }],
    ['port out of range', { t: 1, src: W, dst: '192.0.2.1', proto: 'udp', sport: 1, dport: 65536 }],
    ['bad TCP flags', { t: 1, src: W, dst: '192.0.2.1', proto: 'tcp', sport: 1, dport: 2, flags: 'SX' }],
    ['ICMP without type', { t: 1, src: W, dst: '192.0.2.1', proto: 'icmp' }],
    ['unknown key', { t: 1, src: W, dst: '192.0.2.1', proto: 'udp', sport: 1, dport: 2, dprot: 3 }],
    ['negative time', { t: -1, src: W, dst: '192.0.2.1', proto: 'udp', sport: 1, dport: 2 }],
    ['bad quote', { t: 1, src: '192.0.2.1', dst: W, proto: 'icmp', icmpType: 3, quote: { src: W } }],
    [
      'bad fragment',
      { t: 1, src: W, dst: '192.0.2.1', proto: 'udp', sport: 1, dport: 2, fragment: { id: 1, offset: -8 } },
    ],
    ['not an object', 42],
  ])('S22: %s → malformed, and the next packet is processed', async (_name, bad) => {
    const o = await run(cfg, [bad as never, P.udp(2, `${W}:1`, '192.0.2.1:2')]);
    expect(o.v).toEqual(['malformed', 'allow-new']);
    expect(o.report.trace.malformed).toBe(1);
    expect(o.report.trace.packets).toBe(2);
  });
});
