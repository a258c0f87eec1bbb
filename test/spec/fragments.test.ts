// S7: fragments.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, inst, perm, run } from '../helpers.js';

const W = '10.0.0.10';
const first = (id: number) => ({ fragment: { id, offset: 0, more: true } });
const later = (id: number, more = false) => ({ fragment: { id, offset: 1480, more } });

describe('S7 fragments', () => {
  const cfg = {
    securityGroups: [
      group('sg', [perm('udp', 9000, 9000, '198.51.100.0/24'), perm('udp', 80, 80, '0.0.0.0/0')], EGRESS_ALL),
    ],
    instances: [instance('w', [W], ['sg'])],
  };

  it('S7: a non-first fragment of an allow-new first fragment is allow-tracked and creates nothing', async () => {
    const o = await run(cfg, [
      P.udp(0, '198.51.100.1:5000', `${W}:9000`, first(7)),
      P.udp(0.001, '198.51.100.1:5000', `${W}:9000`, later(7, true)),
      P.udp(0.002, '198.51.100.1:5000', `${W}:9000`, later(7)),
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked', 'allow-tracked']);
    expect(inst(o, 'w').peakTracked).toBe(1);
  });

  it('S7: without a first fragment, or with another IP id, a non-first fragment is denied', async () => {
    const o = await run(cfg, [
      P.udp(0, '198.51.100.1:5000', `${W}:9000`, later(1)),
      P.udp(1, '198.51.100.1:5000', `${W}:9000`, first(2)),
      P.udp(1.5, '198.51.100.1:5000', `${W}:9000`, later(3)),
    ]);
    expect(o.v).toEqual(['deny', 'allow-new', 'deny']);
  });

  it('S7: the first fragment must be less than fragmentTimeout (30 s) earlier', async () => {
    const o = await run(cfg, [
      P.udp('0', '198.51.100.1:5000', `${W}:9000`, first(1)),
      P.udp('29.999999999', '198.51.100.1:5000', `${W}:9000`, later(1)),
      P.udp('30', '198.51.100.1:5000', `${W}:9000`, later(1)),
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked', 'deny']);
  });

  it('S7: untracked, denied and dropped first fragments decide the rest', async () => {
    const o = await run({ ...cfg, instances: [instance('w', [W], ['sg'], { allowance: 0 })] }, [
      P.udp(0, '203.0.113.1:5000', `${W}:80`, first(1)), // open both ways: untracked
      P.udp(0, '203.0.113.1:5000', `${W}:80`, later(1)),
      P.udp(1, '203.0.113.1:5000', `${W}:9000`, first(2)), // peer not allowed
      P.udp(1, '203.0.113.1:5000', `${W}:9000`, later(2)),
      P.udp(2, '198.51.100.1:5000', `${W}:9000`, first(3)), // allowance 0
      P.udp(2, '198.51.100.1:5000', `${W}:9000`, later(3)),
    ]);
    expect(o.v).toEqual(['allow-untracked', 'allow-untracked', 'deny', 'deny', 'drop-allowance', 'deny']);
  });

  it('S7: a non-first fragment never refreshes the entry', async () => {
    const o = await run(cfg, [
      P.udp(0, '198.51.100.1:5000', `${W}:9000`, first(1)), // UDP entry, 30 s
      P.udp(20, '198.51.100.1:5000', `${W}:9000`, later(1)),
      P.udp(30, `${W}:9000`, '198.51.100.1:5000'), // 30 s after the first fragment: gone; egress allows it anew
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked', 'allow-new']);
  });

  it('S7: a non-first fragment follows an allow-bypass first fragment and takes no link-local token', async () => {
    const md = '169.254.169.254';
    const packets = [P.udp(0, `${W}:5000`, `${md}:80`, first(1))];
    for (let i = 0; i < 1023; i++) packets.push(P.udp(0, `${W}:5000`, `${md}:80`));
    packets.push(P.udp(0, `${W}:5000`, `${md}:80`, later(1))); // bucket empty, but no token needed
    packets.push(P.udp(0, `${W}:5000`, `${md}:80`)); // bucket empty
    const o = await run(cfg, packets);
    expect(o.v[0]).toBe('allow-bypass');
    expect(o.v.slice(1, 1024).every((v) => v === 'allow-bypass')).toBe(true);
    expect(o.v[1024]).toBe('allow-bypass');
    expect(o.v[1025]).toBe('drop-linklocal');
  });

  it('S7: fragments are matched per interface', async () => {
    const two = {
      securityGroups: [group('sg-a', [], EGRESS_ALL), group('sg-b', [perm('udp', 9000, 9000, '10.0.0.0/8')], [])],
      instances: [instance('a', ['10.0.0.1'], ['sg-a']), instance('b', ['10.0.0.2'], ['sg-b'])],
    };
    const o = await run(two, [
      P.udp(0, '10.0.0.1:5000', '10.0.0.2:9000', first(4)),
      P.udp(0, '10.0.0.1:5000', '10.0.0.2:9000', later(4)),
      P.udp(1, '10.0.0.1:5000', '10.0.0.2:9001', first(5)), // b denies the first fragment
      P.udp(1, '10.0.0.1:5000', '10.0.0.2:9001', later(5)),
    ]);
    expect(o.v).toEqual([
      'a=allow-new b=allow-new',
      'a=allow-tracked b=allow-tracked',
      'a=allow-new b=deny',
      'a=allow-tracked b=deny',
    ]);
  });
});
