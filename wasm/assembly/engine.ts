// The verdict of each packet: SPEC S4–S20 over a batch, the same clauses as
// src/engine/reference.ts (the oracle this must match verdict for verdict).
// The caller has applied the S21 clock: ts is the virtual time, monotone.
import {
  B_COPY, B_DPORT, B_DST, B_FRAGFLAGS, B_FRAGID, B_ICMPCODE, B_ICMPID, B_ICMPTYPE, B_KIND, B_OUT, B_PROTO,
  B_QCODE, B_QDPORT, B_QDST, B_QID, B_QPROTO, B_QSPORT, B_QSRC, B_QTYPE, B_SPORT, B_SRC, B_TCPFLAGS, B_TS,
  CTR_ALIVE, CTR_ALLOWANCE, CTR_EXCEEDED, CTR_LINKLOCAL, CTR_PEAK, FRAG_IS, FRAG_NONFIRST, HAS_QUOTE,
  IF_AUTO_TRACKED, IF_HAS_RESOLVER, IF_IN_RULES, IF_IN_RULE_COUNT, IF_OUT_RULES, IF_OUT_RULE_COUNT,
  IF_RESOLVER, IF_S9, INST_CTR, KIND_MALFORMED, KIND_NON_IP, KIND_V4, KIND_V6, RULE_WORDS, S9_EGRESS_OPEN_ALL, S9_EGRESS_RANGES,
  S9_EGRESS_RANGE_COUNT, S9_INGRESS_OPEN_ALL, S9_INGRESS_RANGES, S9_INGRESS_RANGE_COUNT, S9_WORDS,
  T_CLOSED, T_ESTABLISHED, T_FIN_WAIT, T_ICMP, T_OTHER, T_SYN_RECV, T_SYN_SENT, T_TIME_WAIT, T_UDP,
  T_UDP_STREAM, V_BYPASS, V_DENY, V_DROP_ALLOWANCE, V_DROP_LINKLOCAL, V_FOREIGN, V_MALFORMED, V_NEW,
  V_RELATED, V_TRACKED, V_UNTRACKED,
} from './layout';
import { blob, buckets, cidrMatch4, cidrMatch6, ctrGlobal, ifCounters, ifInstance, ifTimeout, ifWord, instCtr, nIfaces, route4, route6 } from './config';
import { COPY_SHIFT, keyHash4, keyHash6, mix64, symHash4, symHash6 } from './hash';
import { alloc, release } from './alloc';
import { CTX_AT_CTR_INST, CTX_AT_NEXT_DUE, CTX_BYTES, ctxLoad, ctxSave } from './context';
import { E4, E6, find4, find6, insert4, insert6, refOf4, refOf6, t4, t6, m4, m6 } from './flows';
import { nextDue, reclaim, timerEarlier, timerNew, timersStart } from './timers';
import { fragFind, fragRecord } from './frags';
import { LOG_ADMIT, LOG_DROP, logRecord, setCurRow } from './log';

// TCP flag bits and entry bits.
const FIN: u32 = 0x01;
const SYN: u32 = 0x02;
const RST: u32 = 0x04;
const ACK: u32 = 0x10;
const TB_SYN_VALID: u32 = 1;
const TB_SYN_OUT: u32 = 2;
const TB_FIN_IN: u32 = 4;
const TB_FIN_OUT: u32 = 8;
const UB_TXN_MASK: u32 = 3;
const UB_INIT_OUT: u32 = 4;
const UB_LAST_OUT: u32 = 8;

const TOKEN: i64 = 1_000_000_000;
const BUCKET_CAP: i64 = 1024 * TOKEN;

// ---------------------------------------------------------------- the packet being processed
let bBase: usize = 0;
let bCap: usize = 0;
let pT: i64 = 0;
let pV6: bool = false;
let pProto: u32 = 0;
let pFlags: u32 = 0;
let pFF: u32 = 0;
let pSport: u32 = 0;
let pDport: u32 = 0;
let pType: u32 = 0;
let pCode: u32 = 0;
let pId: u32 = 0;
let pFragId: u32 = 0;
/** Capacity scaling: the copy number of the packet's flow (keys of copies differ, rules see them alike). */
let pCopy: u32 = 0;
let s0: u32 = 0, s1: u32 = 0, s2: u32 = 0, s3: u32 = 0;
let d0: u32 = 0, d1: u32 = 0, d2: u32 = 0, d3: u32 = 0;
let pRow: usize = 0;

// The key being looked up (IPv4: k0, k1; IPv6: ka..kd, k1) and its hash.
let k0: u64 = 0;
let k1: u64 = 0;
let ka: u64 = 0, kb: u64 = 0, kc: u64 = 0, kd: u64 = 0;
let kh: u32 = 0;
/** Sharded runs: the shard column (0 = every row is ours) and our shard. */
let shardCol: usize = 0;
let myShard: u32 = 0;
/** Sharded runs: S10.3 answered by the quoted flow's worker (bit k for the row's evaluation k). */
let hintActive: bool = false;
let hintBits: u32 = 0;
/** Serial rows of a sharded run (processSerial): the number of shards and their saved contexts; 0 otherwise. */
let serialShards: u32 = 0;
let serialCtx: usize = 0;
/** Which evaluation of the row is being decided: 0 (the first interface), 1 (the receiver's ingress). */
let evalIndex: u32 = 0;

/** Sharded runs: the symmetric hash of each IPv4 TCP/UDP whole packet, computed by the coordinator (0 = none). */
let hashCol: usize = 0;

export function setShard(col: usize, me: u32, hashes: usize): void {
  shardCol = col;
  myShard = me;
  hashCol = hashes;
}

/** The hash of the packet's first key, computed ahead in the interleaved stage (one use). */
let preHash: u32 = 0;
let preHashValid: bool = false;
/** Sum of prefetch loads, kept so the loads are not optimised away. */
export let touchSink: u32 = 0;

export function setBatch(base: usize, cap: usize): void {
  bBase = base;
  bCap = cap;
}

// ---------------------------------------------------------------- small helpers

// @ts-ignore: decorator
@inline function hasPorts(p: u32): bool {
  return p == 6 || p == 17;
}

// @ts-ignore: decorator
@inline function isIcmp(p: u32): bool {
  return p == 1 || p == 58;
}

/** S6 error types: ICMP 3, 4, 5, 11, 12; ICMPv6 1–4. */
function isIcmpError(p: u32, type: u32): bool {
  if (p == 1) return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  if (p == 58) return type >= 1 && type <= 4;
  return false;
}

/** S5 query kind (echo 8/0, timestamp 13/14, ICMPv6 echo 128/129), or -1. */
function queryKind(p: u32, type: u32): i32 {
  if (p == 1) {
    if (type == 8 || type == 0) return 8;
    if (type == 13 || type == 14) return 13;
  } else if (p == 58) {
    if (type == 128 || type == 129) return 128;
  }
  return -1;
}

