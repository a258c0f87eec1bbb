/**
 * The reference engine: SPEC.md S1–S22 as plain, readable TypeScript. It is
 * the oracle every faster engine is tested against, so it favours the
 * obviously correct over the clever: flows live in a Map keyed by a string,
 * rules are evaluated straight from the security groups of the moment, and
 * time is exact bigint nanoseconds. Each rule cites its clause.
 *
 * The caller owns the S21 clock: it passes each packet's virtual time (the
 * largest timestamp seen so far), so the engine never reads wall time.
 */
import type { ConfigEvent, Interface, ResolvedConfig, Rule, Timeouts } from '../config/types.js';
import { RuleState } from './state.js';
import { addrKey, type Addr } from '../model/addr.js';
import { PROTO, TCP, hasPorts, icmpQueryKind, isIcmp, isIcmpError } from '../model/protocol.js';
import { Topology } from '../model/topology.js';
import { V, isAllowed } from '../model/verdict.js';
import type { IpPacket, Packet, Quote } from '../trace/packet.js';
import { emptyCounters, type EngineCounters } from './counters.js';

/** Direction at an interface: 'in' = ingress, 'out' = egress. */
type Dir = 'in' | 'out';

/** TCP states of S15. */
type TcpState = 'syn-sent' | 'syn-recv' | 'established' | 'fin-wait' | 'time-wait' | 'closed';

/** A tracked connection (one per flow key per interface). */
interface Entry {
  readonly key: string;
  readonly iface: number;
  readonly instance: number;
  readonly proto: number;
  /** Time of the last allowed packet (S14). */
  lastSeen: bigint;
  /** Deadline at which this entry's live heap node fires (≤ the real deadline). */
  armed: bigint;
  // S15, TCP only. Sides are named by the direction of the packet that came from them.
  tcpState: TcpState;
  synFrom: Dir | null;
  finFrom: { in: boolean; out: boolean };
  // S16, UDP only.
  initDir: Dir;
  lastDir: Dir;
  transactions: number;
}

/** Heap node: fires at `at` for `entry`; stale when entry.armed !== at. */
interface Timer {
  readonly at: bigint;
  readonly entry: Entry;
}

/** Verdict of a first fragment, remembered for the non-first ones (S7). */
interface FragmentRecord {
  readonly t: bigint;
  readonly verdict: number;
}

/** Link-local token bucket (S20), in units of 1e-9 token: 1024 tokens = 1024e9 units. */
interface Bucket {
  units: bigint;
  last: bigint | null;
}

const TOKEN = 1_000_000_000n;
const BUCKET_CAPACITY = 1024n * TOKEN;
/** Refill: 1024 tokens per second = 1024 units per ns. */
const REFILL_PER_NS = 1024n;

const METADATA = [parseFixed4('169.254.169.254'), parseFixed6(0xfd00_0ec2n, 0x254n)];
const TIME_SYNC = [parseFixed4('169.254.169.123'), parseFixed6(0xfd00_0ec2n, 0x123n)];
const RESOLVER = [parseFixed4('169.254.169.253'), parseFixed6(0xfd00_0ec2n, 0x253n)];

function parseFixed4(s: string): Addr {
  const n = s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
  return { v: 4, n };
}

/** fd00:ec2::X — the AWS link-local services over IPv6. */
function parseFixed6(head32: bigint, low: bigint): Addr {
  return { v: 6, n: (head32 << 96n) | low };
}

function sameAddr(a: Addr, b: Addr): boolean {
  return a.v === b.v && a.n === b.n;
}

