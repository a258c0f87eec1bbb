// S13 idle timeouts and S14 alive (exact integer-nanosecond expiry).
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, run } from '../helpers.js';

const W = '10.0.0.10';
const out = (instExtra: object = {}, events: object[] = []) => ({
  securityGroups: [group('sg', [], EGRESS_ALL)],
  instances: [instance('w', [W], ['sg'], instExtra as never)],
  events,
});
/** An established TCP entry (mid-stream ACK) at t0, then the peer's packet at t1. */
const established = (t0: number | string, t1: number | string) => [
  P.tcp(t0, `${W}:5000`, '192.0.2.1:80', 'A'),
  P.tcp(t1, '192.0.2.1:80', `${W}:5000`, 'A'),
];

describe('S13 idle timeouts', () => {
  it('S13: TCP established defaults to 432000 s', async () => {
    expect((await run(out(), established(0, '431999.999999999'))).v[1]).toBe('allow-tracked');
    expect((await run(out(), established(0, 432000))).v[1]).toBe('deny');
  });

  it('S13: nitro 6 makes it 350 s; an explicit value wins over nitro', async () => {
    expect((await run(out({ nitro: 6 }), established(0, 349))).v[1]).toBe('allow-tracked');
    expect((await run(out({ nitro: 6 }), established(0, 350))).v[1]).toBe('deny');
    expect((await run(out({ nitro: 5 }), established(0, 350))).v[1]).toBe('allow-tracked');
    const explicit = out({ nitro: 6, conntrack: { tcpEstablishedTimeout: 1000 } });
    expect((await run(explicit, established(0, 999))).v[1]).toBe('allow-tracked');
    expect((await run(explicit, established(0, 1000))).v[1]).toBe('deny');
  });

  it('S13: autoTracked "nlb" sets UDP (both) to 120 s; explicit values win', async () => {
    const udp = (t1: number) => [P.udp(0, `${W}:5000`, '192.0.2.1:53'), P.udp(t1, '192.0.2.1:53', `${W}:5000`)];
    expect((await run(out({ autoTracked: 'nlb' }), udp(119))).v[1]).toBe('allow-tracked');
    expect((await run(out({ autoTracked: 'nlb' }), udp(120))).v[1]).toBe('deny');
    expect((await run(out({ autoTracked: 'nlb', conntrack: { udpTimeout: 60 } }), udp(60))).v[1]).toBe('deny');
    expect((await run(out(), udp(30))).v[1]).toBe('deny'); // plain default 30 s
  });

  it('S13: ICMP 30 s and other protocols 600 s by default, both configurable', async () => {
    const icmp = (t1: number) => [
      P.icmp(0, W, '192.0.2.1', 8, 0, { icmpId: 1 }),
      P.icmp(t1, '192.0.2.1', W, 0, 0, { icmpId: 1 }),
    ];
    expect((await run(out(), icmp(29))).v[1]).toBe('allow-tracked');
    expect((await run(out(), icmp(30))).v[1]).toBe('deny');
    expect((await run(out({ conntrack: { icmpTimeout: 5 } }), icmp(5))).v[1]).toBe('deny');
    const gre = (t1: number) => [P.other(0, W, '192.0.2.1', 47), P.other(t1, '192.0.2.1', W, 47)];
    expect((await run(out(), gre(599))).v[1]).toBe('allow-tracked');
    expect((await run(out(), gre(600))).v[1]).toBe('deny');
    expect((await run(out({ conntrack: { otherTimeout: 1.5 } }), gre(1.5))).v[1]).toBe('deny');
  });
});

describe('S14 alive', () => {
  it('S14: alive iff t − lastSeen < timeout, to the nanosecond', async () => {
    const icmp = (t1: string) => [
      P.icmp('1.5', W, '192.0.2.1', 8, 0, { icmpId: 1 }),
      P.icmp(t1, '192.0.2.1', W, 0, 0, { icmpId: 1 }),
    ];
    expect((await run(out(), icmp('31.499999999'))).v[1]).toBe('allow-tracked');
    expect((await run(out(), icmp('31.500000000'))).v[1]).toBe('deny');
  });

  it('S14: decimal-string times are exact at epoch scale', async () => {
    const icmp = (t1: string) => [
      P.icmp('1700000000.000000001', W, '192.0.2.1', 8, 0, { icmpId: 1 }),
      P.icmp(t1, '192.0.2.1', W, 0, 0, { icmpId: 1 }),
    ];
    expect((await run(out(), icmp('1700000030.000000000'))).v[1]).toBe('allow-tracked');
    expect((await run(out(), icmp('1700000030.000000001'))).v[1]).toBe('deny');
  });

  it('S14: every allowed packet in either direction refreshes lastSeen', async () => {
    const o = await run(out(), [
      P.udp(0, `${W}:5000`, '192.0.2.1:53'),
      P.udp(20, `${W}:5000`, '192.0.2.1:53'),
      P.udp(40, '192.0.2.1:53', `${W}:5000`),
      P.udp(69, '192.0.2.1:53', `${W}:5000`),
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked', 'allow-tracked', 'allow-tracked']);
  });

  it('S14: an entry gone when timeouts change stays gone', async () => {
    const mod = (at: number) => [
      { at, action: 'modifyConnectionTracking', instanceId: 'w', conntrack: { udpTimeout: 60 } },
    ];
    const pk = [P.udp(0, `${W}:5000`, '192.0.2.1:53'), P.udp(45, '192.0.2.1:53', `${W}:5000`)];
    expect((await run(out({}, mod(30)), pk)).v).toEqual(['allow-new', 'deny']); // gone at 30 (30 − 0 == 30)
    expect((await run(out({}, mod(29)), pk)).v).toEqual(['allow-new', 'allow-tracked']); // alive at 29, then 60 s
  });

  it('S14: shortening a timeout ends alive entries from the event on', async () => {
    const ev = [
      { at: 20, action: 'modifyConnectionTracking', instanceId: 'w', conntrack: { tcpEstablishedTimeout: 60 } },
    ];
    expect((await run(out({}, ev), established(0, 59))).v[1]).toBe('allow-tracked');
    expect((await run(out({}, ev), established(0, 60))).v[1]).toBe('deny');
    const ev2 = [
      { at: 100, action: 'modifyConnectionTracking', instanceId: 'w', conntrack: { tcpEstablishedTimeout: 60 } },
    ];
    // At 100 the entry (last seen 0) is 100 s idle: gone under the new 60 s.
    expect((await run(out({}, ev2), established(0, 100))).v[1]).toBe('deny');
  });

  it('S14: JSON numbers are rounded once to the nearest nanosecond', async () => {
    // 0.1 s and 30.1 s are 100000000 ns and 30100000000 ns: exactly 30 s apart, so gone.
    const icmp = [P.icmp(0.1, W, '192.0.2.1', 8, 0, { icmpId: 1 }), P.icmp(30.1, '192.0.2.1', W, 0, 0, { icmpId: 1 })];
    expect((await run(out(), icmp)).v[1]).toBe('deny');
    const icmp2 = [
      P.icmp(0.3, W, '192.0.2.1', 8, 0, { icmpId: 1 }),
      P.icmp(30.299999999, '192.0.2.1', W, 0, 0, { icmpId: 1 }),
    ];
    expect((await run(out(), icmp2)).v[1]).toBe('allow-tracked');
  });
});
