// S16 UDP streams: a transaction is a reply-direction packet right after an initiating-direction one;
// after two the flow is a stream (udpStreamTimeout, 180 s) instead of udpTimeout (30 s).
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, run } from '../helpers.js';

const W = '10.0.0.10';
const R = '192.0.2.53';
const cfg = (conntrack?: object) => ({
  securityGroups: [group('sg', [], EGRESS_ALL)],
  instances: [instance('w', [W], ['sg'], conntrack ? { conntrack } : {})],
});
const q = (t: number) => P.udp(t, `${W}:5000`, `${R}:53`);
const a = (t: number) => P.udp(t, `${R}:53`, `${W}:5000`);

describe('S16 UDP streams', () => {
  it('S16: one request-response is 30 s', async () => {
    expect((await run(cfg(), [q(0), a(1), a(30.5)])).v[2]).toBe('allow-tracked');
    expect((await run(cfg(), [q(0), a(1), a(31)])).v[2]).toBe('deny');
  });

  it('S16: two transactions make a stream (180 s)', async () => {
    expect((await run(cfg(), [q(0), a(1), q(2), a(3), a(182)])).v[4]).toBe('allow-tracked');
    expect((await run(cfg(), [q(0), a(1), q(2), a(3), a(183)])).v[4]).toBe('deny');
  });

  it('S16: replies after replies, and requests alone, are not transactions', async () => {
    expect((await run(cfg(), [q(0), a(1), a(2), a(3), a(33)])).v[4]).toBe('deny');
    expect((await run(cfg(), [q(0), q(1), q(2), q(3), a(33)])).v[4]).toBe('deny');
  });

  it('S16: the initiating direction is that of the creating packet (inbound-created flows too)', async () => {
    const inbound = {
      securityGroups: [
        group('sg', [{ IpProtocol: 'udp', FromPort: 5000, ToPort: 5000, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }], []),
      ],
      instances: [instance('w', [W], ['sg'])],
    };
    // Created by R → W; W's replies are the reply direction.
    const r = await run(inbound, [a(0), q(1), a(2), q(3), q(150)]);
    expect(r.v).toEqual(['allow-new', 'allow-tracked', 'allow-tracked', 'allow-tracked', 'allow-tracked']);
  });

  it('S16: udpTimeout and udpStreamTimeout are configurable', async () => {
    const c = cfg({ udpTimeout: 60, udpStreamTimeout: 90 });
    expect((await run(c, [q(0), a(1), a(60.5)])).v[2]).toBe('allow-tracked');
    expect((await run(c, [q(0), a(1), a(61)])).v[2]).toBe('deny');
    expect((await run(c, [q(0), a(1), q(2), a(3), a(93)])).v[4]).toBe('deny');
    expect((await run(c, [q(0), a(1), q(2), a(3), a(92)])).v[4]).toBe('allow-tracked');
  });
});