/** The reference engine. One instance replays one trace. */
export class ReferenceEngine {
  private readonly topo: Topology;
  private readonly ifaces: readonly Interface[];
  /** Rules, group memberships and timeouts of the moment (S12 events change them). */
  private readonly state: RuleState;
  private readonly ifaceTimeouts: Timeouts[];
  private readonly allowance: ReadonlyArray<number | null>;
  /** One connection-tracking table per instance (S1). */
  private readonly tables: Array<Map<string, Entry>>;
  private readonly heap: Timer[] = [];
  private readonly buckets: Bucket[];
  private readonly fragments: Array<Map<string, FragmentRecord>>;
  private fragmentsSweepAt = 0;
  private readonly events: readonly ConfigEvent[];
  private nextEvent = 0;
  private readonly counters: EngineCounters;

  constructor(cfg: ResolvedConfig) {
    this.topo = new Topology(cfg);
    this.ifaces = cfg.interfaces;
    this.state = new RuleState(cfg);
    this.ifaceTimeouts = this.state.ifaceTimeouts;
    this.allowance = cfg.instances.map((i) => i.allowance);
    this.tables = cfg.instances.map(() => new Map());
    this.buckets = cfg.interfaces.map(() => ({ units: BUCKET_CAPACITY, last: null }));
    this.fragments = cfg.interfaces.map(() => new Map());
    this.events = cfg.events;
    this.counters = emptyCounters(cfg.instances.length);
  }

  /**
   * Processes one packet at virtual time `t` (S21; null only for a malformed
   * packet before any readable timestamp). Returns the outcome byte: low
   * nibble the first evaluation (or foreign/malformed), high nibble the
   * receiver's evaluation when there is one (S4).
   */
  process(p: Packet, t: bigint | null): number {
    if (p.kind === 'malformed' || t === null) {
      this.counters.verdicts[V.MALFORMED]!++;
      return V.MALFORMED;
    }
    this.advanceTo(t);
    if (p.kind === 'non-ip') {
      // No IP addresses: no interface sees it (S4).
      this.counters.verdicts[V.FOREIGN]!++;
      return V.FOREIGN;
    }

    const route = this.topo.route(p.src, p.dst);
    if (route.foreign) {
      this.counters.verdicts[V.FOREIGN]!++;
      return V.FOREIGN;
    }
    // S4: the sender's egress first; the receiver's ingress only if allowed there.
    if (route.egress !== -1) {
      const out = this.evaluate(route.egress, 'out', p, t);
      if (route.ingress === -1 || !isAllowed(out)) return out;
      return out | (this.evaluate(route.ingress, 'in', p, t) << 4);
    }
    return this.evaluate(route.ingress, 'in', p, t);
  }

  /** Brings the engine to the end of the trace at virtual time `t` and returns its counters. */
  finish(t: bigint | null): EngineCounters {
    if (t !== null) this.expire(t);
    this.tables.forEach((table, i) => {
      this.counters.instances[i]!.trackedAtEnd = table.size;
    });
    return this.counters;
  }

  /** Applies the events due at or before `t` (S12: before any packet with the same timestamp), then expires (S14). */
  private advanceTo(t: bigint): void {
    while (this.nextEvent < this.events.length && this.events[this.nextEvent]!.at <= t) {
      const ev = this.events[this.nextEvent++]!;
      // Entries gone at the event's time stay gone, whatever it changes (S14).
      this.expire(ev.at);
      this.applyEvent(ev);
    }
    this.expire(t);
  }

  private applyEvent(ev: ConfigEvent): void {
    const changed = this.state.apply(ev);
    // New timeouts govern alive entries from now on (S14): move their timers.
    if (changed.length > 0) {
      for (const table of this.tables) {
        for (const e of table.values()) if (changed.includes(e.iface)) this.rearm(e);
      }
    }
  }

  // ---------------------------------------------------------------- S10

