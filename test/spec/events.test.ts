// S12 rule-change events.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, perm, run } from '../helpers.js';

const W = '10.0.0.10';
const ssh = perm('tcp', 22, 22, '0.0.0.0/0');

describe('S12 rule changes', () => {
  it('S12: an event applies before a packet with the same timestamp', async () => {
    const cfg = {
      securityGroups: [group('sg', [ssh], EGRESS_ALL)],
      instances: [instance('w', [W], ['sg'])],
      events: [{ at: 5, action: 'revokeIngress', groupId: 'sg', permissions: [ssh] }],
    };
    const o = await run(cfg, [
      P.tcp('4.999999999', '192.0.2.1:5000', `${W}:22`, 'S'),
      P.tcp(5, '192.0.2.1:5001', `${W}:22`, 'S'),
    ]);
    expect(o.v).toEqual(['allow-untracked', 'deny']);
  });

  it('S12: authorizing makes new flows allowed from its time on', async () => {
    const restricted = perm('tcp', 22, 22, '192.0.2.0/24');
    const cfg = {
      securityGroups: [group('sg', [], [])],
      instances: [instance('w', [W], ['sg'])],
      events: [{ at: 10, action: 'authorizeIngress', groupId: 'sg', permissions: [restricted] }],
    };
    const o = await run(cfg, [P.tcp(9, '192.0.2.1:5000', `${W}:22`, 'S'), P.tcp(10, '192.0.2.1:5000', `${W}:22`, 'S')]);
    expect(o.v).toEqual(['deny', 'allow-new']);
  });

  it('S12: tracked entries survive the removal of their rule; untracked flows are cut at once', async () => {
    const restricted = perm('tcp', 22, 22, '192.0.2.0/24');
    const cfg = {
      securityGroups: [group('sg', [restricted, ssh], EGRESS_ALL)],
      instances: [instance('w', [W], ['sg'])],
      events: [{ at: 2, action: 'revokeIngress', groupId: 'sg', permissions: [restricted, ssh] }],
    };
    const o = await run(cfg, [
      P.tcp(0, '192.0.2.1:5000', `${W}:22`, 'S'), // untracked (reading A)
      P.tcp(1, `${W}:6000`, '192.0.2.9:22', 'S'), // outbound, tracked (no open ingress on all ports)
      P.tcp(3, '192.0.2.1:5000', `${W}:22`, 'A'), // untracked flow: the rule is gone
      P.tcp(3, '192.0.2.9:22', `${W}:6000`, 'SA'), // tracked flow: still flowing
    ]);
    expect(o.v).toEqual(['allow-untracked', 'allow-new', 'deny', 'allow-tracked']);
  });

  it('S12: the other direction of a cut untracked flow is evaluated afresh and may create a tracked entry', async () => {
    const cfg = {
      securityGroups: [group('sg', [ssh], EGRESS_ALL)],
      instances: [instance('w', [W], ['sg'])],
      events: [{ at: 2, action: 'revokeIngress', groupId: 'sg', permissions: [ssh] }],
    };
    const o = await run(cfg, [
      P.tcp(1, '192.0.2.1:5000', `${W}:22`, 'PA'),
      P.tcp(3, `${W}:22`, '192.0.2.1:5000', 'PA'), // egress allows; no longer untracked → new tracked entry
      P.tcp(4, '192.0.2.1:5000', `${W}:22`, 'PA'), // matches that entry
    ]);
    expect(o.v).toEqual(['allow-untracked', 'allow-new', 'allow-tracked']);
  });

  it('S12: events with the same time apply in file order; events are applied in order of time', async () => {
    const mk = (events: object[]) => ({
      securityGroups: [group('sg', [ssh], EGRESS_ALL)],
      instances: [instance('w', [W], ['sg'])],
      events,
    });
    const rv = (at: number) => ({ at, action: 'revokeIngress', groupId: 'sg', permissions: [ssh] });
    const au = (at: number) => ({ at, action: 'authorizeIngress', groupId: 'sg', permissions: [ssh] });
    const pkt = [P.tcp(5, '192.0.2.1:5000', `${W}:22`, 'S')];
    expect((await run(mk([rv(5), au(5)]), pkt)).v).toEqual(['allow-untracked']);
    expect((await run(mk([au(6), rv(5)]), pkt)).v).toEqual(['deny']); // written out of order; sorted by time
    expect((await run(mk([rv(1), au(3), rv(5)]), pkt)).v).toEqual(['deny']);
  });

  it('S12: setSecurityGroups replaces the groups of the primary interface and changes group membership', async () => {
    const cfg = {
      securityGroups: [
        group('sg-db', [perm('tcp', 5432, 5432, 'sg-app')], []),
        group('sg-app', [], EGRESS_ALL),
        group('sg-none', [], EGRESS_ALL),
      ],
      instances: [instance('db', ['10.0.0.5'], ['sg-db']), instance('app', ['10.0.0.6'], ['sg-app'])],
      events: [{ at: 10, action: 'setSecurityGroups', instanceId: 'app', securityGroups: ['sg-none'] }],
    };
    const o = await run(cfg, [
      P.tcp(0, '10.0.0.6:5000', '10.0.0.5:5432', 'S'),
      P.tcp(10, '10.0.0.6:5001', '10.0.0.5:5432', 'S'),
    ]);
    expect(o.v).toEqual(['app=allow-new db=allow-new', 'app=allow-new db=deny']);
  });

  it('S12: modifyConnectionTracking changes only the keys it gives', async () => {
    const cfg = {
      securityGroups: [group('sg', [], EGRESS_ALL)],
      instances: [instance('w', [W], ['sg'], { conntrack: { tcpClosedTimeout: 20 } })],
      events: [{ at: 1, action: 'modifyConnectionTracking', instanceId: 'w', conntrack: { udpTimeout: 60 } }],
    };
    const o = await run(cfg, [
      P.udp(0, `${W}:5000`, '192.0.2.1:53'),
      P.tcp(0, `${W}:5000`, '192.0.2.1:80', 'R'),
      P.tcp(15, '192.0.2.1:80', `${W}:5000`, 'R'), // closed is still 20 s (not reset to the default 10)
      P.udp(45, '192.0.2.1:53', `${W}:5000`), // udp is now 60 s
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-new', 'allow-tracked', 'allow-tracked']);
  });
});
