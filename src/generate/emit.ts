/**
 * Emits generated packets in time order: flows are scheduled in a min-heap
 * by the time of their next packet, each flow produces its packets lazily,
 * rows go into a PacketBatch that is flushed to the sink when full. Memory
 * follows the active flows, not the length of the trace.
 */
import { FRAG, KIND, PacketBatch } from '../trace/batch.js';

/** An IPv4 address as a number, or IPv6 as four words. */
export type A = number | readonly [number, number, number, number];

/** A flow: returns the delay (ns) to its next packet after emitting one, or -1 when done. */
export interface Flow {
  step(e: Emitter, t: number): number;
}

interface Scheduled {
  t: number;
  seq: number;
  flow: Flow;
}

/** Writes rows and flushes full batches. */
export class Emitter {
  readonly batch = new PacketBatch(65536);
  private n = 0;
  /** Packets emitted so far. */
  count = 0;
  private readonly heap: Scheduled[] = [];
  private seq = 0;

  constructor(
    /** Epoch ns of trace time 0. */
    private readonly start: bigint,
    private readonly sink: (b: PacketBatch, n: number) => void,
    /** Stop after this many packets. */
    readonly limit: number,
  ) {}

  get full(): boolean {
    return this.count >= this.limit;
  }

  /** Schedules a flow's first packet at trace time t (ns). */
  add(flow: Flow, t: number): void {
    const h = this.heap;
    const x = { t, seq: this.seq++, flow };
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.t < x.t || (h[p]!.t === x.t && h[p]!.seq < x.seq)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = x;
  }

  private pop(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && (h[r]!.t < h[l]!.t || (h[r]!.t === h[l]!.t && h[r]!.seq < h[l]!.seq)) ? r : l;
        if (h[c]!.t > last.t || (h[c]!.t === last.t && h[c]!.seq > last.seq)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  /** Earliest scheduled time, or Infinity. */
  get nextTime(): number {
    return this.heap.length ? this.heap[0]!.t : Infinity;
  }

  /** Runs scheduled flows until `until` (ns) or the packet limit. */
  runUntil(until: number): void {
    while (!this.full && this.heap.length && this.heap[0]!.t <= until) {
      const s = this.pop()!;
      const d = s.flow.step(this, s.t);
      if (d >= 0) this.add(s.flow, s.t + d);
    }
  }

  private row(t: number, src: A, dst: A, proto: number, len: number): number {
    const b = this.batch;
    const i = this.n;
    b.ts[i] = this.start + BigInt(Math.round(t));
    const v6 = typeof src !== 'number';
    b.kind[i] = v6 ? KIND.IPV6 : KIND.IPV4;
    for (let k = 0; k < 4; k++) {
      b.src[4 * i + k] = v6 ? (src as readonly number[])[k]! : k === 0 ? (src as number) : 0;
      b.dst[4 * i + k] = v6 ? (dst as readonly number[])[k]! : k === 0 ? (dst as number) : 0;
    }
    b.proto[i] = proto;
    // At least the headers the packet carries (IP, then TCP 20, UDP 8, ICMP 8 with a 28/48-byte quote).
    const headers = (v6 ? 40 : 20) + (proto === 6 ? 20 : proto === 17 ? 8 : 8);
    b.len[i] = Math.max(len, headers);
    b.sport[i] = 0;
    b.dport[i] = 0;
    b.tcpFlags[i] = 0;
    b.icmpType[i] = 0;
    b.icmpCode[i] = 0;
    b.icmpId[i] = 0;
    b.fragFlags[i] = 0;
    b.fragId[i] = 0;
    b.capIf[i] = 0;
    return i;
  }

  private done(): void {
    this.count++;
    if (++this.n === this.batch.capacity) this.flush();
  }

  tcp(t: number, src: A, dst: A, sport: number, dport: number, flags: number, len = 40): void {
    if (this.full) return;
    const i = this.row(t, src, dst, 6, len);
    this.batch.sport[i] = sport;
    this.batch.dport[i] = dport;
    this.batch.tcpFlags[i] = flags;
    this.done();
  }

  udp(t: number, src: A, dst: A, sport: number, dport: number, len = 28): void {
    if (this.full) return;
    const i = this.row(t, src, dst, 17, len);
    this.batch.sport[i] = sport;
    this.batch.dport[i] = dport;
    this.done();
  }

  icmp(t: number, src: A, dst: A, type: number, code: number, id: number, len = 84): void {
    if (this.full) return;
    const i = this.row(t, src, dst, typeof src === 'number' ? 1 : 58, len);
    this.batch.icmpType[i] = type;
    this.batch.icmpCode[i] = code;
    this.batch.icmpId[i] = id;
    this.done();
  }

  /** An ICMP error quoting a TCP/UDP packet (quote.src → quote.dst). */
  icmpError(
    t: number,
    src: A,
    dst: A,
    type: number,
    code: number,
    q: { src: A; dst: A; proto: number; sport: number; dport: number },
  ): void {
    if (this.full) return;
    const i = this.row(t, src, dst, typeof src === 'number' ? 1 : 58, 56);
    const b = this.batch;
    b.len[i] = Math.max(b.len[i]!, typeof src === 'number' ? 20 + 8 + 28 : 40 + 8 + 48);
    b.icmpType[i] = type;
    b.icmpCode[i] = code;
    const v6 = typeof q.src !== 'number';
    for (let k = 0; k < 4; k++) {
      b.qSrc[4 * i + k] = v6 ? (q.src as readonly number[])[k]! : k === 0 ? (q.src as number) : 0;
      b.qDst[4 * i + k] = v6 ? (q.dst as readonly number[])[k]! : k === 0 ? (q.dst as number) : 0;
    }
    b.qProto[i] = q.proto;
    b.qSport[i] = q.sport;
    b.qDport[i] = q.dport;
    b.qType[i] = 0;
    b.qCode[i] = 0;
    b.qId[i] = 0;
    b.fragFlags[i] = FRAG.HAS_QUOTE;
    this.done();
  }

  /** Writes what is left. */
  flush(): void {
    if (this.n > 0) this.sink(this.batch, this.n);
    this.n = 0;
  }
}

/** a.b.c.d → number. */
export function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** Dotted text of an IPv4 number. */
export function ip4s(x: number): string {
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

/** 2001:db8:<a>::<b> style IPv6 words. */
export function ip6(hi16: number, lo32: number): readonly [number, number, number, number] {
  return [0x20010db8, (hi16 & 0xffff) << 16, 0, lo32 >>> 0];
}
