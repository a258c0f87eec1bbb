/**
 * Seeded random configs and traces for differential tests: both engines must
 * give the same outcome byte for every packet and the same counters. The
 * generator aims at the corners: small allowances that bind, short timeouts
 * hit at exact integer boundaries, events (including revokes of rules that
 * exist at that time), IPv4 and IPv6, link-local bursts over 1024 packets/s,
 * fragments with and without their first fragment, ICMP errors quoting live
 * flows, reordered and unreadable timestamps, instance-to-instance traffic.
 */
import { parseAddr } from '../../src/model/addr.js';
import { TCP } from '../../src/model/protocol.js';
import type { Packet } from '../../src/trace/packet.js';

/** A small fast PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

type Json = Record<string, unknown>;

const REMOTE4 = [
  '198.51.100.1',
  '198.51.100.2',
  '198.51.100.77',
  '203.0.113.5',
  '203.0.113.200',
  '192.0.2.9',
  '192.0.2.10',
];
const REMOTE6 = ['2001:db8:ffff::1', '2001:db8:ffff::2', '2001:db8:aaaa::9', '2001:db8:bbbb::1'];
const LINKLOCAL4 = ['169.254.169.254', '169.254.169.123', '169.254.169.253'];
const LINKLOCAL6 = ['fd00:ec2::254', 'fd00:ec2::123', 'fd00:ec2::253'];
const PORTS = [22, 53, 80, 443, 3389, 8080, 9000, 40000, 50000, 61000];
const CIDR4 = [
  '0.0.0.0/0',
  '0.0.0.0/0',
  '0.0.0.0/0',
  '198.51.100.0/24',
  '203.0.113.0/25',
  '192.0.2.0/28',
  '10.0.0.0/8',
  '10.0.1.0/24',
];
const CIDR6 = ['::/0', '::/0', '2001:db8:ffff::/48', '2001:db8::/32', '2001:db8:1::/64'];

function ipPerm(rng: Rng, groups: string[]): Json {
  const proto = rng.pick(['-1', 'tcp', 'tcp', 'udp', 'udp', 'icmp', 'icmpv6', '47', '6', '17']);
  const p: Json = { IpProtocol: proto };
  if (proto === 'tcp' || proto === 'udp' || proto === '6' || proto === '17') {
    if (rng.chance(0.25)) {
      p['FromPort'] = 0;
      p['ToPort'] = 65535;
    } else {
      const a = rng.pick(PORTS);
      const b = rng.chance(0.6) ? a : Math.max(a, rng.pick(PORTS));
      p['FromPort'] = a;
      p['ToPort'] = b;
    }
  } else if (proto === 'icmp' || proto === 'icmpv6') {
    if (rng.chance(0.5)) {
      p['FromPort'] = -1;
      p['ToPort'] = -1;
    } else {
      p['FromPort'] = rng.pick([0, 3, 8, 11, 13, 14, 128, 129, 1, 2]);
      p['ToPort'] = rng.chance(0.6) ? -1 : rng.pick([0, 1, 4]);
    }
  }
  const kind = rng.int(10);
  if (kind < 5) p['IpRanges'] = [{ CidrIp: rng.pick(CIDR4) }];
  else if (kind < 8) p['Ipv6Ranges'] = [{ CidrIpv6: rng.pick(CIDR6) }];
  else if (kind < 9) p['PrefixListIds'] = [{ PrefixListId: rng.pick(['pl-a', 'pl-b']) }];
  else p['UserIdGroupPairs'] = [{ GroupId: rng.pick([...groups, 'sg-ext']) }];
  if (rng.chance(0.2)) p['IpRanges'] = [...((p['IpRanges'] as Json[]) ?? []), { CidrIp: rng.pick(CIDR4) }];
  return p;
}

const PROTO_NUM: Record<string, string> = { tcp: '6', udp: '17', icmp: '1', icmpv6: '58' };

/** The single rules of a permission, as the AWS API compares them (protocol number, ports, one peer each). */
function ruleKeys(p: Json): string[] {
  const proto = PROTO_NUM[p['IpProtocol'] as string] ?? (p['IpProtocol'] as string);
  const ported = proto === '6' || proto === '17' || proto === '1' || proto === '58';
  const ports = ported ? `${p['FromPort'] ?? -1}-${p['ToPort'] ?? -1}` : '*';
  const peers = [
    ...((p['IpRanges'] as Json[]) ?? []).map((r) => r['CidrIp']),
    ...((p['Ipv6Ranges'] as Json[]) ?? []).map((r) => r['CidrIpv6']),
    ...((p['PrefixListIds'] as Json[]) ?? []).map((r) => r['PrefixListId']),
    ...((p['UserIdGroupPairs'] as Json[]) ?? []).map((r) => r['GroupId']),
  ];
  return peers.map((peer) => `${proto}|${ports}|${peer}`);
}

