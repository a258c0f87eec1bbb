// S10 order of evaluation, S11 verdict strings.
import { describe, expect, it } from 'vitest';
import { VERDICTS } from '../../src/model/verdict.js';
import { EGRESS_ALL, P, group, instance, inst, perm, run } from '../helpers.js';

const W = '10.0.0.10';

describe('S10 order of evaluation', () => {
  it('S10.1: link-local services come before rules', async () => {
    const o = await run({ securityGroups: [group('sg', [], [])], instances: [instance('w', [W], ['sg'])] }, [
      P.tcp(0, `${W}:5000`, '169.254.169.254:80', 'S'),
    ]);
    expect(o.v).toEqual(['allow-bypass']);
  });

  it('S10.2: an alive entry allows whatever the rules say (reply with no matching ingress rule)', async () => {
    const o = await run({ securityGroups: [group('sg', [], EGRESS_ALL)], instances: [instance('w', [W], ['sg'])] }, [
      P.tcp(0, `${W}:5000`, '192.0.2.1:443', 'S'),
      P.tcp(1, '192.0.2.1:443', `${W}:5000`, 'SA'),
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-tracked']);
  });

  it('S10.3: a related ICMP error comes before the rules', async () => {
    const o = await run({ securityGroups: [group('sg', [], EGRESS_ALL)], instances: [instance('w', [W], ['sg'])] }, [
      P.udp(0, `${W}:5000`, '192.0.2.1:53'),
      P.icmp(1, '192.0.2.1', W, 3, 3, { quote: { src: W, dst: '192.0.2.1', proto: 'udp', sport: 5000, dport: 53 } }),
    ]);
    expect(o.v).toEqual(['allow-new', 'allow-related']);
  });

  it('S10.5 before S10.6: untracked flows pass even with no allowance left; tracked ones are dropped', async () => {
    const cfg = {
      securityGroups: [
        group('sg', [perm('tcp', 80, 80, '0.0.0.0/0'), perm('tcp', 22, 22, '192.0.2.0/24')], EGRESS_ALL),
      ],
      instances: [instance('w', [W], ['sg'], { allowance: 0 })],
    };
    const o = await run(cfg, [P.tcp(0, '192.0.2.1:5000', `${W}:80`, 'S'), P.tcp(0, '192.0.2.1:5001', `${W}:22`, 'S')]);
    expect(o.v).toEqual(['allow-untracked', 'drop-allowance']);
  });

  it('S10.6: a dropped packet creates nothing; the next packet of the flow tries again', async () => {
    const cfg = {
      securityGroups: [group('sg', [perm('tcp', 22, 22, '192.0.2.0/24')], [])],
      instances: [instance('w', [W], ['sg'], { allowance: 1 })],
    };
    const o = await run(cfg, [
      P.tcp(0, '192.0.2.1:5000', `${W}:22`, 'R'), // closed: 10 s
      P.tcp(1, '192.0.2.2:5000', `${W}:22`, 'S'),
      P.tcp(2, `${W}:22`, '192.0.2.2:5000', 'SA'), // no entry was created, no egress rule
      P.tcp(10, '192.0.2.2:5000', `${W}:22`, 'S'), // the RST entry is gone at 10 s
    ]);
    expect(o.v).toEqual(['allow-new', 'drop-allowance', 'deny', 'allow-new']);
    expect(inst(o, 'w').conntrackAllowanceExceeded).toBe(1);
  });
});

describe('S11 verdicts', () => {
  it('S11: reports use exactly the eight evaluation verdict strings, plus foreign and malformed per packet', async () => {
    const o = await run({ securityGroups: [group('sg', [], EGRESS_ALL)], instances: [instance('w', [W], ['sg'])] }, []);
    expect(Object.keys(o.report.verdicts)).toEqual(VERDICTS.slice(0, 8));
    expect(Object.keys(o.report.instances[0]!.verdicts)).toEqual(VERDICTS.slice(0, 8));
    expect(VERDICTS).toEqual([
      'allow-new',
      'allow-tracked',
      'allow-related',
      'allow-untracked',
      'allow-bypass',
      'deny',
      'drop-allowance',
      'drop-linklocal',
      'foreign',
      'malformed',
    ]);
  });
});
