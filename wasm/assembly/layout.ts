// Memory layouts shared with the host. Mirrors src/trace/batch.ts (the packet
// batch) and src/engine/compile.ts (the config blob); test/engine/layout.test.ts
// checks that both sides agree through the exports of index.ts.

// ---- packet batch, capacity C: field offsets in bytes from the batch base
// @ts-ignore: decorator
@inline export function B_TS(c: usize): usize { return 0; }
// @ts-ignore: decorator
@inline export function B_SRC(c: usize): usize { return 8 * c; }
// @ts-ignore: decorator
@inline export function B_DST(c: usize): usize { return 24 * c; }
// @ts-ignore: decorator
@inline export function B_QSRC(c: usize): usize { return 40 * c; }
// @ts-ignore: decorator
@inline export function B_QDST(c: usize): usize { return 56 * c; }
// @ts-ignore: decorator
@inline export function B_LEN(c: usize): usize { return 72 * c; }
// @ts-ignore: decorator
@inline export function B_FRAGID(c: usize): usize { return 76 * c; }
// @ts-ignore: decorator
@inline export function B_SPORT(c: usize): usize { return 80 * c; }
// @ts-ignore: decorator
@inline export function B_DPORT(c: usize): usize { return 82 * c; }
// @ts-ignore: decorator
@inline export function B_ICMPID(c: usize): usize { return 84 * c; }
// @ts-ignore: decorator
@inline export function B_QSPORT(c: usize): usize { return 86 * c; }
// @ts-ignore: decorator
@inline export function B_QDPORT(c: usize): usize { return 88 * c; }
// @ts-ignore: decorator
@inline export function B_QID(c: usize): usize { return 90 * c; }
// @ts-ignore: decorator
@inline export function B_CAPIF(c: usize): usize { return 92 * c; }
// @ts-ignore: decorator
@inline export function B_KIND(c: usize): usize { return 94 * c; }
// @ts-ignore: decorator
@inline export function B_PROTO(c: usize): usize { return 95 * c; }
// @ts-ignore: decorator
@inline export function B_TCPFLAGS(c: usize): usize { return 96 * c; }
// @ts-ignore: decorator
@inline export function B_FRAGFLAGS(c: usize): usize { return 97 * c; }
// @ts-ignore: decorator
@inline export function B_ICMPTYPE(c: usize): usize { return 98 * c; }
// @ts-ignore: decorator
@inline export function B_ICMPCODE(c: usize): usize { return 99 * c; }
// @ts-ignore: decorator
@inline export function B_QPROTO(c: usize): usize { return 100 * c; }
// @ts-ignore: decorator
@inline export function B_QTYPE(c: usize): usize { return 101 * c; }
// @ts-ignore: decorator
@inline export function B_QCODE(c: usize): usize { return 102 * c; }
// @ts-ignore: decorator
@inline export function B_OUT(c: usize): usize { return 103 * c; }
// @ts-ignore: decorator
@inline export function B_COPY(c: usize): usize { return 104 * c; }
export const BATCH_BYTES_PER_PACKET: usize = 105;

export const FRAG_IS: u32 = 1;
export const FRAG_NONFIRST: u32 = 2;
export const FRAG_MORE: u32 = 4;
export const HAS_QUOTE: u32 = 8;

export const KIND_MALFORMED: u32 = 0;
export const KIND_NON_IP: u32 = 1;
export const KIND_V4: u32 = 4;
export const KIND_V6: u32 = 6;

// ---- config blob (32-bit words)
export const BLOB_MAGIC: u32 = 0x43545231;
export const BLOB_VERSION: u32 = 1;
export const HDR_INSTANCES: usize = 2;
export const HDR_IFACES: usize = 3;
export const HDR_INST_OFF: usize = 4;
export const HDR_IFACE_OFF: usize = 5;
export const HDR_ADDR_OFF: usize = 6;
export const HDR_ADDRS: usize = 7;
export const INST_WORDS: usize = 2;
export const IF_WORDS: usize = 64;
export const IF_INSTANCE: usize = 0;
export const IF_AUTO_TRACKED: usize = 1;
export const IF_HAS_RESOLVER: usize = 2;
export const IF_RESOLVER: usize = 3;
export const IF_TIMEOUTS: usize = 4;
export const IF_IN_RULES: usize = 26;
export const IF_IN_RULE_COUNT: usize = 27;
export const IF_OUT_RULES: usize = 28;
export const IF_OUT_RULE_COUNT: usize = 29;
export const IF_S9: usize = 30;
export const S9_WORDS: usize = 6;
export const S9_INGRESS_OPEN_ALL: usize = 0;
export const S9_EGRESS_OPEN_ALL: usize = 1;
export const S9_INGRESS_RANGES: usize = 2;
export const S9_INGRESS_RANGE_COUNT: usize = 3;
export const S9_EGRESS_RANGES: usize = 4;
export const S9_EGRESS_RANGE_COUNT: usize = 5;
export const ADDR_WORDS: usize = 8;
export const RULE_WORDS: usize = 8;

// Timeout indices (order of TIMEOUT_ORDER in compile.ts). For TCP the index is the state.
export const T_ESTABLISHED: u32 = 0;
export const T_SYN_SENT: u32 = 1;
export const T_SYN_RECV: u32 = 2;
export const T_FIN_WAIT: u32 = 3;
export const T_TIME_WAIT: u32 = 4;
export const T_CLOSED: u32 = 5;
export const T_UDP: u32 = 6;
export const T_UDP_STREAM: u32 = 7;
export const T_ICMP: u32 = 8;
export const T_OTHER: u32 = 9;
export const T_FRAGMENT: u32 = 10;

// Verdict codes (src/model/verdict.ts).
export const V_NONE: u32 = 0;
export const V_NEW: u32 = 1;
export const V_TRACKED: u32 = 2;
export const V_RELATED: u32 = 3;
export const V_UNTRACKED: u32 = 4;
export const V_BYPASS: u32 = 5;
export const V_DENY: u32 = 6;
export const V_DROP_ALLOWANCE: u32 = 7;
export const V_DROP_LINKLOCAL: u32 = 8;
export const V_FOREIGN: u32 = 9;
export const V_MALFORMED: u32 = 10;

// Counters: i64 slots. Global block: verdicts by code (16). Per instance (INST_CTR slots):
export const CTR_VERDICTS: usize = 0; // 16 slots
export const CTR_PEAK: usize = 16;
export const CTR_ALIVE: usize = 17;
export const CTR_EXCEEDED: usize = 18;
export const CTR_LINKLOCAL: usize = 19;
export const CTR_ALLOWANCE: usize = 20; // -1 = unlimited
export const INST_CTR: usize = 24;
