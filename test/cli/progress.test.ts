// The progress line of long runs (DESIGN: stderr, only after a moment; packets, rate, percent, ETA).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Progress } from '../../src/cli/progress.js';

describe('Progress', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('stays silent for the first second, then shows packets, rate, percent and ETA at most 5 times a second', () => {
    const out: string[] = [];
    const p = new Progress((s) => out.push(s), 'replay');
    p.update(1000, 10, 100);
    vi.advanceTimersByTime(900);
    p.update(5000, 20, 100);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(1100); // 2 s in: 4 M packets, a quarter of the file
    p.update(4_000_000, 25, 100);
    expect(out).toHaveLength(1);
    // 4 M packets in 2 s = 2 M/s; 25 % read in 2 s leaves 6 s.
    expect(out[0]).toBe('\rreplay: 4,000,000 packets, 2.00 M/s 25.0 % ETA 6 s   ');
    vi.advanceTimersByTime(100);
    p.update(4_100_000, 26, 100);
    expect(out).toHaveLength(1); // within 200 ms of the last line
    vi.advanceTimersByTime(150);
    p.update(4_500_000, 30, 100);
    expect(out).toHaveLength(2);
    p.done();
    expect(out[2]).toBe('\r\x1b[K');
  });

  it('without a known size: no percent, no ETA; done() after nothing shown writes nothing', () => {
    const out: string[] = [];
    const p = new Progress((s) => out.push(s), 'convert');
    vi.advanceTimersByTime(1500);
    p.update(3_000_000, 0, 0);
    expect(out[0]).toBe('\rconvert: 3,000,000 packets, 2.00 M/s   ');
    const q = new Progress((s) => out.push(s), 'replay');
    q.done();
    expect(out).toHaveLength(1);
  });
});