/** The ports word of an S5 key: TCP/UDP ports, ICMP (0x100 | kind, id) or (type, code), else 0. */
function portsWord(proto: u32, lport: u32, rport: u32, type: u32, code: u32, id: u32): u64 {
  if (hasPorts(proto)) return <u64>lport | (<u64>rport << 16);
  if (isIcmp(proto)) {
    if (!isIcmpError(proto, type)) {
      const kind = queryKind(proto, type);
      if (kind >= 0) return <u64>(0x100 | kind) | (<u64>id << 16);
    }
    return <u64>type | (<u64>code << 16);
  }
  return 0;
}

/** Sets the key from parts (addresses of local and remote as 4 words each) and its hash. */
function setKey(
  ifi: u32, proto: u32, ports: u64,
  l0: u32, l1: u32, l2: u32, l3: u32, r0: u32, r1: u32, r2: u32, r3: u32,
): void {
  k1 = ports | (<u64>proto << 32) | (<u64>pCopy << COPY_SHIFT) | (<u64>(ifi + 1) << 48);
  if (!pV6) {
    k0 = <u64>l0 | (<u64>r0 << 32);
    kh = preHashValid ? preHash : keyHash4(k0, k1);
  } else {
    ka = (<u64>l0 << 32) | <u64>l1;
    kb = (<u64>l2 << 32) | <u64>l3;
    kc = (<u64>r0 << 32) | <u64>r1;
    kd = (<u64>r2 << 32) | <u64>r3;
    kh = preHashValid ? preHash : keyHash6(ka, kb, kc, kd, k1);
  }
  preHashValid = false;
}

/** The packet's own key at interface ifi in direction out (S5). */
function packetKey(ifi: u32, out: bool): void {
  if (out) {
    setKey(ifi, pProto, portsWord(pProto, pSport, pDport, pType, pCode, pId), s0, s1, s2, s3, d0, d1, d2, d3);
  } else {
    setKey(ifi, pProto, portsWord(pProto, pDport, pSport, pType, pCode, pId), d0, d1, d2, d3, s0, s1, s2, s3);
  }
}

// @ts-ignore: decorator
@inline function findKey(): usize {
  return pV6 ? find6(ka, kb, kc, kd, k1, kh) : find4(k0, k1, kh);
}

// ---------------------------------------------------------------- counters

// @ts-ignore: decorator
@inline function bump(p: usize): void {
  store<i64>(p, load<i64>(p) + 1);
}

// ---------------------------------------------------------------- S20 link-local

function isLinkLocal(ifi: u32, out: bool): bool {
  const rport = out ? pDport : pSport;
  if (!pV6) {
    const r = out ? d0 : s0;
    if (r == 0xa9fea9fe || r == 0xa9fea97b) return true; // 169.254.169.254, 169.254.169.123
    if (hasPorts(pProto) && rport == 53) {
      if (r == 0xa9fea9fd) return true; // 169.254.169.253
      if (ifWord(ifi, IF_HAS_RESOLVER) != 0 && r == <u32>ifWord(ifi, IF_RESOLVER)) return true;
    }
    return false;
  }
  const r0 = out ? d0 : s0;
  const r1 = out ? d1 : s1;
  const r2 = out ? d2 : s2;
  const r3 = out ? d3 : s3;
  if (r0 != 0xfd000ec2 || r1 != 0 || r2 != 0) return false; // fd00:ec2::
  if (r3 == 0x254 || r3 == 0x123) return true;
  return r3 == 0x253 && hasPorts(pProto) && rport == 53;
}

/** S20: 1024 tokens refilled at 1024 per second, in units of 1e-9 token. */
function takeToken(ifi: u32): bool {
  const b = buckets + (<usize>ifi << 4);
  let units = load<i64>(b);
  const last = load<i64>(b, 8);
  if (last != -1) {
    const dt = pT - last;
    units = dt >= TOKEN ? BUCKET_CAP : min<i64>(BUCKET_CAP, units + dt * 1024);
  }
  store<i64>(b, pT, 8);
  if (units < TOKEN) {
    store<i64>(b, units);
    return false;
  }
  store<i64>(b, units - TOKEN);
  return true;
}

// ---------------------------------------------------------------- S8 rules

