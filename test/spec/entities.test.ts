// S1–S3: instances, interfaces, security groups.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, inst, perm, run } from '../helpers.js';

describe('S1 instance', () => {
  it('S1: each instance has its own table and allowance', async () => {
    const cfg = {
      securityGroups: [group('sg-out', [], EGRESS_ALL)],
      instances: [
        instance('a', ['10.0.0.1'], ['sg-out'], { allowance: 1 }),
        instance('b', ['10.0.0.2'], ['sg-out'], { allowance: 1 }),
      ],
    };
    const o = await run(cfg, [
      P.tcp(0, '10.0.0.1:1000', '192.0.2.1:80', 'S'),
      P.tcp(1, '10.0.0.1:1001', '192.0.2.1:80', 'S'), // a is full
      P.tcp(2, '10.0.0.2:1000', '192.0.2.1:80', 'S'), // b has its own allowance
    ]);
    expect(o.v).toEqual(['allow-new', 'drop-allowance', 'allow-new']);
    expect(inst(o, 'a').peakTracked).toBe(1);
    expect(inst(o, 'b').peakTracked).toBe(1);
  });
});

describe('S2 interface', () => {
  const cfg = {
    securityGroups: [group('sg-out', [], EGRESS_ALL)],
    instances: [
      {
        id: 'multi',
        allowance: 1,
        conntrack: { udpTimeout: 60 },
        interfaces: [
          { id: 'eth-a', addresses: ['10.0.0.1'], securityGroups: ['sg-out'] },
          { id: 'eth-b', addresses: ['10.0.1.1'], securityGroups: ['sg-out'], conntrack: { udpTimeout: 30 } },
        ],
      },
    ],
  };

  it('S2: instance-level conntrack applies to interfaces that do not set their own', async () => {
    const o = await run({ ...cfg, instances: [{ ...cfg.instances[0], allowance: 5 }] }, [
      P.udp(0, '10.0.0.1:5000', '192.0.2.1:53'),
      P.udp(0, '10.0.1.1:5000', '192.0.2.1:53'),
      P.udp(45, '192.0.2.1:53', '10.0.0.1:5000'), // 45 < 60 (inherited)
      P.udp(45, '192.0.2.1:53', '10.0.1.1:5000'), // 45 ≥ 30 (own): gone, no ingress rule
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-new', 'allow-tracked', 'deny']);
  });

  it('S2/S1: interfaces of one instance share its allowance', async () => {
    const o = await run(cfg, [P.udp(0, '10.0.0.1:5000', '192.0.2.1:53'), P.udp(1, '10.0.1.1:5000', '192.0.2.1:53')]);
    expect(o.v).toEqual(['allow-new', 'drop-allowance']);
  });

  it('S2: shorthand addresses/securityGroups make one interface', async () => {
    const o = await run(
      {
        securityGroups: [group('sg-out', [], EGRESS_ALL)],
        instances: [instance('s', ['10.0.0.1', '2001:db8::1'], ['sg-out'])],
      },
      [P.udp(0, '10.0.0.1:1', '192.0.2.1:2'), P.udp(0, '[2001:db8::1]:1', '[2001:db8:9::1]:2')],
    );
    expect(o.cfg.interfaces).toHaveLength(1);
    expect(o.v).toEqual(['allow-new', 'allow-new']);
  });
});

describe('S3 security groups', () => {
  it('S3: the rules of all groups on an interface are a union', async () => {
    const cfg = {
      securityGroups: [
        group('sg-ssh', [perm('tcp', 22, 22, '203.0.113.0/24')], []),
        group('sg-web', [perm('tcp', 443, 443, '198.51.100.0/24')], EGRESS_ALL),
      ],
      instances: [instance('w', ['10.0.0.10'], ['sg-ssh', 'sg-web'])],
    };
    const o = await run(cfg, [
      P.tcp(0, '203.0.113.1:5000', '10.0.0.10:22', 'S'),
      P.tcp(1, '198.51.100.1:5000', '10.0.0.10:443', 'S'),
      P.tcp(2, '198.51.100.1:5000', '10.0.0.10:22', 'S'), // sg-ssh peer does not match, sg-web port does not
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-new', 'deny']);
  });
});