  /** The verdict of packet `p` at interface `ifi` in direction `dir` at time `t` (S10, S7). */
  private evaluate(ifi: number, dir: Dir, p: IpPacket, t: bigint): number {
    const iface = this.ifaces[ifi]!;
    const v = this.decide(iface, dir, p, t);
    // S7: remember what the first fragment got here.
    if (p.frag !== null && p.frag.offset === 0) {
      this.fragments[ifi]!.set(fragmentKey(p), { t, verdict: v });
      this.sweepFragments(t);
    }
    this.counters.verdicts[v]!++;
    const ic = this.counters.instances[iface.instance]!;
    ic.verdicts[v]!++;
    if (v === V.DROP_ALLOWANCE) ic.conntrackAllowanceExceeded++;
    if (v === V.DROP_LINKLOCAL) ic.linklocalAllowanceExceeded++;
    return v;
  }

  private decide(iface: Interface, dir: Dir, p: IpPacket, t: bigint): number {
    // S7: a non-first fragment follows its first fragment; decided before S10.
    if (p.frag !== null && p.frag.offset > 0) {
      const rec = this.fragments[iface.index]!.get(fragmentKey(p));
      if (rec === undefined || t - rec.t >= this.ifaceTimeouts[iface.index]!.fragment) return V.DENY;
      if (rec.verdict === V.NEW || rec.verdict === V.TRACKED) return V.TRACKED;
      if (rec.verdict === V.UNTRACKED || rec.verdict === V.RELATED || rec.verdict === V.BYPASS) return rec.verdict;
      return V.DENY;
    }

    // S10.1 link-local services (S20): not filtered, not tracked, rate limited.
    if (this.isLinkLocal(iface, dir, p)) {
      return this.takeToken(iface.index, t) ? V.BYPASS : V.DROP_LINKLOCAL;
    }

    // S10.2 an alive tracked entry: allowed whatever the rules say now; refreshed.
    const table = this.tables[iface.instance]!;
    const key = flowKey(iface.index, dir, p);
    const entry = table.get(key);
    if (entry !== undefined) {
      this.refresh(entry, dir, p, t);
      return V.TRACKED;
    }

    // S10.3 an ICMP error related to an alive tracked flow (S6): allowed, no refresh.
    if (
      isIcmp(p.proto) &&
      isIcmpError(p.proto, p.icmpType) &&
      p.quote !== null &&
      this.isRelated(iface.index, table, p.quote, p.copy)
    ) {
      return V.RELATED;
    }

    // S10.4 no rule of this direction matches.
    if (!this.rulesAllow(iface.index, dir, p)) return V.DENY;

    // S10.5 untracked flows (S9): nothing stored.
    if (this.isUntracked(iface, dir, p)) return V.UNTRACKED;

    // S10.6 the allowance (S17): a new entry, or a drop counted in S19.
    const allowance = this.allowance[iface.instance]!;
    if (allowance !== null && table.size >= allowance) return V.DROP_ALLOWANCE;
    this.create(table, key, iface, dir, p, t);
    const ic = this.counters.instances[iface.instance]!;
    if (table.size > ic.peakTracked) ic.peakTracked = table.size;
    return V.NEW;
  }

  // ---------------------------------------------------------------- S20

  private isLinkLocal(iface: Interface, dir: Dir, p: IpPacket): boolean {
    return isLinkLocalService(iface, dir, p);
  }

  /** S20: 1024 tokens, refilled at 1024 per second, full at the start; exact integer arithmetic. */
  private takeToken(ifi: number, t: bigint): boolean {
    const b = this.buckets[ifi]!;
    if (b.last !== null) {
      const refill = (t - b.last) * REFILL_PER_NS;
      b.units = b.units + refill > BUCKET_CAPACITY ? BUCKET_CAPACITY : b.units + refill;
    }
    b.last = t;
    if (b.units < TOKEN) return false;
    b.units -= TOKEN;
    return true;
  }

  // ---------------------------------------------------------------- S6

