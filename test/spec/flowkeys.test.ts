// S5 flow keys and S6 ICMP errors.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, inst, perm, run } from '../helpers.js';

const W = '10.0.0.10';
const W6 = '2001:db8::10';
/** Outbound-only instance: everything inbound needs a tracked entry. */
const outOnly = (extra = {}) => ({
  securityGroups: [group('sg', [], EGRESS_ALL)],
  instances: [instance('w', [W, W6], ['sg'], extra)],
});

describe('S5 flow keys', () => {
  it('S5: TCP/UDP flows are keyed by both ports; replies in either direction hit one entry', async () => {
    const o = await run(outOnly(), [
      P.tcp(0, `${W}:1000`, '192.0.2.1:80', 'S'),
      P.tcp(1, '192.0.2.1:80', `${W}:1000`, 'SA'),
      P.tcp(2, '192.0.2.1:80', `${W}:1001`, 'SA'), // other local port: no entry
      P.tcp(3, '192.0.2.1:81', `${W}:1000`, 'SA'), // other remote port: no entry
      P.udp(4, `${W}:53000`, '192.0.2.1:53'),
      P.udp(5, '192.0.2.1:53', `${W}:53000`),
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked', 'deny', 'deny', 'allow-new', 'allow-tracked']);
  });

  it('S5: an ICMP request and its reply are one flow of one kind, keyed by identifier', async () => {
    const o = await run(outOnly(), [
      P.icmp(0, W, '192.0.2.1', 8, 0, { icmpId: 5 }),
      P.icmp(1, '192.0.2.1', W, 0, 0, { icmpId: 5 }), // echo reply, same id
      P.icmp(2, '192.0.2.1', W, 0, 0, { icmpId: 6 }), // other id
      P.icmp(3, '192.0.2.1', W, 14, 0, { icmpId: 5 }), // timestamp reply: another kind
      P.icmp(4, W, '192.0.2.1', 13, 0, { icmpId: 5 }), // timestamp request
      P.icmp(5, '192.0.2.1', W, 14, 0, { icmpId: 5 }),
      P.icmp(6, W6, '2001:db8:9::1', 128, 0, { icmpId: 7 }), // ICMPv6 echo
      P.icmp(7, '2001:db8:9::1', W6, 129, 0, { icmpId: 7 }),
    ]);
    expect(o.v).toEqual([
      'allow-new',
      'allow-tracked',
      'deny',
      'deny',
      'allow-new',
      'allow-tracked',
      'allow-new',
      'allow-tracked',
    ]);
  });

  it('S5: other ICMP messages are keyed by type and code [MODEL]', async () => {
    const o = await run(outOnly(), [
      P.icmp(0, W, '192.0.2.1', 10, 0), // router solicitation out
      P.icmp(1, '192.0.2.1', W, 10, 0), // same type and code back: same flow
      P.icmp(2, '192.0.2.1', W, 9, 0), // router advertisement: another flow
      P.icmp(3, '192.0.2.1', W, 10, 1), // other code: another flow
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked', 'deny', 'deny']);
  });

  it('S5: other protocols are keyed by addresses only', async () => {
    const o = await run(outOnly(), [
      P.other(0, W, '192.0.2.9', 47),
      P.other(1, '192.0.2.9', W, 47),
      P.other(2, '192.0.2.99', W, 47),
      P.other(3, '192.0.2.9', W, 50), // ESP from the same peer: another protocol
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked', 'deny', 'deny']);
  });
});

describe('S6 ICMP errors', () => {
  const quote = (src: string, sport: number, dst: string, dport: number, proto = 'tcp') => ({
    quote: { src, dst, proto, sport, dport },
  });

  it('S6: an error quoting an alive tracked flow is allow-related, in either orientation', async () => {
    const o = await run(outOnly(), [
      P.tcp(0, `${W}:5000`, '8.8.8.8:80', 'S'),
      P.icmp(1, '192.0.2.254', W, 3, 4, quote(W, 5000, '8.8.8.8', 80)),
      P.icmp(2, '192.0.2.254', W, 11, 0, quote('8.8.8.8', 80, W, 5000)),
      P.icmp(3, '192.0.2.254', W, 3, 4, quote(W, 5001, '8.8.8.8', 80)), // another flow: rules, none → deny
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-related', 'allow-related', 'deny']);
    expect(inst(o, 'w').peakTracked).toBe(1); // the related errors created nothing
  });

  it('S6: allow-related does not refresh the entry', async () => {
    const o = await run(outOnly(), [
      P.tcp(0, `${W}:5000`, '8.8.8.8:80', 'S'), // syn-sent, 120 s
      P.icmp(100, '192.0.2.254', W, 3, 1, quote(W, 5000, '8.8.8.8', 80)),
      P.tcp(120, '8.8.8.8:80', `${W}:5000`, 'SA'), // 120 s after the SYN: gone
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-related', 'deny']);
  });

  it('S6: an unrelated error is evaluated by rules as ICMP with its type and code, and tracked', async () => {
    const cfg = {
      securityGroups: [group('sg', [perm('icmp', 3, -1, '0.0.0.0/0')], EGRESS_ALL)],
      instances: [instance('w', [W], ['sg'])],
    };
    const o = await run(cfg, [
      P.icmp(0, '192.0.2.254', W, 3, 4, quote(W, 5000, '8.8.8.8', 80)),
      P.icmp(1, '192.0.2.254', W, 3, 4, quote(W, 5001, '8.8.8.8', 80)), // same type/code from the same peer: tracked entry
      P.icmp(2, '192.0.2.254', W, 11, 0, quote(W, 5000, '8.8.8.8', 80)), // time exceeded: no rule
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked', 'deny']);
  });

  it('S6: the error types are 3, 4, 5, 11, 12 (v4) and 1–4 (v6); related to queries by identifier', async () => {
    const o = await run(outOnly(), [
      P.icmp(0, W, '192.0.2.1', 8, 0, { icmpId: 9 }),
      P.icmp(1, '192.0.2.254', W, 11, 0, {
        quote: { src: W, dst: '192.0.2.1', proto: 'icmp', icmpType: 8, icmpId: 9 },
      }),
      P.icmp(2, '192.0.2.254', W, 12, 0, {
        quote: { src: W, dst: '192.0.2.1', proto: 'icmp', icmpType: 8, icmpId: 9 },
      }),
      P.icmp(3, '192.0.2.254', W, 5, 1, { quote: { src: W, dst: '192.0.2.1', proto: 'icmp', icmpType: 8, icmpId: 9 } }),
      P.icmp(4, '192.0.2.254', W, 4, 0, { quote: { src: W, dst: '192.0.2.1', proto: 'icmp', icmpType: 8, icmpId: 9 } }),
      P.icmp(5, '192.0.2.254', W, 11, 0, {
        quote: { src: W, dst: '192.0.2.1', proto: 'icmp', icmpType: 8, icmpId: 10 },
      }),
      P.tcp(6, `[${W6}]:4000`, '[2001:db8:9::1]:443', 'S'),
      ...[1, 2, 3, 4].map((type, k) =>
        P.icmp(7 + k, '2001:db8:9::fe', W6, type, 0, quote(W6, 4000, '2001:db8:9::1', 443)),
      ),
      P.icmp(11, '2001:db8:9::fe', W6, 135, 0, quote(W6, 4000, '2001:db8:9::1', 443)), // neighbour solicitation: not an error
    ]);
    expect(o.v).toEqual([
      'allow-new',
      'allow-related',
      'allow-related',
      'allow-related',
      'allow-related',
      'deny',
      'allow-new',
      'allow-related',
      'allow-related',
      'allow-related',
      'allow-related',
      'deny',
    ]);
  });

  it('S6: an error quoting an untracked flow is evaluated by rules', async () => {
    const cfg = {
      securityGroups: [group('sg', [perm('tcp', 80, 80, '0.0.0.0/0')], EGRESS_ALL)],
      instances: [instance('w', [W], ['sg'])],
    };
    const o = await run(cfg, [
      P.tcp(0, '198.51.100.1:4000', `${W}:80`, 'S'),
      P.icmp(1, '192.0.2.254', W, 3, 4, quote(W, 80, '198.51.100.1', 4000)),
    ]);
    expect(o.v).toEqual(['allow-untracked', 'deny']);
  });
});
