/**
 * Merging the workers' change logs into exact per-instance tracked counts at
 * every packet (the peak of the sum over workers, not the sum of peaks) and
 * the time series of tracked connections and drops.
 *
 * A log record (8 bytes) is: batch row u32 | instance u16 | kind u16, kind 0
 * admission, 1 expiry, 2 allowance drop. Within a row, expiries happen
 * before the packet is decided, so they are merged first.
 */

const ADMIT = 0;
const EXPIRE = 1;
const DROP = 2;

/** One worker's log of a step: a view of its records. */
export interface Log {
  readonly words: Uint32Array;
  readonly len: number;
}

/** A point of the time series (one virtual-time interval). */
export interface SeriesPoint {
  /** Start of the interval, seconds since the epoch. */
  t: number;
  /** Most tracked connections alive at once during the interval, per instance. */
  tracked: number[];
  /** Packets dropped by the allowance during the interval, per instance. */
  drops: number[];
}

/** The series: fixed interval, or adaptive (doubling from 1 s to keep at most MAX_POINTS). */
export class Series {
  private readonly buckets = new Map<number, { tracked: number[]; end: number[]; drops: number[] }>();
  private first = Infinity;
  private last = -Infinity;
  private static readonly MAX_POINTS = 4000;

  constructor(
    private interval: number,
    private readonly fixed: boolean,
    private readonly instances: number,
  ) {}

  /** The bucket of the last lookup and its time range (most lookups fall in it). */
  private hit: { tracked: number[]; end: number[]; drops: number[] } | null = null;
  private hitFrom = 0;
  private hitTo = -1;

  private bucket(t: number): { tracked: number[]; end: number[]; drops: number[] } {
    if (t >= this.hitFrom && t < this.hitTo) return this.hit!;
    const b = this.lookup(t);
    const k = Math.floor(t / this.interval);
    this.hit = b;
    this.hitFrom = k * this.interval;
    this.hitTo = (k + 1) * this.interval;
    return b;
  }

  private lookup(t: number): { tracked: number[]; end: number[]; drops: number[] } {
    let k = Math.floor(t / this.interval);
    if (!this.fixed && this.buckets.size > 0 && Math.max(this.last, k) - Math.min(this.first, k) > Series.MAX_POINTS) {
      this.coarsen();
      k = Math.floor(t / this.interval);
    }
    let b = this.buckets.get(k);
    if (b === undefined) {
      b = {
        tracked: new Array<number>(this.instances).fill(-1),
        end: new Array<number>(this.instances).fill(-1),
        drops: new Array<number>(this.instances).fill(0),
      };
      this.buckets.set(k, b);
      this.first = Math.min(this.first, k);
      this.last = Math.max(this.last, k);
    }
    return b;
  }

  private coarsen(): void {
    this.hit = null;
    this.hitTo = -1;
    const old = [...this.buckets.entries()];
    this.buckets.clear();
    this.interval *= 2;
    this.first = Infinity;
    this.last = -Infinity;
    for (const [k, v] of old) {
      const nk = Math.floor(k / 2);
      const b = this.buckets.get(nk);
      if (b === undefined) {
        this.buckets.set(nk, v);
      } else {
        // Entries of the later half come after those of the earlier one.
        const [early, late] = k % 2 === 0 ? [v, b] : [b, v];
        for (let i = 0; i < this.instances; i++) {
          b.tracked[i] = Math.max(b.tracked[i]!, v.tracked[i]!);
          b.end[i] = late.end[i]! >= 0 ? late.end[i]! : early.end[i]!;
          b.drops[i]! += v.drops[i]!;
        }
      }
      this.first = Math.min(this.first, nk);
      this.last = Math.max(this.last, nk);
    }
  }

  /** Instance x has `alive` tracked entries at time t (seconds), in trace order. */
  tracked(t: number, x: number, alive: number): void {
    const b = this.bucket(t);
    if (alive > b.tracked[x]!) b.tracked[x] = alive;
    b.end[x] = alive;
  }

  drop(t: number, x: number): void {
    this.bucket(t).drops[x]!++;
  }

  /** Marks that time t was reached (so quiet intervals still get a point). */
  touch(t: number): void {
    this.bucket(t);
  }