  /** S6: does the quoted packet, in either orientation, key an alive tracked flow of this interface? */
  private isRelated(ifi: number, table: Map<string, Entry>, q: Quote, copy: number | undefined): boolean {
    const asPacket = {
      ...(copy ? { copy } : {}),
      src: q.src,
      dst: q.dst,
      proto: q.proto,
      sport: q.sport,
      dport: q.dport,
      icmpType: q.icmpType,
      icmpCode: q.icmpCode,
      icmpId: q.icmpId,
    };
    return table.has(flowKey(ifi, 'out', asPacket)) || table.has(flowKey(ifi, 'in', asPacket));
  }

  // ---------------------------------------------------------------- S8

  /** S8 and S3: does any rule of direction `dir` of any group on the interface match? */
  private rulesAllow(ifi: number, dir: Dir, p: IpPacket): boolean {
    const peer = dir === 'in' ? p.src : p.dst;
    return this.state.rulesOf(ifi, dir).some((r) => protoPortsMatch(r, p) && this.state.peerMatches(r, peer));
  }

  // ---------------------------------------------------------------- S9

  /**
   * S9: a TCP/UDP flow on an interface that is not autoTracked is untracked
   * when (A) an open ingress rule matches its remote→local traffic and one
   * open egress rule covers the protocol on all ports, or (B) the same with
   * egress and ingress swapped. "Open" is 0.0.0.0/0 or ::/0 of the packet's
   * family, written as a CIDR: prefix lists and group references never are.
   */
  private isUntracked(iface: Interface, dir: Dir, p: IpPacket): boolean {
    if (!hasPorts(p.proto) || iface.autoTracked !== false) return false;
    const localPort = dir === 'in' ? p.dport : p.sport;
    const remotePort = dir === 'in' ? p.sport : p.dport;
    const ingress = this.state.rulesOf(iface.index, 'in').filter((r) => isOpenPeer(r, p.src.v));
    const egress = this.state.rulesOf(iface.index, 'out').filter((r) => isOpenPeer(r, p.src.v));
    const readingA =
      ingress.some((r) => matchesPort(r, p.proto, localPort)) && egress.some((r) => coversAllPorts(r, p.proto));
    const readingB =
      egress.some((r) => matchesPort(r, p.proto, remotePort)) && ingress.some((r) => coversAllPorts(r, p.proto));
    return readingA || readingB;
  }

  // ---------------------------------------------------------------- entries, S13–S16

  private create(table: Map<string, Entry>, key: string, iface: Interface, dir: Dir, p: IpPacket, t: bigint): void {
    const e: Entry = {
      key,
      iface: iface.index,
      instance: iface.instance,
      proto: p.proto,
      lastSeen: t,
      armed: 0n,
      tcpState: 'established',
      synFrom: null,
      finFrom: { in: false, out: false },
      initDir: dir,
      lastDir: dir,
      transactions: 0,
    };
    if (p.proto === PROTO.TCP) {
      // S15, creating packet: RST, then FIN, then SYN/ACK; anything else is a capture starting mid-stream.
      const f = p.flags;
      if (f & TCP.RST) e.tcpState = 'closed';
      else if (f & TCP.FIN) {
        e.tcpState = 'fin-wait';
        e.finFrom[dir] = true;
      } else if (f & TCP.SYN && !(f & TCP.ACK)) {
        e.tcpState = 'syn-sent';
        e.synFrom = dir;
      } else if (f & TCP.SYN) {
        e.tcpState = 'syn-recv';
        e.synFrom = dir === 'in' ? 'out' : 'in';
      }
    }
    table.set(key, e);
    e.armed = this.deadline(e);
    heapPush(this.heap, { at: e.armed, entry: e });
  }

  /** S14: every allowed packet sets lastSeen; S15/S16 update the state. */
  private refresh(e: Entry, dir: Dir, p: IpPacket, t: bigint): void {
    e.lastSeen = t;
    if (e.proto === PROTO.TCP) tcpTransition(e, dir, p.flags);
    else if (e.proto === PROTO.UDP) {
      // S16: a transaction is a reply-direction packet right after an initiating-direction one.
      if (dir !== e.initDir && e.lastDir === e.initDir) e.transactions++;
      e.lastDir = dir;
    }
    this.rearm(e);
  }

