// S8: rule matching.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, perm, run } from '../helpers.js';

const W = '10.0.0.10';
const W6 = '2001:db8::10';
const only = (ingress: object[], egress: object[] = [], extra: object = {}) => ({
  securityGroups: [group('sg', ingress as never, egress as never)],
  instances: [instance('w', [W, W6], ['sg'])],
  ...extra,
});

describe('S8 rule matching', () => {
  it('S8: TCP/UDP rules filter on the destination port, inclusive range', async () => {
    const o = await run(only([perm('tcp', 1000, 2000, '0.0.0.0/0'), perm('udp', 53, 53, '0.0.0.0/0')]), [
      P.tcp(0, '192.0.2.1:5000', `${W}:1000`, 'S'),
      P.tcp(0, '192.0.2.1:5000', `${W}:2000`, 'S'),
      P.tcp(0, '192.0.2.1:5000', `${W}:999`, 'S'),
      P.tcp(0, '192.0.2.1:5000', `${W}:2001`, 'S'),
      P.tcp(0, '192.0.2.1:1500', `${W}:80`, 'S'), // source port in range does not count
      P.udp(0, '192.0.2.1:5000', `${W}:53`),
      P.udp(0, '192.0.2.1:5000', `${W}:1500`), // a tcp range does not match udp
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-new', 'deny', 'deny', 'deny', 'allow-new', 'deny']);
  });

  it('S8: outbound rules test the remote (destination) port and the destination address', async () => {
    const o = await run(only([], [perm('tcp', 443, 443, '192.0.2.0/24')]), [
      P.tcp(0, `${W}:5000`, '192.0.2.1:443', 'S'),
      P.tcp(0, `${W}:443`, '192.0.2.1:5000', 'S'),
      P.tcp(0, `${W}:5000`, '198.51.100.1:443', 'S'),
    ]);
    expect(o.v).toEqual(['allow-new', 'deny', 'deny']);
  });

  it('S8: ICMP rules: FromPort is the type, ToPort the code, -1 any; omitted ports mean all', async () => {
    const o = await run(
      only([
        perm('icmp', 3, 4, '192.0.2.0/24'),
        perm('icmp', 8, -1, '198.51.100.0/24'),
        perm('icmp', undefined, undefined, '203.0.113.0/24'),
      ]),
      [
        P.icmp(0, '192.0.2.1', W, 3, 4),
        P.icmp(1, '192.0.2.1', W, 3, 3),
        P.icmp(2, '198.51.100.1', W, 8, 0, { icmpId: 1 }),
        P.icmp(3, '198.51.100.1', W, 8, 7, { icmpId: 2 }),
        P.icmp(4, '198.51.100.1', W, 13, 0, { icmpId: 3 }),
        P.icmp(5, '203.0.113.1', W, 17, 0),
      ],
    );
    expect(o.v).toEqual(['allow-new', 'deny', 'allow-new', 'allow-new', 'deny', 'allow-new']);
  });

  it('S8: icmp rules match ICMP only, icmpv6 rules ICMPv6 only', async () => {
    const o = await run(only([perm('icmpv6', -1, -1, '::/0')]), [
      P.icmp(0, '2001:db8:9::1', W6, 128, 0, { icmpId: 1 }),
      P.icmp(0, '192.0.2.1', W, 8, 0, { icmpId: 1 }),
    ]);
    expect(o.v).toEqual(['allow-new', 'deny']);
  });

  it('S8: protocol -1 matches everything; another protocol number matches all its traffic', async () => {
    const o = await run(
      only([perm('-1', undefined, undefined, '192.0.2.0/24'), perm('47', undefined, undefined, '198.51.100.0/24')]),
      [
        P.tcp(0, '192.0.2.1:1', `${W}:65535`, 'S'),
        P.other(1, '192.0.2.1', W, 132),
        P.other(2, '198.51.100.1', W, 47),
        P.udp(3, '198.51.100.1:1', `${W}:2`),
      ],
    );
    expect(o.v).toEqual(['allow-new', 'allow-new', 'allow-new', 'deny']);
  });

  it('S8: IpRanges match IPv4 packets only and Ipv6Ranges IPv6 only', async () => {
    const o = await run(only([perm('tcp', 22, 22, '0.0.0.0/0')]), [
      P.tcp(0, '[2001:db8:9::1]:5000', `[${W6}]:22`, 'S'),
      P.tcp(0, '192.0.2.1:5000', `${W}:22`, 'S'),
    ]);
    expect(o.v).toEqual(['deny', 'allow-new']);
  });

  it('S8: prefix lists match their CIDRs', async () => {
    const cfg = only([perm('tcp', 22, 22, 'pl-office')], [], {
      prefixLists: { 'pl-office': ['203.0.113.0/25', '2001:db8:aaaa::/48'] },
    });
    const o = await run(cfg, [
      P.tcp(0, '203.0.113.7:5000', `${W}:22`, 'S'),
      P.tcp(0, '203.0.113.200:5000', `${W}:22`, 'S'),
      P.tcp(0, '[2001:db8:aaaa::1]:5000', `[${W6}]:22`, 'S'),
    ]);
    expect(o.v).toEqual(['allow-new', 'deny', 'allow-new']);
  });

  it('S8: group references match the addresses of interfaces carrying the group, plus groupMembers', async () => {
    const cfg = {
      securityGroups: [
        group('sg-db', [perm('tcp', 5432, 5432, 'sg-app', 'sg-legacy')], []),
        group('sg-app', [], EGRESS_ALL),
      ],
      groupMembers: { 'sg-legacy': ['192.0.2.50'] },
      instances: [
        instance('db', ['10.0.0.5'], ['sg-db']),
        instance('app', ['10.0.0.6'], ['sg-app']),
        instance('other', ['10.0.0.7'], ['sg-app']),
      ],
    };
    const o = await run(cfg, [
      P.tcp(0, '10.0.0.6:5000', '10.0.0.5:5432', 'S'),
      P.tcp(0, '10.0.0.7:5000', '10.0.0.5:5432', 'S'),
      P.tcp(0, '192.0.2.50:5000', '10.0.0.5:5432', 'S'),
      P.tcp(0, '192.0.2.51:5000', '10.0.0.5:5432', 'S'),
    ]);
    expect(o.v).toEqual(['app=allow-new db=allow-new', 'other=allow-new db=allow-new', 'allow-new', 'deny']);
  });
});
