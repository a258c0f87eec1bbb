/**
 * The virtual clock of SPEC S21: packets are processed in trace order at the
 * largest timestamp seen so far; an earlier timestamp is processed at that
 * time and counted as reordered. Every readable timestamp advances it,
 * foreign and malformed packets' too. Also keeps the trace totals.
 */

/** Totals of a trace, independent of any engine. */
export interface TraceStats {
  packets: number;
  bytes: number;
  /** First readable timestamp (ns), null if none. */
  firstTs: bigint | null;
  /** Final virtual time (ns), null if none. */
  lastTs: bigint | null;
  reordered: number;
}

/** S21 virtual time and trace totals. */
export class VirtualClock {
  readonly stats: TraceStats = { packets: 0, bytes: 0, firstTs: null, lastTs: null, reordered: 0 };

  /** Counts a packet and returns the virtual time to process it at (null before any readable timestamp). */
  tick(ts: bigint | null, len: number): bigint | null {
    const s = this.stats;
    s.packets++;
    s.bytes += len;
    if (ts !== null) {
      if (s.lastTs === null) {
        s.firstTs = ts;
        s.lastTs = ts;
      } else if (ts > s.lastTs) {
        s.lastTs = ts;
      } else if (ts < s.lastTs) {
        s.reordered++;
      }
    }
    return s.lastTs;
  }
}
