// S21 virtual time and reordering.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, run } from '../helpers.js';

const W = '10.0.0.10';
const cfg = { securityGroups: [group('sg', [], EGRESS_ALL)], instances: [instance('w', [W], ['sg'])] };

describe('S21 time', () => {
  it('S21: an earlier timestamp is processed at the current virtual time and counted as reordered', async () => {
    const o = await run(cfg, [
      P.icmp(0, W, '192.0.2.1', 8, 0, { icmpId: 1 }),
      P.icmp(40, W, '192.0.2.2', 8, 0, { icmpId: 1 }),
      P.icmp(10, '192.0.2.1', W, 0, 0, { icmpId: 1 }), // at 40: the first ping is gone (30 s)
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-new', 'deny']);
    expect(o.report.trace.reordered).toBe(1);
    expect(o.report.trace.lastTs).toBe(40);
  });

  it('S21: foreign and malformed packets advance virtual time too', async () => {
    const o = await run(cfg, [
      P.icmp(0, W, '192.0.2.1', 8, 0, { icmpId: 1 }),
      P.udp(35, '192.0.2.100:1', '192.0.2.101:2'), // foreign
      P.icmp(10, '192.0.2.1', W, 0, 0, { icmpId: 1 }),
    ]);
    expect(o.v).toEqual(['allow-new', 'foreign', 'deny']);
    const m = await run(cfg, [
      P.icmp(0, W, '192.0.2.1', 8, 0, { icmpId: 1 }),
      { t: 35, src: 'not-an-address' },
      P.icmp(10, '192.0.2.1', W, 0, 0, { icmpId: 1 }),
    ]);
    expect(m.v).toEqual(['allow-new', 'malformed', 'deny']);
    expect(m.report.trace.malformed).toBe(1);
  });

  it('S21: the same trace and config give the same verdicts and digest on every run', async () => {
    const packets = Array.from({ length: 200 }, (_, k) =>
      P.tcp(k * 0.5, `${W}:${1000 + (k % 17)}`, `192.0.2.${1 + (k % 5)}:443`, k % 3 ? 'A' : 'S'),
    );
    const a = await run(cfg, packets);
    const b = await run(cfg, packets);
    expect(a.report.run.digest).toBe(b.report.run.digest);
    expect(a.report.run.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});