/** A generated case: config object and packets. */
export interface DiffCase {
  readonly config: Json;
  readonly packets: Packet[];
}

/** Generates one case of about `n` packets. */
export function generateCase(seed: number, n: number): DiffCase {
  const rng = new Rng(seed);
  const groupIds = ['sg-a', 'sg-b', 'sg-c'].slice(0, rng.range(1, 3));
  const groups: Array<{ id: string; ingress: Json[]; egress: Json[] }> = groupIds.map((id) => ({
    id,
    ingress: [],
    egress: [],
  }));
  for (const g of groups) {
    for (const dir of ['ingress', 'egress'] as const) {
      const count = rng.range(0, 4);
      for (let i = 0; i < count; i++) g[dir].push(ipPerm(rng, groupIds));
      if (rng.chance(0.3))
        g[dir].push({
          IpProtocol: rng.pick(['tcp', 'udp']),
          FromPort: 0,
          ToPort: 65535,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
        });
      if (dir === 'egress' && rng.chance(0.6))
        g.egress.push({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] });
    }
  }

  // Instances: addresses 10.0.<i>.<j> and 2001:db8:<i>::<j>.
  const nInst = rng.range(1, 3);
  const instances: Json[] = [];
  const locals4: string[] = [];
  const locals6: string[] = [];
  const instIds: string[] = [];
  const ifaceIdsByInst: string[][] = [];
  for (let i = 0; i < nInst; i++) {
    const id = `i${i}`;
    instIds.push(id);
    const nIf = rng.chance(0.3) ? 2 : 1;
    const ifaces: Json[] = [];
    const ids: string[] = [];
    for (let k = 0; k < nIf; k++) {
      const a4 = `10.0.${i + 1}.${k + 10}`;
      const a6 = `2001:db8:${i + 1}::${k + 10}`;
      locals4.push(a4);
      locals6.push(a6);
      const ifc: Json = { id: `${id}-e${k}`, addresses: [a4, a6], securityGroups: [rng.pick(groupIds)] };
      if (rng.chance(0.3)) (ifc['securityGroups'] as string[]).push(rng.pick(groupIds));
      ifc['securityGroups'] = [...new Set(ifc['securityGroups'] as string[])];
      if (rng.chance(0.2)) ifc['conntrack'] = { udpTimeout: rng.range(30, 60) };
      ifaces.push(ifc);
      ids.push(`${id}-e${k}`);
    }
    ifaceIdsByInst.push(ids);
    const inst: Json = { id, interfaces: ifaces };
    const a = rng.int(10);
    if (a < 4) inst['allowance'] = rng.range(0, 4);
    else if (a < 6) inst['allowance'] = rng.range(5, 40);
    if (rng.chance(0.15)) inst['autoTracked'] = rng.pick([true, 'nlb']);
    if (rng.chance(0.2)) inst['nitro'] = 6;
    if (rng.chance(0.5)) inst['vpcCidr'] = '10.0.0.0/16';
    const ct: Json = {};
    if (rng.chance(0.7)) ct['tcpEstablishedTimeout'] = rng.range(60, 200);
    if (rng.chance(0.5)) ct['udpStreamTimeout'] = rng.range(60, 180);
    for (const k of [
      'tcpSynSentTimeout',
      'tcpSynRecvTimeout',
      'tcpFinWaitTimeout',
      'tcpTimeWaitTimeout',
      'tcpClosedTimeout',
      'icmpTimeout',
      'otherTimeout',
      'fragmentTimeout',
    ]) {
      if (rng.chance(0.6)) ct[k] = rng.range(1, 25);
    }
    inst['conntrack'] = ct;
    instances.push(inst);
  }

  // Events, replaying group contents so revokes name rules that exist at that time.
  const events: Json[] = [];
  const live = new Map(
    groups.map((g) => [
      g.id,
      { ingress: new Set(g.ingress.flatMap(ruleKeys)), egress: new Set(g.egress.flatMap(ruleKeys)) },
    ]),
  );
  const perms = new Map(groups.map((g) => [g.id, { ingress: [...g.ingress], egress: [...g.egress] }]));
  let at = 0;
  const nEv = rng.range(0, 5);
  for (let e = 0; e < nEv; e++) {
    at += rng.range(0, 40);
    const kind = rng.int(5);
    const g = rng.pick(groupIds);
    const dir = rng.chance(0.5) ? 'ingress' : 'egress';
    const rules = live.get(g)![dir];
    const list = perms
      .get(g)!
      [dir].filter((p) => ruleKeys(p).every((k) => rules.has(k)) && new Set(ruleKeys(p)).size === ruleKeys(p).length);
    const Dir = dir === 'ingress' ? 'Ingress' : 'Egress';
    if (kind === 0 && list.length > 0) {
      const p = rng.pick(list);
      events.push({ at, action: `revoke${Dir}`, groupId: g, permissions: [p] });
      for (const k of ruleKeys(p)) rules.delete(k);
    } else if (kind <= 1) {
      const p = ipPerm(rng, groupIds);
      const keys = ruleKeys(p);
      if (keys.every((k) => !rules.has(k)) && new Set(keys).size === keys.length) {
        events.push({ at, action: `authorize${Dir}`, groupId: g, permissions: [p] });
        for (const k of keys) rules.add(k);
        perms.get(g)![dir].push(p);
      }
    } else if (kind === 2) {
      const inst = rng.int(nInst);
      events.push({
        at,
        action: 'setSecurityGroups',
        instanceId: instIds[inst],
        interfaceId: rng.pick(ifaceIdsByInst[inst]!),
        securityGroups: [rng.pick(groupIds)],
      });
    } else {
      const ct: Json = {};
      ct[
        rng.pick([
          'udpTimeout',
          'icmpTimeout',
          'tcpClosedTimeout',
          'tcpEstablishedTimeout',
          'otherTimeout',
          'fragmentTimeout',
        ])
      ] = 0;
      const key = Object.keys(ct)[0]!;
      ct[key] =
        key === 'udpTimeout'
          ? rng.range(30, 60)
          : key === 'tcpEstablishedTimeout'
            ? rng.range(60, 120)
            : rng.range(1, 30);
      events.push({ at, action: 'modifyConnectionTracking', instanceId: rng.pick(instIds), conntrack: ct });
    }
  }

  const config: Json = {
    securityGroups: groups.map((g) => ({ GroupId: g.id, IpPermissions: g.ingress, IpPermissionsEgress: g.egress })),
    prefixLists: { 'pl-a': ['198.51.100.0/25', '2001:db8:ffff::/64'], 'pl-b': ['0.0.0.0/0', '203.0.113.0/24'] },
    groupMembers: { 'sg-ext': ['192.0.2.9', '2001:db8:aaaa::9'] },
    instances,
    events,
  };

  // Flows: (local, remote, proto, ports) so that packets repeat and entries live, expire and come back.
  const addr = (s: string) => parseAddr(s)!;
  interface Flow {
    a: string;
    b: string;
    proto: number;
    pa: number;
    pb: number;
    id: number;
  }
  const flows: Flow[] = [];
  // Most cases have few flows (entries meet again and again); some have thousands (tables grow, deletions shift entries).
  const many = rng.chance(0.2);
  const nFlows = many ? rng.range(2000, 8000) : rng.range(8, 120);
  for (let f = 0; f < nFlows; f++) {
    const v6 = rng.chance(0.3);
    const local = rng.pick(v6 ? locals6 : locals4);
    const r = rng.int(12);
    let remote: string;
    if (r < 6) remote = rng.pick(v6 ? REMOTE6 : REMOTE4);
    else if (r < 8) remote = rng.pick(v6 ? LINKLOCAL6 : LINKLOCAL4);
    else if (r < 10) remote = v6 ? rng.pick(locals6) : rng.pick([...locals4, '10.0.0.2']);
    else remote = v6 ? rng.pick(REMOTE6) : rng.pick(['10.0.0.2', '10.9.9.9']);
    const proto = rng.pick([6, 6, 6, 17, 17, v6 ? 58 : 1, v6 ? 58 : 1, 47, 50]);
    const pa = many ? 1024 + rng.int(60000) : rng.pick([...PORTS, 33000 + rng.int(100)]);
    flows.push({ a: local, b: remote, proto, pa, pb: rng.pick(PORTS), id: many ? rng.int(65536) : rng.int(4) });
  }

  const packets: Packet[] = [];
  const base = rng.chance(0.15) ? 1_700_000_000_000_000_000n : 0n;
  let tNs = 0n;
  const fragIds: Array<{ f: Flow; id: number; fwd: boolean }> = [];
  const flagPatterns = [
    TCP.SYN,
    TCP.SYN | TCP.ACK,
    TCP.ACK,
    TCP.ACK | TCP.PSH,
    TCP.FIN | TCP.ACK,
    TCP.FIN,
    TCP.RST,
    TCP.RST | TCP.ACK,
    TCP.SYN | TCP.FIN,
    0,
    TCP.URG,
  ];
  while (packets.length < n) {
    // Time: mostly small steps, often whole seconds (exact timeout boundaries), sometimes long gaps.
    const step = rng.int(20);
    if (step < 8) tNs += BigInt(rng.int(3_000_000));
    else if (step < 15) tNs += BigInt(rng.range(0, 3)) * 1_000_000_000n;
    else if (step < 18) tNs = (tNs / 1_000_000_000n + 1n) * 1_000_000_000n;
    else if (step < 19 || rng.chance(0.9)) tNs += BigInt(rng.range(5, 70)) * 1_000_000_000n;
    else tNs += BigInt(rng.range(1000, 500000)) * 1_000_000_000n; // past a wheel revolution
    let ts = base + tNs;
    if (rng.chance(0.02)) ts -= BigInt(rng.int(5)) * 1_000_000_000n; // reordered
    if (ts < 0n) ts = 0n;
    const len = rng.range(40, 1500);

    const kind = rng.int(100);
    if (kind < 2) {
      packets.push({ kind: 'malformed', ts: rng.chance(0.8) ? ts : null, len, reason: 'generated' });
      continue;
    }
    if (kind < 4) {
      // Foreign.
      packets.push(ipPacket(ts, len, addr('192.0.2.200'), addr('192.0.2.201'), 17, 1, 2, 0));
      continue;
    }
    if (kind < 5 && rng.chance(0.3)) {
      // A burst to a link-local service (over 1024 packets in a second sometimes).
      const f = rng.pick(flows.filter((x) => LINKLOCAL4.includes(x.b) || LINKLOCAL6.includes(x.b)).concat(flows[0]!));
      const big = rng.chance(0.2);
      const burst = big ? rng.range(1000, 1200) : rng.range(1, 40);
      for (let k = 0; k < burst && packets.length < n; k++) {
        const stepNs = BigInt(rng.int(big ? 20_000 : 200_000));
        tNs += stepNs;
        packets.push(
          ipPacket(base + tNs, len, addr(f.a), addr(f.b), f.proto === 1 || f.proto === 58 ? 17 : f.proto, f.pa, 53, 0),
        );
      }
      continue;
    }
    const f = rng.pick(flows);
    const fwd = rng.chance(0.55);
    const src = addr(fwd ? f.a : f.b);
    const dst = addr(fwd ? f.b : f.a);
    const sport = fwd ? f.pa : f.pb;
    const dport = fwd ? f.pb : f.pa;
    if (f.proto === 1 || f.proto === 58) {
      const k = rng.int(10);
      const v6 = f.proto === 58;
      let type: number;
      let code = 0;
      let quote: Packet extends infer _ ? Record<string, unknown> | null : never = null;
      if (k < 5) type = v6 ? rng.pick([128, 129]) : rng.pick([8, 0, 13, 14]);
      else if (k < 8) {
        type = v6 ? rng.pick([1, 2, 3, 4]) : rng.pick([3, 4, 5, 11, 12]);
        code = rng.pick([0, 1, 4]);
        // Quote a flow of this family, in either orientation.
        const q = rng.pick(
          flows.filter((x) => (x.proto === 1 || x.proto === 58) === false && addr(x.a).v === src.v).concat([]),
        );
        if (q !== undefined && rng.chance(0.9)) {
          const qf = rng.chance(0.5);
          quote = {
            src: addr(qf ? q.a : q.b),
            dst: addr(qf ? q.b : q.a),
            proto: q.proto,
            sport: qf ? q.pa : q.pb,
            dport: qf ? q.pb : q.pa,
            icmpType: 0,
            icmpCode: 0,
            icmpId: 0,
          };
          if (q.proto !== 6 && q.proto !== 17) {
            (quote as Record<string, unknown>)['sport'] = 0;
            (quote as Record<string, unknown>)['dport'] = 0;
          }
        } else if (rng.chance(0.5)) {
          quote = {
            src: dst,
            dst: src,
            proto: f.proto,
            sport: 0,
            dport: 0,
            icmpType: v6 ? 128 : 8,
            icmpCode: 0,
            icmpId: f.id,
          };
        }
      } else type = v6 ? rng.pick([133, 134, 135]) : rng.pick([9, 10, 17, 18]);
      let icmpFrag: { id: number; offset: number; more: boolean } | null = null;
      if (rng.chance(0.1)) {
        const id = rng.int(65536);
        fragIds.push({ f, id, fwd });
        icmpFrag = { id, offset: 0, more: true };
      }
      packets.push({
        kind: 'ip',
        ts,
        len,
        src,
        dst,
        proto: f.proto,
        sport: 0,
        dport: 0,
        flags: 0,
        icmpType: type,
        icmpCode: code,
        icmpId: f.id,
        quote: quote as never,
        frag: icmpFrag,
      });
      continue;
    }
    const flags = f.proto === 6 ? rng.pick(flagPatterns) : 0;
    const ports = f.proto === 6 || f.proto === 17;
    let frag: Packet extends infer _ ? { id: number; offset: number; more: boolean } | null : never = null;
    const fk = rng.int(20);
    if (fk === 0) {
      const id = rng.int(65536);
      fragIds.push({ f, id, fwd });
      frag = { id, offset: 0, more: true };
    } else if (fk === 1 && fragIds.length > 0) {
      const r = rng.pick(fragIds);
      const rs = addr(r.fwd ? r.f.a : r.f.b);
      const rd = addr(r.fwd ? r.f.b : r.f.a);
      packets.push({
        kind: 'ip',
        ts,
        len,
        src: rs,
        dst: rd,
        proto: r.f.proto,
        sport: 0,
        dport: 0,
        flags: 0,
        icmpType: 0,
        icmpCode: 0,
        icmpId: 0,
        quote: null,
        frag: { id: r.id, offset: 185, more: rng.chance(0.5) },
      });
      continue;
    } else if (fk === 2) {
      frag = { id: rng.int(65536), offset: 370, more: false };
    }
    packets.push({
      kind: 'ip',
      ts,
      len,
      src,
      dst,
      proto: f.proto,
      sport: ports && !(frag && frag.offset > 0) ? sport : 0,
      dport: ports && !(frag && frag.offset > 0) ? dport : 0,
      flags: frag && frag.offset > 0 ? 0 : flags,
      icmpType: 0,
      icmpCode: 0,
      icmpId: 0,
      quote: null,
      frag,
    });
  }
  // Capacity scaling (Packet.copy): in some cases every IP packet is followed by its copies 1…k−1, which
  // are distinct flows that the rules see as the original; in others a few packets get a random copy.
  const mode = rng.int(3);
  if (mode === 1) {
    const k = rng.range(2, 3);
    const scaled: Packet[] = [];
    for (const p of packets) {
      scaled.push(p);
      if (p.kind === 'ip') for (let j = 1; j < k; j++) scaled.push({ ...p, copy: j });
    }
    return { config, packets: scaled.slice(0, n) };
  }
  if (mode === 2) {
    return {
      config,
      packets: packets
        .slice(0, n)
        .map((p) => (p.kind === 'ip' && rng.chance(0.2) ? { ...p, copy: rng.range(1, 255) } : p)),
    };
  }
  return { config, packets: packets.slice(0, n) };
}

function ipPacket(
  ts: bigint,
  len: number,
  src: ReturnType<typeof parseAddr> & object,
  dst: ReturnType<typeof parseAddr> & object,
  proto: number,
  sport: number,
  dport: number,
  flags: number,
): Packet {
  return {
    kind: 'ip',
    ts,
    len,
    src,
    dst,
    proto,
    sport,
    dport,
    flags,
    icmpType: 0,
    icmpCode: 0,
    icmpId: 0,
    quote: null,
    frag: null,
  };
}
