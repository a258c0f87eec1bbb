/**
 * Compiles the rule state of the moment into the config blob the WASM
 * engine reads: instances, interfaces (timeouts, link-local resolver, rule
 * lists, S9 facts), the address map, rules with prefix lists and group
 * references resolved to CIDRs, and port ranges. Recompiled after every
 * rule-change event (S12).
 *
 * The blob is an array of 32-bit words; i64 values are two words, low first,
 * at even word offsets. wasm/assembly/layout.ts mirrors these offsets.
 *
 *   header   HDR_*          10 words, padded to 16
 *   instance INST_WORDS     allowance i64 (-1 = unlimited)
 *   iface    IF_WORDS       IF_* fields below
 *   address  ADDR_WORDS     family, prefix length, interface, 0, a0..a3
 *   rule     RULE_WORDS     proto (-1 all), from, to, family | prefixLen << 8, a0..a3
 *   range    2 words        from, to (inclusive)
 */
import type { ResolvedConfig, Rule, Timeouts } from '../config/types.js';
import type { Cidr } from '../model/addr.js';
import { PROTO } from '../model/protocol.js';
import type { RuleState } from './state.js';

/** Blob format magic ("CTR1") and version. */
export const BLOB_MAGIC = 0x43545231;
export const BLOB_VERSION = 1;

export const HDR = {
  MAGIC: 0,
  VERSION: 1,
  INSTANCES: 2,
  IFACES: 3,
  INST_OFF: 4,
  IFACE_OFF: 5,
  ADDR_OFF: 6,
  ADDRS: 7,
  WORDS: 8,
} as const;
export const HDR_WORDS = 16;
export const INST_WORDS = 2;
export const IF_WORDS = 64;
/** Field offsets in an interface record. */
export const IF = {
  INSTANCE: 0,
  AUTO_TRACKED: 1,
  HAS_RESOLVER: 2,
  RESOLVER: 3,
  /** 11 i64 timeouts in TIMEOUT_ORDER. */
  TIMEOUTS: 4,
  IN_RULES: 26,
  IN_RULE_COUNT: 27,
  OUT_RULES: 28,
  OUT_RULE_COUNT: 29,
  /** S9 facts: 4 groups (IPv4 tcp, IPv4 udp, IPv6 tcp, IPv6 udp) of S9_WORDS. */
  S9: 30,
} as const;
export const S9_WORDS = 6;
/** Offsets in an S9 group. */
export const S9 = {
  INGRESS_OPEN_ALL: 0,
  EGRESS_OPEN_ALL: 1,
  INGRESS_RANGES: 2,
  INGRESS_RANGE_COUNT: 3,
  EGRESS_RANGES: 4,
  EGRESS_RANGE_COUNT: 5,
} as const;
export const ADDR_WORDS = 8;
export const RULE_WORDS = 8;

/** Order of the timeouts in an interface record; the WASM engine's timeout index. */
export const TIMEOUT_ORDER: ReadonlyArray<keyof Timeouts> = [
  'tcpEstablished',
  'tcpSynSent',
  'tcpSynRecv',
  'tcpFinWait',
  'tcpTimeWait',
  'tcpClosed',
  'udp',
  'udpStream',
  'icmp',
  'other',
  'fragment',
];