  /** The idle timeout of an entry in its current state (S13). */
  private timeoutOf(e: Entry): bigint {
    const to = this.ifaceTimeouts[e.iface]!;
    if (e.proto === PROTO.TCP) {
      switch (e.tcpState) {
        case 'syn-sent':
          return to.tcpSynSent;
        case 'syn-recv':
          return to.tcpSynRecv;
        case 'established':
          return to.tcpEstablished;
        case 'fin-wait':
          return to.tcpFinWait;
        case 'time-wait':
          return to.tcpTimeWait;
        case 'closed':
          return to.tcpClosed;
      }
    }
    if (e.proto === PROTO.UDP) return e.transactions >= 2 ? to.udpStream : to.udp;
    if (isIcmp(e.proto)) return to.icmp;
    return to.other;
  }

  /** S14: alive iff t − lastSeen < timeout, i.e. gone from lastSeen + timeout on. */
  private deadline(e: Entry): bigint {
    return e.lastSeen + this.timeoutOf(e);
  }

  /**
   * Keeps the invariant "armed ≤ real deadline, with a heap node at armed":
   * a later deadline needs nothing (the node re-arms lazily when it fires);
   * an earlier one gets a new node and the old becomes stale.
   */
  private rearm(e: Entry): void {
    const d = this.deadline(e);
    if (d < e.armed) {
      e.armed = d;
      heapPush(this.heap, { at: d, entry: e });
    }
  }

  /** Removes every entry gone at time t (deadline ≤ t), so table sizes are exact alive counts (S17). */
  private expire(t: bigint): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.at <= t) {
      const { at, entry } = heapPop(heap);
      if (entry.armed !== at) continue; // stale node
      const table = this.tables[entry.instance]!;
      if (table.get(entry.key) !== entry) continue; // already removed
      const d = this.deadline(entry);
      if (d <= t) table.delete(entry.key);
      else {
        entry.armed = d;
        heapPush(heap, { at: d, entry });
      }
    }
  }

  /** Drops fragment records too old to match, now and then, so memory stays bounded. */
  private sweepFragments(t: bigint): void {
    if (++this.fragmentsSweepAt < 4096) return;
    this.fragmentsSweepAt = 0;
    this.fragments.forEach((m, i) => {
      const limit = this.ifaceTimeouts[i]!.fragment;
      for (const [k, r] of m) if (t - r.t >= limit) m.delete(k);
    });
  }
}

// ------------------------------------------------------------------ helpers

/** S15 on an existing entry; `dir` names the side the packet came from. */
function tcpTransition(e: Entry, dir: Dir, f: number): void {
  if (f & TCP.RST) {
    e.tcpState = 'closed';
  } else if (f & TCP.FIN) {
    if (e.tcpState === 'closed') return; // closed stays closed
    e.finFrom[dir] = true;
    e.tcpState = e.finFrom.in && e.finFrom.out ? 'time-wait' : 'fin-wait';
  } else if (f & TCP.SYN && !(f & TCP.ACK)) {
    if (e.tcpState === 'time-wait' || e.tcpState === 'closed') {
      // The connection starts over.
      e.tcpState = 'syn-sent';
      e.synFrom = dir;
      e.finFrom = { in: false, out: false };
    }
  } else if (f & TCP.SYN) {
    if (e.tcpState === 'syn-sent' && e.synFrom !== dir) e.tcpState = 'syn-recv';
  } else if (f & TCP.ACK) {
    if (e.tcpState === 'syn-recv') e.tcpState = 'established';
  }
}

/** The fields flowKey reads; an IpPacket or a quote. */
interface KeyFields {
  readonly src: Addr;
  readonly dst: Addr;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly icmpId: number;
  /** Capacity scaling: copies of a flow are keyed apart (Packet.copy). */
  readonly copy?: number;
}

