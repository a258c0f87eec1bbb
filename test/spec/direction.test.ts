// S4: which interfaces see a packet, and in which direction.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, perm, run } from '../helpers.js';

const cfg = {
  securityGroups: [group('sg-a', [], EGRESS_ALL), group('sg-b', [perm('tcp', 80, 80, '10.0.0.0/16')], [])],
  instances: [instance('a', ['10.0.0.1', '10.0.0.3'], ['sg-a']), instance('b', ['10.0.0.2'], ['sg-b'])],
};

describe('S4 direction', () => {
  it('S4: a packet between two instances is evaluated at the sender egress, then the receiver ingress', async () => {
    const o = await run(cfg, [
      P.tcp(0, '10.0.0.1:1000', '10.0.0.2:80', 'S'),
      P.tcp(1, '10.0.0.1:1001', '10.0.0.2:81', 'S'),
    ]);
    expect(o.v).toEqual(['a=allow-new b=allow-new', 'a=allow-new b=deny']);
  });

  it('S4: a packet stopped at egress gets no verdict at the receiver', async () => {
    // b has no egress rule: stopped at b; a never sees it.
    const o = await run(cfg, [P.tcp(0, '10.0.0.2:80', '10.0.0.1:1000', 'SA')]);
    expect(o.v).toEqual(['deny']);
    expect(o.report.instances.find((i) => i.id === 'a')!.verdicts.deny).toBe(0);
    expect(o.report.instances.find((i) => i.id === 'b')!.verdicts.deny).toBe(1);
  });

  it('S4: packets touching no interface, or within one instance, are foreign', async () => {
    const o = await run(cfg, [
      P.tcp(0, '192.0.2.1:1', '192.0.2.2:2', 'S'),
      P.tcp(1, '10.0.0.1:1', '10.0.0.3:2', 'S'), // both addresses are a's
    ]);
    expect(o.v).toEqual(['foreign', 'foreign']);
    expect(o.report.trace.foreign).toBe(2);
    expect(Object.values(o.report.verdicts).reduce((x, y) => x + y, 0)).toBe(0);
  });

  it('S4: verdict counts count evaluations; trace.packets counts packets', async () => {
    const o = await run(cfg, [
      P.tcp(0, '10.0.0.1:1000', '10.0.0.2:80', 'S'),
      P.tcp(0, '192.0.2.9:1', '10.0.0.2:80', 'S'),
    ]);
    expect(o.report.trace.packets).toBe(2);
    expect(o.report.verdicts['allow-new']).toBe(2);
    expect(o.report.verdicts.deny).toBe(1);
  });

  it('S4: inbound at the interface holding the destination, outbound at the one holding the source', async () => {
    // b's ingress allows tcp/80 from 10.0.0.0/16: inbound from outside that range is denied;
    // outbound from b has no egress rule: denied.
    const o = await run(cfg, [
      P.tcp(0, '192.0.2.1:1000', '10.0.0.2:80', 'S'),
      P.tcp(0, '10.0.0.2:80', '192.0.2.1:1000', 'SA'),
    ]);
    expect(o.v).toEqual(['deny', 'deny']);
  });
});