/** A growable word array. */
class Words {
  private a = new Int32Array(1024);
  length = 0;
  reserve(n: number): number {
    const at = this.length;
    while (this.length + n > this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.length += n;
    return at;
  }
  set(i: number, v: number): void {
    this.a[i] = v;
  }
  setI64(i: number, v: bigint): void {
    this.a[i] = Number(BigInt.asIntN(32, v));
    this.a[i + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }
  alignEven(): void {
    if (this.length % 2) this.reserve(1);
  }
  done(): Int32Array {
    return this.a.slice(0, this.length);
  }
}

function cidrWords(c: Cidr): [number, number, number, number] {
  if (c.v === 4) return [Number(c.n) | 0, 0, 0, 0];
  return [
    Number((c.n >> 96n) & 0xffffffffn) | 0,
    Number((c.n >> 64n) & 0xffffffffn) | 0,
    Number((c.n >> 32n) & 0xffffffffn) | 0,
    Number(c.n & 0xffffffffn) | 0,
  ];
}

/** The CIDRs a rule's peer stands for now: its CIDR, its prefix list, or the current members of its group (S8). */
function peerCidrs(cfg: ResolvedConfig, state: RuleState, r: Rule): Cidr[] {
  const peer = r.peer;
  if (peer.kind === 'cidr') return [peer.cidr];
  if (peer.kind === 'prefixList') return [...cfg.prefixLists.get(peer.id)!];
  const out: Cidr[] = [];
  cfg.interfaces.forEach((iface, i) => {
    if (state.ifaceGroups[i]!.includes(peer.id)) out.push(...iface.addresses);
  });
  out.push(...(cfg.groupMembers.get(peer.id) ?? []));
  return out;
}

/** Compiles the current state into a blob. */
export function compileBlob(
  cfg: ResolvedConfig,
  state: RuleState,
  allowances: ReadonlyArray<number | null>,
): Int32Array {
  const w = new Words();
  w.reserve(HDR_WORDS);
  w.set(HDR.MAGIC, BLOB_MAGIC);
  w.set(HDR.VERSION, BLOB_VERSION);
  w.set(HDR.INSTANCES, cfg.instances.length);
  w.set(HDR.IFACES, cfg.interfaces.length);

  const instOff = w.reserve(INST_WORDS * cfg.instances.length);
  w.set(HDR.INST_OFF, instOff);
  allowances.forEach((a, i) => w.setI64(instOff + INST_WORDS * i, a === null ? -1n : BigInt(a)));

  w.alignEven();
  const ifOff = w.reserve(IF_WORDS * cfg.interfaces.length);
  w.set(HDR.IFACE_OFF, ifOff);

  const addrs: Array<[Cidr, number]> = [];
  cfg.interfaces.forEach((iface, i) => iface.addresses.forEach((c) => addrs.push([c, i])));
  const addrOff = w.reserve(ADDR_WORDS * addrs.length);
  w.set(HDR.ADDR_OFF, addrOff);
  w.set(HDR.ADDRS, addrs.length);
  addrs.forEach(([c, i], k) => {
    const b = addrOff + ADDR_WORDS * k;
    w.set(b, c.v);
    w.set(b + 1, c.len);
    w.set(b + 2, i);
    cidrWords(c).forEach((x, j) => w.set(b + 4 + j, x));
  });

  cfg.interfaces.forEach((iface, i) => {
    const b = ifOff + IF_WORDS * i;
    w.set(b + IF.INSTANCE, iface.instance);
    w.set(b + IF.AUTO_TRACKED, iface.autoTracked === false ? 0 : 1);
    w.set(b + IF.HAS_RESOLVER, iface.vpcResolver === null ? 0 : 1);
    w.set(b + IF.RESOLVER, iface.vpcResolver === null ? 0 : Number(iface.vpcResolver.n) | 0);
    const t = state.ifaceTimeouts[i]!;
    TIMEOUT_ORDER.forEach((k, j) => w.setI64(b + IF.TIMEOUTS + 2 * j, t[k]));

    for (const [dir, offField, countField] of [
      ['in', IF.IN_RULES, IF.IN_RULE_COUNT],
      ['out', IF.OUT_RULES, IF.OUT_RULE_COUNT],
    ] as const) {
      const compiled: Array<[Rule, Cidr]> = [];
      for (const r of state.rulesOf(i, dir)) for (const c of peerCidrs(cfg, state, r)) compiled.push([r, c]);
      // Open (/0) peers first: they match every address of their family, so typical packets stop early.
      compiled.sort((x, y) => x[1].len - y[1].len);
      const off = w.reserve(RULE_WORDS * compiled.length);
      w.set(b + offField, off);
      w.set(b + countField, compiled.length);
      compiled.forEach(([r, c], k) => {
        const rb = off + RULE_WORDS * k;
        w.set(rb, r.proto);
        w.set(rb + 1, r.from);
        w.set(rb + 2, r.to);
        w.set(rb + 3, c.v | (c.len << 8));
        cidrWords(c).forEach((x, j) => w.set(rb + 4 + j, x));
      });
    }

    // S9 facts per family and protocol: open rules (0.0.0.0/0, ::/0 written as a CIDR) and their port ranges.
    const groups: Array<[4 | 6, number]> = [
      [4, PROTO.TCP],
      [4, PROTO.UDP],
      [6, PROTO.TCP],
      [6, PROTO.UDP],
    ];
    groups.forEach(([fam, proto], g) => {
      const gb = b + IF.S9 + S9_WORDS * g;
      const open = (dir: 'in' | 'out') =>
        state
          .rulesOf(i, dir)
          .filter((r) => r.peer.kind === 'cidr' && r.peer.cidr.len === 0 && r.peer.cidr.v === fam)
          .filter((r) => r.proto === -1 || r.proto === proto);
      const coversAll = (r: Rule) => r.proto === -1 || (r.from === 0 && r.to === 65535);
      const ranges = (rules: Rule[]): Array<[number, number]> =>
        rules.map((r) => (r.proto === -1 ? [0, 65535] : [r.from, r.to]));
      const inOpen = open('in');
      const outOpen = open('out');
      w.set(gb + S9.INGRESS_OPEN_ALL, inOpen.some(coversAll) ? 1 : 0);
      w.set(gb + S9.EGRESS_OPEN_ALL, outOpen.some(coversAll) ? 1 : 0);
      for (const [rules, offField, countField] of [
        [inOpen, S9.INGRESS_RANGES, S9.INGRESS_RANGE_COUNT],
        [outOpen, S9.EGRESS_RANGES, S9.EGRESS_RANGE_COUNT],
      ] as const) {
        const rs = ranges(rules);
        const off = w.reserve(2 * rs.length);
        w.set(gb + offField, off);
        w.set(gb + countField, rs.length);
        rs.forEach(([f, t], k) => {
          w.set(off + 2 * k, f);
          w.set(off + 2 * k + 1, t);
        });
      }
    });
  });
  w.set(HDR.WORDS, w.length);
  return w.done();
}