/**
 * S5 flow key at an interface; "local" is the interface's side.
 * TCP/UDP: ports; ICMP queries: kind and identifier (request and reply are
 * one flow); other ICMP (incl. errors evaluated by rules): type and code;
 * other protocols: addresses only.
 */
/** S20: traffic with the VPC resolver (TCP/UDP port 53), instance metadata or time sync, in either direction. */
export function isLinkLocalService(iface: Interface, dir: Dir, p: IpPacket): boolean {
  const remote = dir === 'out' ? p.dst : p.src;
  const remotePort = dir === 'out' ? p.dport : p.sport;
  if (METADATA.some((a) => sameAddr(a, remote))) return true;
  if (TIME_SYNC.some((a) => sameAddr(a, remote))) return true;
  if (hasPorts(p.proto) && remotePort === 53) {
    if (RESOLVER.some((a) => sameAddr(a, remote))) return true;
    if (iface.vpcResolver !== null && sameAddr(iface.vpcResolver, remote)) return true;
  }
  return false;
}

export function flowKey(ifi: number, dir: Dir, p: KeyFields): string {
  const [local, remote] = dir === 'out' ? [p.src, p.dst] : [p.dst, p.src];
  const head = `${ifi}|${p.proto}|${addrKey(local)}|${addrKey(remote)}${p.copy ? `|c${p.copy}` : ''}`;
  if (hasPorts(p.proto)) {
    const [lport, rport] = dir === 'out' ? [p.sport, p.dport] : [p.dport, p.sport];
    return `${head}|${lport}|${rport}`;
  }
  if (isIcmp(p.proto)) {
    const kind = isIcmpError(p.proto, p.icmpType) ? -1 : icmpQueryKind(p.proto, p.icmpType);
    if (kind !== -1) return `${head}|q${kind}|${p.icmpId}`;
    return `${head}|t${p.icmpType}|${p.icmpCode}`;
  }
  return head;
}

/** S7: fragments of one datagram share (source, destination, protocol, IP id). */
function fragmentKey(p: IpPacket): string {
  return `${addrKey(p.src)}|${addrKey(p.dst)}|${p.proto}|${p.frag!.id}${p.copy ? `|c${p.copy}` : ''}`;
}

/** S8 protocol and ports: TCP/UDP by destination port; ICMP by type (FromPort) and code (ToPort), -1 = any; others all. */
export function protoPortsMatch(r: Rule, p: IpPacket): boolean {
  if (r.proto === -1) return true;
  if (r.proto !== p.proto) return false;
  if (hasPorts(p.proto)) return p.dport >= r.from && p.dport <= r.to;
  if (isIcmp(p.proto)) return (r.from === -1 || r.from === p.icmpType) && (r.to === -1 || r.to === p.icmpCode);
  return true;
}

/** S9 "open peer": 0.0.0.0/0 or ::/0 of the given family, as a CIDR. */
export function isOpenPeer(r: Rule, family: 4 | 6): boolean {
  return r.peer.kind === 'cidr' && r.peer.cidr.len === 0 && r.peer.cidr.v === family;
}

/** Protocol and destination port match (for S9's "matches the flow's … traffic"). */
export function matchesPort(r: Rule, proto: number, port: number): boolean {
  if (r.proto === -1) return true;
  return r.proto === proto && port >= r.from && port <= r.to;
}

/** S9: one rule covering the protocol (or -1) on all ports 0–65535. */
export function coversAllPorts(r: Rule, proto: number): boolean {
  return r.proto === -1 || (r.proto === proto && r.from === 0 && r.to === 65535);
}

// A binary min-heap on Timer.at.

function heapPush(h: Timer[], x: Timer): void {
  h.push(x);
  let i = h.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (h[parent]!.at <= x.at) break;
    h[i] = h[parent]!;
    i = parent;
  }
  h[i] = x;
}

function heapPop(h: Timer[]): Timer {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}
