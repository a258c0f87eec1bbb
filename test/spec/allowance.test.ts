// S17 allowance, S18 conntrack_allowance_available, S19 conntrack_allowance_exceeded.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, inst, run } from '../helpers.js';

const W = '10.0.0.10';
const cfg = (extra: object) => ({
  securityGroups: [group('sg', [], EGRESS_ALL)],
  instances: [instance('w', [W], ['sg'], extra as never)],
});
const syn = (t: number, k: number) => P.tcp(t, `${W}:${10000 + k}`, '192.0.2.1:443', 'S');

describe('S17–S19 allowance and counters', () => {
  it('S17: the allowance comes from the config first', async () => {
    const o = await run(cfg({ type: 'm7i-flex.large', allowance: 2 }), [syn(0, 0), syn(0, 1), syn(0, 2)]);
    expect(o.v).toEqual(['allow-new', 'allow-new', 'drop-allowance']);
    expect(inst(o, 'w').allowance).toBe(2);
    expect(inst(o, 'w').allowanceSource).toBe('config');
  });

  it('S17: then from the instance-type catalog (with its source), else unlimited', async () => {
    const o = await run(cfg({ type: 'm7i-flex.large' }), [syn(0, 0)]);
    expect(inst(o, 'w').allowance).toBe(76957);
    expect(inst(o, 'w').allowanceSource).toBe('catalog');
    const u = await run(
      cfg({ type: 'x9z.unknown' }),
      Array.from({ length: 50 }, (_, k) => syn(0, k)),
    );
    expect(inst(u, 'w').allowance).toBeNull();
    expect(inst(u, 'w').allowanceSource).toBe('unlimited');
    expect(inst(u, 'w').peakTracked).toBe(50);
    expect(u.v.every((v) => v === 'allow-new')).toBe(true);
  });

  it('S18: available minimum = allowance − most tracked at once; null when unlimited', async () => {
    const o = await run(cfg({ allowance: 10 }), [syn(0, 0), syn(0, 1), syn(0, 2)]);
    expect(inst(o, 'w').conntrackAllowanceAvailableMin).toBe(7);
    const u = await run(cfg({}), [syn(0, 0)]);
    expect(inst(u, 'w').conntrackAllowanceAvailableMin).toBeNull();
  });

  it('S17/S18: the peak is of alive entries: expired ones free the allowance', async () => {
    const o = await run(cfg({ allowance: 2 }), [
      P.tcp(0, `${W}:1`, '192.0.2.1:443', 'R'), // closed, 10 s
      P.tcp(1, `${W}:2`, '192.0.2.1:443', 'S'),
      P.tcp(5, `${W}:3`, '192.0.2.1:443', 'S'),
      P.tcp(10, `${W}:4`, '192.0.2.1:443', 'S'), // the RST entry is gone at 10
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-new', 'drop-allowance', 'allow-new']);
    expect(inst(o, 'w').peakTracked).toBe(2);
    expect(inst(o, 'w').trackedAtEnd).toBe(2);
    expect(inst(o, 'w').conntrackAllowanceAvailableMin).toBe(0);
  });

  it('S19: every dropped packet counts, retries included', async () => {
    const o = await run(cfg({ allowance: 1 }), [syn(0, 0), syn(1, 1), syn(2, 1), syn(3, 1)]);
    expect(inst(o, 'w').conntrackAllowanceExceeded).toBe(3);
    expect(o.report.verdicts['drop-allowance']).toBe(3);
  });

  it('trackedAtEnd counts entries alive at the final virtual time', async () => {
    const o = await run(cfg({}), [
      syn(0, 0),
      P.tcp(0, `${W}:9`, '192.0.2.1:443', 'R'),
      P.udp(10, '192.0.2.99:1', '192.0.2.98:2'),
    ]);
    expect(inst(o, 'w').trackedAtEnd).toBe(1); // the RST entry is gone at 10; the SYN lives 120 s
  });
});
