// S9: tracked or untracked.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, inst, perm, run } from '../helpers.js';

const W = '10.0.0.10';
const W6 = '2001:db8::10';
const sg = (ingress: object[], egress: object[], extra: object = {}, instExtra: object = {}) => ({
  securityGroups: [group('sg', ingress as never, egress as never)],
  instances: [instance('w', [W, W6], ['sg'], instExtra as never)],
  ...extra,
});

describe('S9 tracked or untracked', () => {
  it('S9 reading A: open ingress rule for the flow plus one open egress rule on all ports → untracked', async () => {
    const o = await run(sg([perm('tcp', 80, 80, '0.0.0.0/0')], [perm('tcp', 0, 65535, '0.0.0.0/0')]), [
      P.tcp(0, '192.0.2.1:5000', `${W}:80`, 'S'),
      P.tcp(0, `${W}:80`, '192.0.2.1:5000', 'SA'),
    ]);
    expect(o.v).toEqual(['allow-untracked', 'allow-untracked']);
    expect(inst(o, 'w').peakTracked).toBe(0);
  });

  it('S9 reading A fails when the egress is split into two rules, is for another protocol, or is restricted', async () => {
    const split = [perm('tcp', 0, 32767, '0.0.0.0/0'), perm('tcp', 32768, 65535, '0.0.0.0/0')];
    for (const egress of [
      split,
      [perm('udp', 0, 65535, '0.0.0.0/0')],
      [perm('-1', undefined, undefined, '10.0.0.0/8')],
    ]) {
      const o = await run(sg([perm('tcp', 80, 80, '0.0.0.0/0')], egress), [P.tcp(0, '192.0.2.1:5000', `${W}:80`, 'S')]);
      expect(o.v).toEqual(['allow-new']);
    }
  });

  it('S9 reading A fails when the ingress rule is restricted', async () => {
    const o = await run(sg([perm('tcp', 22, 22, '203.0.113.1/32')], EGRESS_ALL), [
      P.tcp(0, '203.0.113.1:5000', `${W}:22`, 'S'),
    ]);
    expect(o.v).toEqual(['allow-new']);
  });

  it('S9 reading B: open egress rule for the flow plus one open ingress rule on all ports → untracked', async () => {
    const o = await run(sg([perm('tcp', 0, 65535, '0.0.0.0/0')], [perm('tcp', 443, 443, '0.0.0.0/0')]), [
      P.tcp(0, `${W}:40000`, '192.0.2.1:443', 'S'),
      P.tcp(0, '192.0.2.1:443', `${W}:40000`, 'SA'),
      P.tcp(0, `${W}:40001`, '192.0.2.1:80', 'S'), // no egress rule matches
    ]);
    expect(o.v).toEqual(['allow-untracked', 'allow-untracked', 'deny']);
  });

  it('S9 reading B fails when the ingress is restricted', async () => {
    const o = await run(sg([perm('tcp', 0, 65535, '10.0.0.0/8')], [perm('tcp', 443, 443, '0.0.0.0/0')]), [
      P.tcp(0, `${W}:40000`, '192.0.2.1:443', 'S'),
    ]);
    expect(o.v).toEqual(['allow-new']);
  });

  it('S9: prefix lists and group references are never open, even when they hold 0.0.0.0/0', async () => {
    const cfg = sg([perm('tcp', 80, 80, 'pl-all')], [perm('-1', undefined, undefined, 'pl-all')], {
      prefixLists: { 'pl-all': ['0.0.0.0/0'] },
    });
    const o = await run(cfg, [P.tcp(0, '192.0.2.1:5000', `${W}:80`, 'S')]);
    expect(o.v).toEqual(['allow-new']);
    const cfg2 = sg([perm('tcp', 80, 80, 'sg-world')], EGRESS_ALL, { groupMembers: { 'sg-world': ['0.0.0.0/0'] } });
    const o2 = await run(cfg2, [P.tcp(0, '192.0.2.1:5000', `${W}:80`, 'S')]);
    expect(o2.v).toEqual(['allow-new']);
  });

  it('S9: the open peer is per family (0.0.0.0/0 for IPv4, ::/0 for IPv6)', async () => {
    const o = await run(
      sg([perm('tcp', 80, 80, '0.0.0.0/0', '::/0')], [perm('-1', undefined, undefined, '0.0.0.0/0')]),
      [
        P.tcp(0, '192.0.2.1:5000', `${W}:80`, 'S'),
        P.tcp(0, '[2001:db8:9::1]:5000', `[${W6}]:80`, 'S'), // no ::/0 egress: tracked
      ],
    );
    expect(o.v).toEqual(['allow-untracked', 'allow-new']);
  });

  it('S9: UDP is untracked by the same readings; ICMP and other protocols are always tracked', async () => {
    const o = await run(
      sg([perm('-1', undefined, undefined, '0.0.0.0/0')], [perm('-1', undefined, undefined, '0.0.0.0/0')]),
      [
        P.udp(0, '192.0.2.1:5000', `${W}:53`),
        P.icmp(1, '192.0.2.1', W, 8, 0, { icmpId: 1 }),
        P.other(2, '192.0.2.1', W, 47),
      ],
    );
    expect(o.v).toEqual(['allow-untracked', 'allow-new', 'allow-new']);
  });

  it('S9: autoTracked interfaces track every flow; "nlb" also sets the NLB timeouts', async () => {
    const open = [perm('tcp', 80, 80, '0.0.0.0/0')];
    const a = await run(sg(open, EGRESS_ALL, {}, { autoTracked: true }), [P.tcp(0, '192.0.2.1:5000', `${W}:80`, 'A')]);
    expect(a.v).toEqual(['allow-new']);
    // NLB: established 350 s. A mid-stream ACK creates an established entry; 350 s after the last packet it is gone,
    // and the reply direction has no egress rule.
    const n = await run(sg(open, [], {}, { autoTracked: 'nlb' }), [
      P.tcp(0, '192.0.2.1:5000', `${W}:80`, 'A'),
      P.tcp(349.5, `${W}:80`, '192.0.2.1:5000', 'A'),
      P.tcp(699.5, `${W}:80`, '192.0.2.1:5000', 'A'),
    ]);
    expect(n.v).toEqual(['allow-new', 'allow-tracked', 'deny']);
  });

  it('S9 worked example: SSH from a /32 tracked, HTTP open both ways untracked, ICMP tracked; without IPv4 egress all IPv4 is tracked', async () => {
    const ingress = [
      perm('tcp', 22, 22, '203.0.113.1/32'),
      perm('tcp', 80, 80, '0.0.0.0/0', '::/0'),
      perm('icmp', -1, -1, '0.0.0.0/0'),
    ];
    const packets = [
      P.tcp(0, '203.0.113.1:5000', `${W}:22`, 'S'),
      P.tcp(0, '198.51.100.1:5000', `${W}:80`, 'S'),
      P.tcp(0, '[2001:db8:9::1]:5000', `[${W6}]:80`, 'S'),
      P.icmp(0, '198.51.100.1', W, 8, 0, { icmpId: 1 }),
    ];
    const full = await run(sg(ingress, EGRESS_ALL), packets);
    expect(full.v).toEqual(['allow-new', 'allow-untracked', 'allow-untracked', 'allow-new']);
    const noV4Egress = await run(sg(ingress, [perm('-1', undefined, undefined, '::/0')]), packets);
    expect(noV4Egress.v).toEqual(['allow-new', 'allow-new', 'allow-untracked', 'allow-new']);
  });
});