  /** The points, gaps filled with the tracked count carried over. */
  points(): { interval: number; points: SeriesPoint[] } {
    const points: SeriesPoint[] = [];
    if (this.buckets.size === 0) return { interval: this.interval, points };
    // An interval without changes keeps the count the previous one ended with.
    const carry = new Array<number>(this.instances).fill(0);
    for (let k = this.first; k <= this.last; k++) {
      const b = this.buckets.get(k);
      const tracked = carry.map((c, i) => (b && b.tracked[i]! >= 0 ? Math.max(b.tracked[i]!, c) : c));
      points.push({
        t: k * this.interval,
        tracked,
        drops: b ? [...b.drops] : new Array<number>(this.instances).fill(0),
      });
      if (b) for (let i = 0; i < this.instances; i++) if (b.end[i]! >= 0) carry[i] = b.end[i]!;
    }
    return { interval: this.interval, points };
  }
}

/** Exact merged tracked counts per instance, their peak, and the series. */
export class LogMerger {
  /** Tracked entries alive per instance. */
  readonly alive: number[];
  readonly peak: number[];

  constructor(
    private readonly workers: number,
    instances: number,
    private readonly series: Series,
  ) {
    this.alive = new Array<number>(instances).fill(0);
    this.peak = new Array<number>(instances).fill(0);
  }

  /** One log alone (one worker wrote records in this step): records in order, the row's time computed once. */
  private mergeOne(l: Log, timeOf: (row: number) => number): void {
    const words = l.words;
    const alive = this.alive;
    const peak = this.peak;
    let lastRow = -1;
    let t = 0;
    for (let k = 0; k < l.len; k++) {
      const row = words[2 * k]!;
      const word = words[2 * k + 1]!;
      if (row !== lastRow) {
        t = timeOf(row);
        lastRow = row;
      }
      const x = word & 0xffff;
      const kind = word >>> 16;
      if (kind === ADMIT) {
        const a = ++alive[x]!;
        if (a > peak[x]!) peak[x] = a;
        this.series.tracked(t, x, a);
      } else if (kind === EXPIRE) {
        this.series.tracked(t, x, --alive[x]!);
      } else if (kind === DROP) {
        this.series.drop(t, x);
      }
    }
  }

  /**
   * Merges the logs of one step of every worker (logs[w] from worker w; rows
   * within one batch slot), in row order, expiries first within a row.
   * `timeOf(row)` is the row's virtual time in seconds.
   */
  merge(logs: ReadonlyArray<Log | null>, timeOf: (row: number) => number): void {
    let only: Log | null = null;
    let count = 0;
    for (const l of logs) {
      if (l && l.len > 0) {
        only = l;
        count++;
      }
    }
    if (count === 0) return;
    if (count === 1) {
      this.mergeOne(only!, timeOf);
      return;
    }
    const at = new Array<number>(this.workers).fill(0);
    let lastRow = -1;
    let t = 0;
    for (;;) {
      let best = -1;
      let bestRow = 0;
      let bestRank = 0;
      for (let w = 0; w < this.workers; w++) {
        const l = logs[w];
        if (!l || at[w]! >= l.len) continue;
        const row = l.words[2 * at[w]!]!;
        const rank = l.words[2 * at[w]! + 1]! >>> 16 === EXPIRE ? 0 : 1;
        if (best === -1 || row < bestRow || (row === bestRow && rank < bestRank)) {
          best = w;
          bestRow = row;
          bestRank = rank;
        }
      }
      if (best === -1) break;
      const l = logs[best]!;
      const word = l.words[2 * at[best]! + 1]!;
      at[best]!++;
      const x = word & 0xffff;
      const kind = word >>> 16;
      if (bestRow !== lastRow) {
        t = timeOf(bestRow);
        lastRow = bestRow;
      }
      if (kind === ADMIT) {
        this.alive[x]!++;
        if (this.alive[x]! > this.peak[x]!) this.peak[x] = this.alive[x]!;
        this.series.tracked(t, x, this.alive[x]!);
      } else if (kind === EXPIRE) {
        this.alive[x]!--;
        this.series.tracked(t, x, this.alive[x]!);
      } else if (kind === DROP) {
        this.series.drop(t, x);
      }
    }
  }
}
