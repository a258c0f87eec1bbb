// S15 TCP states [MODEL]; each state is observed through its idle timeout (S13):
// syn-sent 120, syn-recv 60, established 432000, fin-wait 120, time-wait 120, closed 10.
import { describe, expect, it } from 'vitest';
import { EGRESS_ALL, P, group, instance, run } from '../helpers.js';

const W = '10.0.0.10';
const R = '192.0.2.1';
/** Outbound only: an inbound packet is allowed only by a live entry. */
const cfg = { securityGroups: [group('sg', [], EGRESS_ALL)], instances: [instance('w', [W], ['sg'])] };
const o = (t: number | string, flags: string) => P.tcp(t, `${W}:5000`, `${R}:80`, flags);
const i = (t: number | string, flags: string) => P.tcp(t, `${R}:80`, `${W}:5000`, flags);
/** Verdict of the last packet. */
async function last(packets: object[]): Promise<string> {
  const r = await run(cfg, packets as never);
  return r.v[r.v.length - 1]!;
}

describe('S15 TCP states', () => {
  it('S15 creating SYN → syn-sent (120 s)', async () => {
    expect(await last([o(0, 'S'), i(119, 'A')])).toBe('allow-tracked'); // an ACK on syn-sent keeps syn-sent
    expect(await last([o(0, 'S'), i(120, 'SA')])).toBe('deny');
  });

  it('S15 SYN+ACK from the other side on syn-sent → syn-recv (60 s)', async () => {
    expect(await last([o(0, 'S'), i(1, 'SA'), i('60.999999999', 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'S'), i(1, 'SA'), i(61, 'A')])).toBe('deny');
  });

  it('S15 SYN+ACK from the side that sent the SYN leaves syn-sent', async () => {
    expect(await last([o(0, 'S'), o(1, 'SA'), i(100, 'A')])).toBe('allow-tracked'); // syn-recv would be gone at 61
  });

  it('S15 ACK without SYN on syn-recv → established', async () => {
    expect(await last([o(0, 'S'), i(1, 'SA'), o(2, 'A'), i(10000, 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'S'), i(1, 'SA'), o(2, 'A'), i(432002, 'A')])).toBe('deny');
  });

  it('S15 creating SYN+ACK → syn-recv; creating ACK (mid-stream) → established', async () => {
    expect(await last([o(0, 'SA'), i(60, 'A')])).toBe('deny');
    expect(await last([o(0, 'SA'), i(59, 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'PA'), i(1000, 'A')])).toBe('allow-tracked');
  });

  it('S15 a FIN → fin-wait (120 s); FINs from both sides → time-wait (120 s)', async () => {
    expect(await last([o(0, 'A'), o(10, 'FA'), i(129, 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'A'), o(10, 'FA'), i(130, 'A')])).toBe('deny');
    expect(await last([o(0, 'A'), o(10, 'FA'), i(11, 'FA'), o(130, 'A'), i(249, 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'A'), o(10, 'FA'), i(11, 'FA'), o(130, 'A'), i(250, 'A')])).toBe('deny');
    expect(await last([o(0, 'A'), o(10, 'FA'), i(11, 'FA'), i(131, 'A')])).toBe('deny');
  });

  it('S15 FIN takes precedence over ACK and SYN (FIN+ACK on syn-recv → fin-wait)', async () => {
    // fin-wait lasts 120 s from 2; had the ACK counted first, the entry would be established (432000 s).
    expect(await last([o(0, 'S'), i(1, 'SA'), o(2, 'FA'), i(121, 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'S'), i(1, 'SA'), o(2, 'FA'), i(122, 'A')])).toBe('deny');
  });

  it('S15 any RST → closed (10 s); RST takes precedence', async () => {
    expect(await last([o(0, 'A'), i(5, 'RA'), o('14.999999999', 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'A'), i(5, 'RA'), i(15, 'A')])).toBe('deny');
    expect(await last([o(0, 'R'), i(10, 'A')])).toBe('deny'); // creating RST
    expect(await last([o(0, 'RF'), i(10, 'A')])).toBe('deny'); // closed, not fin-wait
  });

  it('S15 closed stays closed on FIN', async () => {
    // The FIN at 5 refreshes and leaves it closed (10 s): gone at 15.
    expect(await last([o(0, 'R'), i(5, 'FA'), i(15, 'A')])).toBe('deny');
  });

  it('S15 creating FIN → fin-wait', async () => {
    expect(await last([o(0, 'F'), i(119, 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'F'), i(120, 'A')])).toBe('deny');
  });

  it('S15 SYN without ACK on time-wait or closed starts over (syn-sent)', async () => {
    // time-wait at 11; SYN at 12 → syn-sent; SYN+ACK back → syn-recv; 60 s later gone.
    expect(await last([o(0, 'A'), o(10, 'FA'), i(11, 'FA'), o(12, 'S'), i(13, 'SA'), i(73, 'A')])).toBe('deny');
    expect(await last([o(0, 'A'), o(10, 'FA'), i(11, 'FA'), o(12, 'S'), i(13, 'SA'), i(72, 'A')])).toBe(
      'allow-tracked',
    );
    // closed (RST) then SYN → syn-sent (120 s), not closed (10 s)
    expect(await last([o(0, 'R'), o(5, 'S'), i(100, 'A')])).toBe('allow-tracked');
  });

  it('S15 a SYN on established leaves it established; a SYN+ACK on time-wait leaves it time-wait', async () => {
    expect(await last([o(0, 'A'), o(1, 'S'), i(500, 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'A'), o(10, 'FA'), i(11, 'FA'), i(12, 'SA'), i(131, 'A')])).toBe('allow-tracked');
    expect(await last([o(0, 'A'), o(10, 'FA'), i(11, 'FA'), i(12, 'SA'), i(132, 'A')])).toBe('deny');
  });

  it('S15 a restart forgets the FINs of the old connection', async () => {
    // Distinct fin-wait (80 s) and time-wait (40 s) timeouts make the two states visible.
    const c = {
      securityGroups: [group('sg', [], EGRESS_ALL)],
      instances: [instance('w', [W], ['sg'], { conntrack: { tcpFinWaitTimeout: 80, tcpTimeWaitTimeout: 40 } })],
    };
    const seq = (tLast: number) => [
      o(0, 'A'),
      o(10, 'FA'),
      i(11, 'FA'),
      o(12, 'S'),
      i(13, 'SA'),
      o(14, 'A'),
      o(15, 'FA'),
      i(tLast, 'A'),
    ];
    // After the restart only one side has sent a FIN: fin-wait (80 s from 15), not time-wait (40 s).
    expect((await run(c, seq(94))).v[7]).toBe('allow-tracked');
    expect((await run(c, seq(95))).v[7]).toBe('deny');
  });
});