function rulesMatch(ifi: u32, out: bool): bool {
  const off = <usize>ifWord(ifi, out ? IF_OUT_RULES : IF_IN_RULES);
  const count = ifWord(ifi, out ? IF_OUT_RULE_COUNT : IF_IN_RULE_COUNT);
  const fam: u32 = pV6 ? 6 : 4;
  const a0 = out ? d0 : s0;
  for (let k = 0; k < count; k++) {
    const r = blob + ((off + <usize>k * RULE_WORDS) << 2);
    const rp = load<i32>(r);
    if (rp != -1) {
      if (<u32>rp != pProto) continue;
      if (hasPorts(pProto)) {
        if (<i32>pDport < load<i32>(r, 4) || <i32>pDport > load<i32>(r, 8)) continue;
      } else if (isIcmp(pProto)) {
        const from = load<i32>(r, 4);
        const to = load<i32>(r, 8);
        if (from != -1 && <u32>from != pType) continue;
        if (to != -1 && <u32>to != pCode) continue;
      }
    }
    const famLen = load<u32>(r, 12);
    if ((famLen & 0xff) != fam) continue;
    const len = famLen >> 8;
    if (!pV6) {
      if (!cidrMatch4(load<u32>(r, 16), len, a0)) continue;
    } else {
      if (out ? !cidrMatch6(r + 16, len, d0, d1, d2, d3) : !cidrMatch6(r + 16, len, s0, s1, s2, s3)) continue;
    }
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- S9

function inRanges(off: usize, count: i32, port: u32): bool {
  for (let k = 0; k < count; k++) {
    const r = blob + ((off + (<usize>k << 1)) << 2);
    if (<i32>port >= load<i32>(r) && <i32>port <= load<i32>(r, 4)) return true;
  }
  return false;
}

function isUntracked(ifi: u32, out: bool): bool {
  if (!hasPorts(pProto) || ifWord(ifi, IF_AUTO_TRACKED) != 0) return false;
  const g = IF_S9 + <usize>((pV6 ? 2 : 0) + (pProto == 17 ? 1 : 0)) * S9_WORDS;
  const localPort = out ? pSport : pDport;
  const remotePort = out ? pDport : pSport;
  // (A) open ingress rule for the flow, and one open egress rule on all ports.
  if (ifWord(ifi, g + S9_EGRESS_OPEN_ALL) != 0 &&
      inRanges(<usize>ifWord(ifi, g + S9_INGRESS_RANGES), ifWord(ifi, g + S9_INGRESS_RANGE_COUNT), localPort)) return true;
  // (B) the same, egress and ingress swapped.
  return ifWord(ifi, g + S9_INGRESS_OPEN_ALL) != 0 &&
    inRanges(<usize>ifWord(ifi, g + S9_EGRESS_RANGES), ifWord(ifi, g + S9_EGRESS_RANGE_COUNT), remotePort);
}

// ---------------------------------------------------------------- entries, S13–S16

// @ts-ignore: decorator
@inline function tailPtr(e: usize): usize {
  return pV6 ? e + 40 : e + 16;
}

function entryRef(e: usize): u32 {
  return pV6 ? refOf6(e) : refOf4(e);
}

/** S15 creating packet / S16 first packet / ICMP / other: fills tix and bits of a new entry. */
function initState(tail: usize, out: bool): void {
  let tix: u32 = T_OTHER;
  let bits: u32 = 0;
  if (pProto == 6) {
    const f = pFlags;
    if (f & RST) tix = T_CLOSED;
    else if (f & FIN) {
      tix = T_FIN_WAIT;
      bits = out ? TB_FIN_OUT : TB_FIN_IN;
    } else if ((f & SYN) != 0 && (f & ACK) == 0) {
      tix = T_SYN_SENT;
      bits = TB_SYN_VALID | (out ? TB_SYN_OUT : 0);
    } else if (f & SYN) {
      tix = T_SYN_RECV;
      bits = TB_SYN_VALID | (out ? 0 : TB_SYN_OUT); // the SYN came from the other side
    } else tix = T_ESTABLISHED;
  } else if (pProto == 17) {
    tix = T_UDP;
    bits = out ? UB_INIT_OUT | UB_LAST_OUT : 0;
  } else if (isIcmp(pProto)) {
    tix = T_ICMP;
  }
  store<u8>(tail, <u8>tix, 8);
  store<u8>(tail, <u8>bits, 9);
}

/**
 * S14 refresh and S15/S16 transitions of an existing entry (tail: its
 * lastSeen field); re-arms only if the deadline moved earlier. `ref` is the
 * entry's reference, for the timer.
 */
function refresh(tail: usize, ref: u32, ifi: u32, out: bool, t: i64, proto: u32, f: u32): void {
  const oldLast = load<i64>(tail);
  const oldTix = <u32>load<u8>(tail, 8);
  let tix = oldTix;
  let bits = <u32>load<u8>(tail, 9);
  store<i64>(tail, t);
  if (proto == 6) {
    if (f & RST) {
      tix = T_CLOSED;
    } else if (f & FIN) {
      if (tix != T_CLOSED) {
        bits |= out ? TB_FIN_OUT : TB_FIN_IN;
        tix = (bits & (TB_FIN_IN | TB_FIN_OUT)) == (TB_FIN_IN | TB_FIN_OUT) ? T_TIME_WAIT : T_FIN_WAIT;
      }
    } else if ((f & SYN) != 0 && (f & ACK) == 0) {
      if (tix == T_TIME_WAIT || tix == T_CLOSED) {
        tix = T_SYN_SENT; // the connection starts over
        bits = TB_SYN_VALID | (out ? TB_SYN_OUT : 0);
      }
    } else if (f & SYN) {
      if (tix == T_SYN_SENT && ((bits & TB_SYN_VALID) == 0 || ((bits & TB_SYN_OUT) != 0) != out)) tix = T_SYN_RECV;
    } else if (f & ACK) {
      if (tix == T_SYN_RECV) tix = T_ESTABLISHED;
    }
  } else if (proto == 17) {
    const initOut = (bits & UB_INIT_OUT) != 0;
    const lastOut = (bits & UB_LAST_OUT) != 0;
    let txn = bits & UB_TXN_MASK;
    if (out != initOut && lastOut == initOut && txn < 3) txn++;
    bits = (bits & UB_INIT_OUT) | (out ? UB_LAST_OUT : 0) | txn;
    tix = txn >= 2 ? T_UDP_STREAM : T_UDP;
  }
  store<u8>(tail, <u8>bits, 9);
  if (tix != oldTix) {
    store<u8>(tail, <u8>tix, 8);
    const d = t + ifTimeout(ifi, tix);
    if (d < oldLast + ifTimeout(ifi, oldTix)) {
      store<u32>(tail, timerEarlier(load<u32>(tail, 12), ref, d), 12);
    }
  }
}

// ---------------------------------------------------------------- S10

/** S6: does the quote, keyed as S5 in either orientation, name an alive tracked flow here? */
function isRelated(ifi: u32): bool {
  const row = pRow;
  const qp = <u32>load<u8>(bBase + B_QPROTO(bCap) + row);
  const qs = <u32>load<u16>(bBase + B_QSPORT(bCap) + (row << 1));
  const qd = <u32>load<u16>(bBase + B_QDPORT(bCap) + (row << 1));
  const qt = <u32>load<u8>(bBase + B_QTYPE(bCap) + row);
  const qc = <u32>load<u8>(bBase + B_QCODE(bCap) + row);
  const qi = <u32>load<u16>(bBase + B_QID(bCap) + (row << 1));
  const sa = bBase + B_QSRC(bCap) + (row << 4);
  const da = bBase + B_QDST(bCap) + (row << 4);
  const a0 = load<u32>(sa), a1 = load<u32>(sa, 4), a2 = load<u32>(sa, 8), a3 = load<u32>(sa, 12);
  const b0 = load<u32>(da), b1 = load<u32>(da, 4), b2 = load<u32>(da, 8), b3 = load<u32>(da, 12);
  setKey(ifi, qp, portsWord(qp, qs, qd, qt, qc, qi), a0, a1, a2, a3, b0, b1, b2, b3);
  if (findKey() != 0) return true;
  setKey(ifi, qp, portsWord(qp, qd, qs, qt, qc, qi), b0, b1, b2, b3, a0, a1, a2, a3);
  return findKey() != 0;
}

/** The verdict at interface ifi (S7, then S10 steps 1–6). */
function decide(ifi: u32, out: bool): u32 {
  // S7: a non-first fragment follows its first fragment; decided before S10.
  if (pFF & FRAG_NONFIRST) {
    const v = fragFind(
      (<u64>s0 << 32) | <u64>s1, (<u64>s2 << 32) | <u64>s3, (<u64>d0 << 32) | <u64>d1, (<u64>d2 << 32) | <u64>d3,
      pFragId, ifi, pProto, pCopy, pT,
    );
    if (v == V_NEW || v == V_TRACKED) return V_TRACKED;
    if (v == V_UNTRACKED || v == V_RELATED || v == V_BYPASS) return v;
    return V_DENY;
  }
  // S10.1 link-local services (S20).
  if (isLinkLocal(ifi, out)) return takeToken(ifi) ? V_BYPASS : V_DROP_LINKLOCAL;

  // S10.2 an alive tracked entry (every entry in the table is alive: reclaim ran for this time).
  packetKey(ifi, out);
  let e = findKey();
  if (e != 0) {
    refresh(tailPtr(e), entryRef(e), ifi, out, pT, pProto, pFlags);
    return V_TRACKED;
  }
  // S10.3 an ICMP error related to an alive tracked flow.
  if (isIcmp(pProto) && (pFF & HAS_QUOTE) != 0 && isIcmpError(pProto, pType)) {
    // In a sharded run the quoted flow may live on another worker, which answered before (hintBits).
    if (hintActive) {
      if (((hintBits >> evalIndex) & 1) != 0) return V_RELATED;
    } else {
      if (isRelated(ifi)) return V_RELATED;
      packetKey(ifi, out);
      findKey(); // restores the insert position
    }
  }
  // S10.4 rules.
  if (!rulesMatch(ifi, out)) return V_DENY;
  // S10.5 untracked.
  if (isUntracked(ifi, out)) return V_UNTRACKED;
  // S10.6 allowance.
  const inst = ifInstance(ifi);
  const alive = instCtr(inst, CTR_ALIVE);
  const n = load<i64>(alive);
  const allowance = load<i64>(instCtr(inst, CTR_ALLOWANCE));
  // Serial rows of a sharded run: the instance's entries on every shard count.
  const total = allowance >= 0 && serialShards != 0 ? aliveEverywhere(inst) : n;
  if (allowance >= 0 && total >= allowance) {
    logRecord(inst, LOG_DROP);
    return V_DROP_ALLOWANCE;
  }
  e = pV6 ? insert6(ka, kb, kc, kd, k1, kh) : insert4(k0, k1, kh);
  const tail = tailPtr(e);
  store<i64>(tail, pT);
  initState(tail, out);
  store<u32>(tail, timerNew(entryRef(e), pT + ifTimeout(ifi, <u32>load<u8>(tail, 8))), 12);
  store<i64>(alive, n + 1);
  logRecord(inst, LOG_ADMIT);
  const peak = instCtr(inst, CTR_PEAK);
  if (n + 1 > load<i64>(peak)) store<i64>(peak, n + 1);
  return V_NEW;
}

/** Counts a verdict of interface ifi (per instance; S19 and S20 metrics). */
// @ts-ignore: decorator
@inline function count(ifi: u32, v: u32): void {
  const ctr = <usize>load<u32>(ifCounters + (<usize>ifi << 2));
  bump(ctr + (<usize>v << 3));
  if (v >= V_DROP_ALLOWANCE) bump(ctr + (v == V_DROP_ALLOWANCE ? CTR_EXCEEDED << 3 : CTR_LINKLOCAL << 3));
}

/** The general path: S7 and S10 from the packet globals; records first fragments; counts. */
function evaluate(ifi: u32, out: bool): u32 {
  const v = decide(ifi, out);
  if ((pFF & (FRAG_IS | FRAG_NONFIRST)) == FRAG_IS) {
    fragRecord(
      (<u64>s0 << 32) | <u64>s1, (<u64>s2 << 32) | <u64>s3, (<u64>d0 << 32) | <u64>d1, (<u64>d2 << 32) | <u64>d3,
      pFragId, ifi, pProto, pCopy, v, pT,
    );
  }
  count(ifi, v);
  return v;
}

/**
 * The common case: an IPv4 TCP/UDP whole packet of a tracked flow, in
 * locals. Refreshes the entry and returns V_TRACKED, or returns 0 having
 * changed nothing, and the general path decides (S7 to S10.6). Packets that
 * might be link-local (169.254/16, port 53) take the general path.
 */
// @ts-ignore: decorator
@inline function fastTracked4(ifi: u32, out: bool, src: u32, dst: u32, sport: u32, dport: u32, proto: u32, copy: u32, flags: u32, t: i64, h: u32): u32 {
  const local = out ? src : dst;
  const remote = out ? dst : src;
  const lport = out ? sport : dport;
  const rport = out ? dport : sport;
  if ((remote >> 16) == 0xa9fe || rport == 53) return 0;
  const key0 = <u64>local | (<u64>remote << 32);
  const key1 = <u64>lport | (<u64>rport << 16) | (<u64>proto << 32) | (<u64>copy << COPY_SHIFT) | (<u64>(ifi + 1) << 48);
  let i = h & m4;
  while (true) {
    const e = t4 + (<usize>i << 5);
    const e1 = load<u64>(e, 8);
    if (e1 == 0) return 0;
    if (e1 == key1 && load<u64>(e) == key0) {
      // An ACK (no RST, FIN or SYN) changes no TCP state except syn-recv → established: only lastSeen moves.
      if (proto == 6 && (flags & (RST | FIN | SYN)) == 0 && load<u8>(e, 24) != <u8>T_SYN_RECV) store<i64>(e, t, 16);
      else refresh(e + 16, i, ifi, out, t, proto, flags);
      return V_TRACKED;
    }
    i = (i + 1) & m4;
  }
}

/** Loads row i into the packet globals (the general path). */
function loadRow(i: usize): void {
  const c = bCap;
  const b = bBase;
  pRow = i;
  pT = load<i64>(b + B_TS(c) + (i << 3));
  pV6 = load<u8>(b + B_KIND(c) + i) != KIND_V4;
  pProto = load<u8>(b + B_PROTO(c) + i);
  pFlags = load<u8>(b + B_TCPFLAGS(c) + i);
  pFF = load<u8>(b + B_FRAGFLAGS(c) + i);
  pSport = load<u16>(b + B_SPORT(c) + (i << 1));
  pDport = load<u16>(b + B_DPORT(c) + (i << 1));
  pType = load<u8>(b + B_ICMPTYPE(c) + i);
  pCode = load<u8>(b + B_ICMPCODE(c) + i);
  pId = load<u16>(b + B_ICMPID(c) + (i << 1));
  pFragId = load<u32>(b + B_FRAGID(c) + (i << 2));
  pCopy = load<u8>(b + B_COPY(c) + i);
  const sa = b + B_SRC(c) + (i << 4);
  const da = b + B_DST(c) + (i << 4);
  s0 = load<u32>(sa);
  d0 = load<u32>(da);
  if (pV6) {
    s1 = load<u32>(sa, 4); s2 = load<u32>(sa, 8); s3 = load<u32>(sa, 12);
    d1 = load<u32>(da, 4); d2 = load<u32>(da, 8); d3 = load<u32>(da, 12);
  } else {
    s1 = 0; s2 = 0; s3 = 0; d1 = 0; d2 = 0; d3 = 0;
  }
}

/** Rows per interleaved chunk: first hash and touch every row, then process them in order. */
const CHUNK: usize = 64;
/** Table size above which stage A pays off (about the L2 of one core). */
const INTERLEAVE_BYTES: usize = 1 << 20;
let scratch: usize = 0;

export function setScratch(p: usize): void {
  scratch = p;
}

/** Stage A for row i: the symmetric hash of an IPv4 TCP/UDP whole packet (0 otherwise), and a touch of its slot. */
// @ts-ignore: decorator
@inline function stageA(b: usize, c: usize, i: usize): u32 {
  if (load<u8>(b + B_KIND(c) + i) != KIND_V4 || load<u8>(b + B_FRAGFLAGS(c) + i) != 0) return 0;
  const proto = <u32>load<u8>(b + B_PROTO(c) + i);
  if (!hasPorts(proto)) return 0;
  let h: u32;
  if (hashCol != 0) {
    h = load<u32>(hashCol + (i << 2));
  } else {
    const x = (<u64>load<u32>(b + B_SRC(c) + (i << 4)) << 16) | <u64>load<u16>(b + B_SPORT(c) + (i << 1));
    const y = (<u64>load<u32>(b + B_DST(c) + (i << 4)) << 16) | <u64>load<u16>(b + B_DPORT(c) + (i << 1));
    h = symHash4(x, y, <u64>proto ^ (<u64>load<u8>(b + B_COPY(c) + i) << COPY_SHIFT));
  }
  touchSink += <u32>load<u8>(t4 + (<usize>(h & m4) << 5));
  return h;
}

/**
 * Processes rows [from, to) of the batch; writes each outcome byte. With a
 * large table, in chunks: stage A hashes every row and touches its table
 * slot, so a chunk's cache misses are in flight together; stage B then
 * decides each row in order, exactly as without chunks. In a sharded run
 * (a shard column is set), only this shard's rows: see processOwnRows.
 */
export function processRows(from: usize, to: usize): void {
  if (shardCol != 0) {
    processOwnRows(from, to);
    return;
  }
  const c = bCap;
  const b = bBase;
  const interleave = (<usize>m4 + 1) * E4 > INTERLEAVE_BYTES;
  for (let base = from; base < to; base += CHUNK) {
    const end = min(base + CHUNK, to);
    if (interleave) {
      for (let i = base; i < end; i++) store<u32>(scratch + ((i - base) << 2), stageA(b, c, i));
    }
    for (let i = base; i < end; i++) decideRow(i, interleave ? load<u32>(scratch + ((i - base) << 2)) : 0);
  }
}

/** Rows of this shard in the last processOwnRows. */
export let lastOwnRows: u32 = 0;

/** Room for the row list of processOwnRows (grown with the batch). */
let ownRows: usize = 0;
let ownCap: usize = 0;

/**
 * A sharded run: decides this shard's rows of [from, to), in order, found
 * once by a scan of the shard column, and interleaved in chunks of its own
 * rows. The other shards' rows are not visited one by one: entries expire
 * at the first row whose time reaches their deadline (a binary search over
 * the non-decreasing virtual times), which is where a single engine expires
 * them, so expiries are logged at the same rows.
 */
function processOwnRows(from: usize, to: usize): void {
  const c = bCap;
  const b = bBase;
  if (ownCap < c) {
    release(ownRows, ownCap << 2);
    ownRows = alloc(c << 2);
    ownCap = c;
  }
  let m: usize = 0;
  const me = <u8>myShard;
  lastOwnRows = 0;
  for (let i = from; i < to; i++) {
    store<u32>(ownRows + (m << 2), <u32>i);
    m += <usize>(load<u8>(shardCol + i) == me);
  }
  lastOwnRows = <u32>m;
  const interleave = (<usize>m4 + 1) * E4 > INTERLEAVE_BYTES;
  let next = from;
  for (let base: usize = 0; base < m; base += CHUNK) {
    const end = min(base + CHUNK, m);
    if (interleave) {
      for (let k = base; k < end; k++) store<u32>(scratch + ((k - base) << 2), stageA(b, c, <usize>load<u32>(ownRows + (k << 2))));
    }
    for (let k = base; k < end; k++) {
      const i = <usize>load<u32>(ownRows + (k << 2));
      expireAcross(next, i);
      next = i + 1;
      decideRow(i, interleave ? load<u32>(scratch + ((k - base) << 2)) : 0);
    }
  }
  expireAcross(next, to);
}

/**
 * Other shards' rows [a, z): expire what is gone at each row whose time
 * reaches the next deadline, logged at that row, as processRows would when
 * passing them.
 */
function expireAcross(a: usize, z: usize): void {
  const ts = bBase + B_TS(bCap);
  while (a < z) {
    const due = nextDue > 0 ? nextDue : 0;
    if (load<i64>(ts + ((z - 1) << 3)) < due) return;
    // The first row in [a, z) at or after `due`.
    let lo = a;
    let hi = z - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (load<i64>(ts + (mid << 3)) >= due) hi = mid;
      else lo = mid + 1;
    }
    const t = load<i64>(ts + (lo << 3));
    setCurRow(<u32>lo);
    timersStart(t);
    reclaim(t);
    a = lo + 1;
  }
}

/** Decides row i; `pre` is its hash from stage A (0: none, or compute). */
// @ts-ignore: decorator
@inline function decideRow(i: usize, pre: u32): void {
  const c = bCap;
  const b = bBase;
  const t = load<i64>(b + B_TS(c) + (i << 3));
  setCurRow(<u32>i);
  const kind = <u32>load<u8>(b + B_KIND(c) + i);
  if (kind == KIND_MALFORMED || t < 0) {
    bump(ctrGlobal + (<usize>V_MALFORMED << 3));
    store<u8>(b + B_OUT(c) + i, <u8>V_MALFORMED);
    return;
  }
  if (kind == KIND_NON_IP) {
    // ARP, LLDP…: no IP addresses, so no interface sees it (S4).
    bump(ctrGlobal + (<usize>V_FOREIGN << 3));
    store<u8>(b + B_OUT(c) + i, <u8>V_FOREIGN);
    if (t >= nextDue) {
      timersStart(t);
      reclaim(t);
    }
    return;
  }
  if (t >= nextDue) {
    timersStart(t);
    reclaim(t);
  }
  const proto = <u32>load<u8>(b + B_PROTO(c) + i);
  const ff = <u32>load<u8>(b + B_FRAGFLAGS(c) + i);
  let outcome: u32;
  if (kind == KIND_V4 && ff == 0 && hasPorts(proto)) {
    // Fast path: IPv4 TCP/UDP, whole packet.
    const src = load<u32>(b + B_SRC(c) + (i << 4));
    const dst = load<u32>(b + B_DST(c) + (i << 4));
    const sport = <u32>load<u16>(b + B_SPORT(c) + (i << 1));
    const dport = <u32>load<u16>(b + B_DPORT(c) + (i << 1));
    const flags = <u32>load<u8>(b + B_TCPFLAGS(c) + i);
    const copy = <u32>load<u8>(b + B_COPY(c) + i);
    const si = route4(src);
    const di = route4(dst);
    if ((si < 0 && di < 0) || (si >= 0 && di >= 0 && ifInstance(<u32>si) == ifInstance(<u32>di))) {
      bump(ctrGlobal + (<usize>V_FOREIGN << 3));
      outcome = V_FOREIGN;
    } else {
      const h = pre != 0
        ? pre
        : hashCol != 0
          ? load<u32>(hashCol + (i << 2))
          : symHash4((<u64>src << 16) | <u64>sport, (<u64>dst << 16) | <u64>dport, <u64>proto ^ (<u64>copy << COPY_SHIFT));
      let rowLoaded = false;
      const first = si >= 0 ? <u32>si : <u32>di;
      const firstOut = si >= 0;
      evalIndex = 0;
      let v = fastTracked4(first, firstOut, src, dst, sport, dport, proto, copy, flags, t, h);
      if (v != 0) count(first, v);
      else {
        loadRow(i);
        rowLoaded = true;
        preHash = h;
        preHashValid = true;
        v = evaluate(first, firstOut);
        preHashValid = false;
      }
      outcome = v;
      if (si >= 0 && di >= 0 && v <= V_BYPASS) {
        evalIndex = 1;
        let v2 = fastTracked4(<u32>di, false, src, dst, sport, dport, proto, copy, flags, t, h);
        if (v2 != 0) count(<u32>di, v2);
        else {
          if (!rowLoaded) loadRow(i);
          preHash = h;
          preHashValid = true;
          v2 = evaluate(<u32>di, false);
          preHashValid = false;
        }
        outcome |= v2 << 4;
      }
    }
  } else {
    // General path.
    loadRow(i);
    const si = pV6 ? route6(s0, s1, s2, s3) : route4(s0);
    const di = pV6 ? route6(d0, d1, d2, d3) : route4(d0);
    if ((si < 0 && di < 0) || (si >= 0 && di >= 0 && ifInstance(<u32>si) == ifInstance(<u32>di))) {
      // S4: touches no interface, or never leaves one instance.
      bump(ctrGlobal + (<usize>V_FOREIGN << 3));
      outcome = V_FOREIGN;
    } else if (si >= 0) {
      evalIndex = 0;
      outcome = evaluate(<u32>si, true);
      evalIndex = 1;
      if (di >= 0 && outcome <= V_BYPASS) outcome |= evaluate(<u32>di, false) << 4;
    } else {
      evalIndex = 0;
      outcome = evaluate(<u32>di, false);
    }
  }
  store<u8>(b + B_OUT(c) + i, <u8>outcome);
}

/** Every live entry gets a fresh timer at its deadline under the current timeouts (after modifyConnectionTracking). */
export function rearmEntries(): void {
  const cap4 = <usize>m4 + 1;
  for (let j: usize = 0; j < cap4; j++) {
    const e = t4 + (j << 5);
    if (load<u64>(e, 8) == 0) continue;
    const iface = <u32>(load<u64>(e, 8) >> 48) - 1;
    const d = load<i64>(e, 16) + ifTimeout(iface, <u32>load<u8>(e, 24));
    store<u32>(e, timerEarlier(load<u32>(e, 28), <u32>j, d), 28);
  }
  const cap6 = <usize>m6 + 1;
  for (let j: usize = 0; j < cap6; j++) {
    const e = t6 + j * E6;
    if (load<u64>(e, 32) == 0) continue;
    const iface = <u32>(load<u64>(e, 32) >> 48) - 1;
    const d = load<i64>(e, 40) + ifTimeout(iface, <u32>load<u8>(e, 48));
    store<u32>(e, timerEarlier(load<u32>(e, 52), <u32>j | 0x80000000, d), 52);
  }
}

/**
 * Sharded runs, an ICMP error whose quoted flow lives on this worker: bit k
 * says whether evaluation k of row `row` is related (S6), from this worker's
 * entries. Changes nothing.
 */
export function relatedBits(row: usize): u32 {
  loadRow(row);
  const si = pV6 ? route6(s0, s1, s2, s3) : route4(s0);
  const di = pV6 ? route6(d0, d1, d2, d3) : route4(d0);
  let bits: u32 = 0;
  if (si >= 0) {
    if (isRelated(<u32>si)) bits |= 1;
    if (di >= 0 && isRelated(<u32>di)) bits |= 2;
  } else if (di >= 0 && isRelated(<u32>di)) bits |= 1;
  return bits;
}

/** Sharded runs: processes one row as ours, with S10.3 answered by `bits` (see relatedBits). */
export function processRowHint(row: usize, bits: u32): void {
  const col = shardCol;
  shardCol = 0;
  hintActive = true;
  hintBits = bits;
  processRows(row, row + 1);
  hintActive = false;
  shardCol = col;
}

// ---------------------------------------------------------------- the coordinator: shards

/** Row is a barrier (an ICMP error whose own key and quoted flow hash to different shards). */
export const SHARD_BARRIER: u32 = 255;

/** Shard 0's part of the hash space: hashes below zeroCut; the rest is split evenly (zeroMul = (n − 1) · 2^32 / (2^32 − zeroCut)). */
let zeroCut: u64 = 0;
let zeroMul: u64 = 0;

/** The shard of a hash: shard 0 (the coordinator's thread, which also reads) takes a smaller part. */
// @ts-ignore: decorator
@inline function pick(h: u32, n: u32): u32 {
  if (<u64>h < zeroCut) return 0;
  return 1 + <u32>(((<u64>h - zeroCut) * zeroMul) >> 32);
}

/** Symmetric hash of a flow given as two sides and the S5 extra word (the same for every interface). */
function flowHash(v6: bool, a: usize, pa: u32, b: usize, pb: u32, extra: u64): u32 {
  if (!v6) return symHash4((<u64>load<u32>(a) << 16) | <u64>pa, (<u64>load<u32>(b) << 16) | <u64>pb, extra);
  return symHash6(
    (<u64>load<u32>(a) << 32) | <u64>load<u32>(a, 4), (<u64>load<u32>(a, 8) << 32) | <u64>load<u32>(a, 12), <u64>pa,
    (<u64>load<u32>(b) << 32) | <u64>load<u32>(b, 4), (<u64>load<u32>(b, 8) << 32) | <u64>load<u32>(b, 12), <u64>pb, extra,
  );
}

/** Sides and extra word of an S5 key: TCP/UDP ports go with their sides, the rest is direction-independent. */
function keyExtra(proto: u32, type: u32, code: u32, id: u32): u64 {
  return <u64>proto | ((portsWord(proto, 0, 0, type, code, id) & 0xffffffff) << 8);
}

/**
 * The coordinator of a sharded run: writes each row's shard (0…n−1) into
 * `col`, so that every packet that shares state with another lands on the
 * same worker: a flow's both directions and both interfaces (symmetric
 * hash); link-local traffic by interface (its token bucket); a non-first
 * fragment with its first fragment; an ICMP error with the flow it quotes —
 * or, when its own (type, code) key hashes elsewhere, as a barrier row
 * (SHARD_BARRIER), listed in `barriers` as (row u32, quoted-flow shard u32,
 * own-key shard u32). Malformed and non-IP packets go to shard 0.
 *
 * Shard 0 gets the hashes below `cut`, the others equal parts of the rest.
 * Whole IPv4 TCP/UDP packets (nearly every row) take a short path: the
 * symmetric hash picks the shard and is kept in `hashes`, where the worker
 * finds it for its table (the same hash: same function, same seed). Only
 * when an address is link-local (169.254.0.0/16) or a port is 53 (the VPC
 * resolver, S20) do they go the general way, which looks up interfaces.
 * Returns the number of barrier rows.
 */
export function assignShards(n: usize, nShards: u32, col: usize, barriers: usize, hashes: usize, cut: u32): u32 {
  const c = bCap;
  const b = bBase;
  let nb: u32 = 0;
  if (nShards <= 1) {
    zeroCut = 0x100000000;
    zeroMul = 0;
  } else {
    zeroCut = <u64>cut;
    zeroMul = ((<u64>(nShards - 1)) << 32) / (<u64>0x100000000 - zeroCut);
  }
  for (let i: usize = 0; i < n; i++) {
    const kind = <u32>load<u8>(b + B_KIND(c) + i);
    const t = load<i64>(b + B_TS(c) + (i << 3));
    if (kind == KIND_MALFORMED || kind == KIND_NON_IP || t < 0) {
      store<u8>(col + i, 0);
      continue;
    }
    if (kind == KIND_V4 && load<u8>(b + B_FRAGFLAGS(c) + i) == 0) {
      const proto = <u32>load<u8>(b + B_PROTO(c) + i);
      if (hasPorts(proto)) {
        const src = load<u32>(b + B_SRC(c) + (i << 4));
        const dst = load<u32>(b + B_DST(c) + (i << 4));
        const sport = <u32>load<u16>(b + B_SPORT(c) + (i << 1));
        const dport = <u32>load<u16>(b + B_DPORT(c) + (i << 1));
        const h = symHash4((<u64>src << 16) | <u64>sport, (<u64>dst << 16) | <u64>dport, <u64>proto ^ (<u64>load<u8>(b + B_COPY(c) + i) << COPY_SHIFT));
        store<u32>(hashes + (i << 2), h);
        if ((src >>> 16) != 0xa9fe && (dst >>> 16) != 0xa9fe && ((sport != 53 && dport != 53) || !anyResolver(src, dst))) {
          store<u8>(col + i, <u8>pick(h, nShards));
          continue;
        }
      }
    } else if (kind == KIND_V6 && load<u8>(b + B_FRAGFLAGS(c) + i) == 0) {
      const proto = <u32>load<u8>(b + B_PROTO(c) + i);
      const sa = b + B_SRC(c) + (i << 4);
      const da = b + B_DST(c) + (i << 4);
      // Not link-local (fd00:ec2::/96 on either side, S20): the flow hash is the shard.
      if (hasPorts(proto) && !isEc2Local(sa) && !isEc2Local(da)) {
        const h = flowHash(true, sa, <u32>load<u16>(b + B_SPORT(c) + (i << 1)), da, <u32>load<u16>(b + B_DPORT(c) + (i << 1)), <u64>proto ^ (<u64>load<u8>(b + B_COPY(c) + i) << COPY_SHIFT));
        store<u8>(col + i, <u8>pick(h, nShards));
        continue;
      }
    }
    store<u8>(col + i, <u8>assignGeneral(i, nShards, barriers, nb));
    if (load<u8>(col + i) == <u8>SHARD_BARRIER) nb++;
  }
  return nb;
}

/** fd00:ec2::/96, where the IPv6 link-local services live (S20); the address in memory as 4 big-endian-valued words. */
// @ts-ignore: decorator
@inline function isEc2Local(a: usize): bool {
  return load<u32>(a) == 0xfd000ec2 && load<u32>(a, 4) == 0 && load<u32>(a, 8) == 0;
}

/** Is either address the VPC resolver of some interface (IF_RESOLVER)? Few distinct ones: a short scan, else "maybe". */
function anyResolver(a: u32, b: u32): bool {
  if (resolversFor != blob) collectResolvers();
  if (nResolvers < 0) return true;
  for (let k = 0; k < nResolvers; k++) {
    const r = load<u32>(resolvers + (<usize>k << 2));
    if (r == a || r == b) return true;
  }
  return false;
}

const MAX_RESOLVERS: i32 = 8;
let resolvers: usize = 0;
let nResolvers: i32 = 0; // −1: too many to scan
let resolversFor: usize = 0;

function collectResolvers(): void {
  if (resolvers == 0) resolvers = alloc(<usize>MAX_RESOLVERS << 2);
  nResolvers = 0;
  for (let f = 0; f < nIfaces && nResolvers >= 0; f++) {
    if (ifWord(<u32>f, IF_HAS_RESOLVER) == 0) continue;
    const r = <u32>ifWord(<u32>f, IF_RESOLVER);
    let seen = false;
    for (let k = 0; k < nResolvers; k++) if (load<u32>(resolvers + (<usize>k << 2)) == r) seen = true;
    if (seen) continue;
    if (nResolvers == MAX_RESOLVERS) nResolvers = -1;
    else {
      store<u32>(resolvers + (<usize>nResolvers << 2), r);
      nResolvers++;
    }
  }
  resolversFor = blob;
}

/** assignShards for one row the general way; a barrier row's record goes to record `nb`. */
function assignGeneral(i: usize, nShards: u32, barriers: usize, nb: u32): u32 {
  const c = bCap;
  const b = bBase;
  loadRow(i);
  const si = pV6 ? route6(s0, s1, s2, s3) : route4(s0);
  const di = pV6 ? route6(d0, d1, d2, d3) : route4(d0);
  if ((si < 0 && di < 0) || (si >= 0 && di >= 0 && ifInstance(<u32>si) == ifInstance(<u32>di))) return 0;
  const sa = b + B_SRC(c) + (i << 4);
  const da = b + B_DST(c) + (i << 4);
  const sh = (<u64>s0 << 32) | <u64>s1;
  const sl = (<u64>s2 << 32) | <u64>s3;
  const dh = (<u64>d0 << 32) | <u64>d1;
  const dl = (<u64>d2 << 32) | <u64>d3;
  const cx = <u64>pCopy << COPY_SHIFT;
  let shard: u32 = 0;
  if (pFF & FRAG_NONFIRST) {
    // With its first fragment (remembered below), else anywhere: without one it is denied everywhere.
    const s = fragFind(sh, sl, dh, dl, pFragId, 0, pProto, pCopy, pT);
    return s != 0 ? s - 1 : pick(flowHash(pV6, sa, 0, da, 0, <u64>pProto ^ cx), nShards);
  }
  const first = si >= 0 ? <u32>si : <u32>di;
  const firstOut = si >= 0;
  let owner: u32 = 0;
  if (isLinkLocal(first, firstOut)) {
    shard = pick(<u32>(mix64(<u64>first + 1) >> 32), nShards);
    owner = shard;
  } else if (isIcmp(pProto) && (pFF & HAS_QUOTE) != 0 && isIcmpError(pProto, pType)) {
    const qp = <u32>load<u8>(b + B_QPROTO(c) + i);
    const ports = hasPorts(qp);
    const qs = ports ? <u32>load<u16>(b + B_QSPORT(c) + (i << 1)) : 0;
    const qd = ports ? <u32>load<u16>(b + B_QDPORT(c) + (i << 1)) : 0;
    const qx = ports ? <u64>qp : keyExtra(qp, <u32>load<u8>(b + B_QTYPE(c) + i), <u32>load<u8>(b + B_QCODE(c) + i), <u32>load<u16>(b + B_QID(c) + (i << 1)));
    const sF = pick(flowHash(pV6, b + B_QSRC(c) + (i << 4), qs, b + B_QDST(c) + (i << 4), qd, qx ^ cx), nShards);
    const sE = pick(flowHash(pV6, sa, 0, da, 0, keyExtra(pProto, pType, pCode, pId) ^ cx), nShards);
    if (sF == sE) {
      shard = sE;
      owner = sE;
    } else {
      shard = SHARD_BARRIER;
      owner = sE;
      store<u32>(barriers + (<usize>nb * 12), <u32>i);
      store<u32>(barriers + (<usize>nb * 12), sF, 4);
      store<u32>(barriers + (<usize>nb * 12), sE, 8);
    }
  } else {
    const ports = hasPorts(pProto);
    const extra = ports ? <u64>pProto : keyExtra(pProto, pType, pCode, pId);
    shard = pick(flowHash(pV6, sa, ports ? pSport : 0, da, ports ? pDport : 0, extra ^ cx), nShards);
    owner = shard;
  }
  if ((pFF & (FRAG_IS | FRAG_NONFIRST)) == FRAG_IS) {
    // Its non-first fragments follow it (a barrier row is decided by its own-key shard).
    fragRecord(sh, sl, dh, dl, pFragId, 0, pProto, pCopy, owner + 1, pT);
  }
  return shard;
}

/**
 * Sharded runs, only when an allowance may bind: writes, per row, the
 * instances it is evaluated at into `insts` (u32: first instance + 1 |
 * second instance + 1 << 16; 0 for none), so the coordinator can bound the
 * admissions of a stretch of rows.
 */
export function rowInstances(from: usize, to: usize, insts: usize): void {
  const c = bCap;
  const b = bBase;
  for (let i = from; i < to; i++) {
    const kind = <u32>load<u8>(b + B_KIND(c) + i);
    if (kind == KIND_MALFORMED || kind == KIND_NON_IP || load<i64>(b + B_TS(c) + (i << 3)) < 0) {
      store<u32>(insts + (i << 2), 0);
      continue;
    }
    let si: i32;
    let di: i32;
    if (kind == KIND_V4) {
      si = route4(load<u32>(b + B_SRC(c) + (i << 4)));
      di = route4(load<u32>(b + B_DST(c) + (i << 4)));
    } else {
      loadRow(i);
      si = route6(s0, s1, s2, s3);
      di = route6(d0, d1, d2, d3);
    }
    const a: u32 = si >= 0 ? ifInstance(<u32>si) + 1 : 0;
    const z: u32 = di >= 0 ? ifInstance(<u32>di) + 1 : 0;
    store<u32>(insts + (i << 2), a == z ? 0 : a | (z << 16));
  }
}

// ---------------------------------------------------------------- serial rows of a sharded run

/** Tracked entries of instance `inst` on every shard (each shard's counters, wherever its context is). */
function aliveEverywhere(inst: u32): i64 {
  let total: i64 = 0;
  for (let w: u32 = 0; w < serialShards; w++) {
    const ci = <usize>load<u32>(serialCtx + <usize>w * CTX_BYTES + CTX_AT_CTR_INST);
    total += load<i64>(ci + ((<usize>inst * INST_CTR + CTR_ALIVE) << 3));
  }
  return total;
}

// @ts-ignore: decorator
@inline function switchTo(cur: u32, w: u32): u32 {
  if (w != cur) {
    ctxSave(serialCtx + <usize>cur * CTX_BYTES);
    ctxLoad(serialCtx + <usize>w * CTX_BYTES);
  }
  return w;
}

/**
 * Sharded runs, rows during which an allowance may bind: decides rows
 * [from, to) of every shard, in trace order, on this one instance, loading
 * each shard's saved context (contexts at `ctxBase`, CTX_BYTES each; ours is
 * the one loaded, and is loaded again on return). Before each row every
 * shard expires what is gone at its time, so each instance's tracked count,
 * summed over the shards, is exact when the row is decided, and the
 * allowance (S17) is checked against it: verdicts are those of one engine.
 * Barrier rows take their (row, quoted-flow shard, own-key shard) from
 * `barriers`, starting at record `bFrom`; returns the next record.
 */
export function processSerial(from: usize, to: usize, nShards: u32, ctxBase: usize, barriers: usize, bFrom: u32): u32 {
  const own = myShard;
  let cur = own;
  serialShards = nShards;
  serialCtx = ctxBase;
  ctxSave(ctxBase + <usize>own * CTX_BYTES);
  let bi = bFrom;
  const b = bBase;
  const c = bCap;
  for (let base = from; base < to; base += CHUNK) {
    const end = min(base + CHUNK, to);
    // Stage A: touch each row's slot in its shard's table (saved contexts: t4 at 0, m4 at 4), so the
    // chunk's misses are in flight together; a table that grows meanwhile only makes a touch useless.
    for (let r = base; r < end; r++) {
      const owner = <u32>load<u8>(shardCol + r);
      let h: u32 = 0;
      if (owner != SHARD_BARRIER && hashCol != 0 && load<u8>(b + B_KIND(c) + r) == KIND_V4 && load<u8>(b + B_FRAGFLAGS(c) + r) == 0 && hasPorts(<u32>load<u8>(b + B_PROTO(c) + r))) {
        h = load<u32>(hashCol + (r << 2));
        const ctx = ctxBase + <usize>owner * CTX_BYTES;
        const tw = owner == cur ? t4 : <usize>load<u32>(ctx);
        const mw = owner == cur ? m4 : load<u32>(ctx, 4);
        touchSink += <u32>load<u8>(tw + (<usize>(h & mw) << 5));
      }
      store<u32>(scratch + ((r - base) << 2), h);
    }
    for (let r = base; r < end; r++) {
      const t = load<i64>(b + B_TS(c) + (r << 3));
      const owner = <u32>load<u8>(shardCol + r);
      if (t >= 0) {
        for (let w: u32 = 0; w < nShards; w++) {
          if (w == owner) continue;
          const due = w == cur ? nextDue : load<i64>(ctxBase + <usize>w * CTX_BYTES + CTX_AT_NEXT_DUE);
          if (t >= due) {
            cur = switchTo(cur, w);
            setCurRow(<u32>r);
            timersStart(t);
            reclaim(t);
          }
        }
      }
      if (owner == SHARD_BARRIER) {
        const rec = barriers + <usize>bi * 12;
        bi++;
        cur = switchTo(cur, load<u32>(rec, 4));
        const bits = relatedBits(r);
        cur = switchTo(cur, load<u32>(rec, 8));
        myShard = cur;
        processRowHint(r, bits);
      } else {
        cur = switchTo(cur, owner);
        myShard = cur;
        decideRow(r, load<u32>(scratch + ((r - base) << 2)));
      }
    }
  }
  cur = switchTo(cur, own);
  myShard = own;
  ctxSave(ctxBase + <usize>own * CTX_BYTES);
  serialShards = 0;
  return bi;
}
