// S20 link-local services: bypass the rules, untracked, 1024 packets/s per interface.
import { describe, expect, it } from 'vitest';
import { P, group, instance, inst, run } from '../helpers.js';

const W = '10.0.1.10';
const W6 = '2001:db8::10';
/** No rules at all: only S20 lets anything through. */
const cfg = (extra: object = {}) => ({
  securityGroups: [group('sg', [], [])],
  instances: [instance('w', [W, W6], ['sg'], extra as never)],
});

describe('S20 link-local services', () => {
  it('S20: metadata and time sync, any protocol, both directions, IPv4 and IPv6', async () => {
    const o = await run(cfg(), [
      P.tcp(0, `${W}:5000`, '169.254.169.254:80', 'S'),
      P.tcp(0, '169.254.169.254:80', `${W}:5000`, 'SA'),
      P.icmp(0, W, '169.254.169.254', 8, 0, { icmpId: 1 }),
      P.udp(0, `${W}:123`, '169.254.169.123:123'),
      P.udp(0, `[${W6}]:123`, '[fd00:ec2::123]:123'),
      P.tcp(0, `[${W6}]:5000`, '[fd00:ec2::254]:80', 'S'),
    ]);
    expect(o.v).toEqual(Array(6).fill('allow-bypass'));
    expect(inst(o, 'w').peakTracked).toBe(0);
  });

  it('S20: the resolver only for TCP/UDP with its port 53; VPC base + 2 with vpcCidr', async () => {
    const o = await run(cfg({ vpcCidr: '10.0.0.0/16' }), [
      P.udp(0, `${W}:5000`, '169.254.169.253:53'),
      P.tcp(0, `${W}:5000`, '169.254.169.253:53', 'S'),
      P.udp(0, '169.254.169.253:53', `${W}:5000`),
      P.udp(0, `${W}:5000`, '10.0.0.2:53'),
      P.udp(0, `[${W6}]:5000`, '[fd00:ec2::253]:53'),
      P.tcp(0, `${W}:5000`, '169.254.169.253:80', 'S'), // not port 53
      P.icmp(0, W, '10.0.0.2', 8, 0, { icmpId: 1 }), // not TCP/UDP
      P.udp(0, `${W}:5000`, '10.0.0.3:53'),
    ]);
    expect(o.v).toEqual([...Array(5).fill('allow-bypass'), 'deny', 'deny', 'deny']);
    const noVpc = await run(cfg(), [P.udp(0, `${W}:5000`, '10.0.0.2:53')]);
    expect(noVpc.v).toEqual(['deny']);
  });

  it('S20: 1024 packets per second per interface, bucket full at the start', async () => {
    const packets = Array.from({ length: 1025 }, () => P.udp(0, `${W}:5000`, '169.254.169.254:80'));
    const o = await run(cfg(), packets);
    expect(o.v.filter((v) => v === 'allow-bypass')).toHaveLength(1024);
    expect(o.v[1024]).toBe('drop-linklocal');
    expect(inst(o, 'w').linklocalAllowanceExceeded).toBe(1);
    expect(o.report.verdicts['drop-linklocal']).toBe(1);
  });

  it('S20: one token comes back every 1/1024 s (976562.5 ns), exactly', async () => {
    const burst = Array.from({ length: 1024 }, () => P.udp(0, `${W}:5000`, '169.254.169.254:80'));
    const at = (t: string) => P.udp(t, `${W}:5000`, '169.254.169.254:80');
    const early = await run(cfg(), [...burst, at('0.000976562')]);
    expect(early.v[1024]).toBe('drop-linklocal');
    const onTime = await run(cfg(), [...burst, at('0.000976563')]);
    expect(onTime.v[1024]).toBe('allow-bypass');
    // After one second the bucket is full again, but never more than full.
    const later = await run(cfg(), [...burst, ...Array.from({ length: 1025 }, () => at('5'))]);
    expect(later.v.slice(1024).filter((v) => v === 'drop-linklocal')).toHaveLength(1);
  });

  it('S20: each interface has its own bucket', async () => {
    const two = {
      securityGroups: [group('sg', [], [])],
      instances: [
        {
          id: 'w',
          interfaces: [
            { id: 'e0', addresses: [W], securityGroups: ['sg'] },
            { id: 'e1', addresses: ['10.0.2.10'], securityGroups: ['sg'] },
          ],
        },
      ],
    };
    const packets = [
      ...Array.from({ length: 1025 }, () => P.udp(0, `${W}:5000`, '169.254.169.254:80')),
      P.udp(0, '10.0.2.10:5000', '169.254.169.254:80'),
    ];
    const o = await run(two, packets);
    expect(o.v[1024]).toBe('drop-linklocal');
    expect(o.v[1025]).toBe('allow-bypass');
  });
});
