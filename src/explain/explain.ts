/**
 * `ctreplay explain`: which flows are tracked, and why (SPEC S9).
 *
 * Flows are grouped by (instance, direction, protocol, port): the direction
 * is where the flow's first packet goes (inbound: to the instance), the port
 * is that packet's destination port (the service: a local port inbound, a
 * remote port outbound) or its ICMP type. Each flow is classified once, by
 * its first packet at the interface and the rules of that moment (S12
 * events applied in time order): link-local (S20), denied (no rule, S10.4),
 * untracked (S9 reading A or B holds), or tracked — and then which part of
 * each reading failed. For a tracked group the smallest rule change that
 * would make it untracked is proposed, with what it opens.
 *
 * Memory: one key per flow seen (this walks the trace in JavaScript; it is
 * an analysis, not the fast path).
 */
import type { Interface, ResolvedConfig, Rule } from '../config/types.js';
import {
  coversAllPorts,
  flowKey,
  isLinkLocalService,
  isOpenPeer,
  matchesPort,
  protoPortsMatch,
} from '../engine/reference.js';
import { RuleState } from '../engine/state.js';
import { formatCidr } from '../model/addr.js';
import { hasPorts, isIcmp, protocolName } from '../model/protocol.js';
import { Topology } from '../model/topology.js';
import { PacketBatch, readPacket } from '../trace/batch.js';
import type { IpPacket } from '../trace/packet.js';
import type { TraceReader } from '../trace/reader.js';

type Dir = 'in' | 'out';

/** What happens to a flow. */
export type FlowClass = 'tracked' | 'untracked' | 'denied' | 'link-local';

/** One (instance, direction, protocol, port) group. */
export interface ExplainGroup {
  instance: string;
  /** "inbound": the first packet came to the instance; "outbound": it left it. */
  direction: 'inbound' | 'outbound';
  protocol: string;
  /** The first packet's destination port (TCP/UDP) or ICMP type; null for other protocols. */
  port: number | null;
  flows: number;
  packets: number;
  /** Flows by class. */
  classes: Record<FlowClass, number>;
  /** The class of most flows. */
  verdict: FlowClass;
  /** Why, per distinct reason, with its flow count (most first). */
  reasons: Array<{ text: string; flows: number }>;
  /** For tracked flows: the smallest rule change that would make them untracked, and what it costs. */
  change: { rules: string[]; tradeOff: string } | null;
}

/** explain@1. */
export interface ExplainReport {
  schema: 'ctreplay/explain@1';
  trace: { file: string | null; format: string | null; packets: number };
  groups: ExplainGroup[];
}

interface Classified {
  cls: FlowClass;
  reason: string;
  /** Tracked flows: what the cheaper reading lacks. */
  pieces: Piece[];
}

function peerText(r: Rule): string {
  switch (r.peer.kind) {
    case 'cidr':
      return formatCidr(r.peer.cidr);
    case 'prefixList':
      return `prefix list ${r.peer.id}`;
    case 'group':
      return `group ${r.peer.id}`;
  }
}

function portText(proto: number, port: number | null): string {
  const name = protocolName(proto);
  if (port === null) return name;
  return isIcmp(proto) ? `${name} type ${port}` : `${name}/${port}`;
}

/** A piece of an S9 reading that is missing: the rule that would add it. */
interface Piece {
  readonly dir: 'ingress' | 'egress';
  readonly proto: number;
  readonly from: number;
  readonly to: number;
  readonly open: string;
}

/** Classifies a flow by its first packet `p` at interface `iface`, direction `dir`, under the current rules. */
function classify(state: RuleState, iface: Interface, dir: Dir, p: IpPacket): Classified {
  if (isLinkLocalService(iface, dir, p)) {
    return {
      cls: 'link-local',
      reason:
        'link-local service (metadata, time sync or DNS resolver): not filtered, not tracked, 1024 packets/s (S20)',
      pieces: [],
    };
  }
  const peer = dir === 'in' ? p.src : p.dst;
  const rules = state.rulesOf(iface.index, dir);
  const side = dir === 'in' ? 'ingress' : 'egress';
  if (!rules.some((r) => protoPortsMatch(r, p) && state.peerMatches(r, peer))) {
    const sameService = rules.filter((r) => protoPortsMatch(r, p));
    const what = portText(p.proto, hasPorts(p.proto) ? p.dport : isIcmp(p.proto) ? p.icmpType : null);
    return {
      cls: 'denied',
      reason:
        sameService.length > 0
          ? `denied: ${side} ${what} is limited to ${[...new Set(sameService.map(peerText))].join(', ')} (S8)`
          : `denied: no ${side} rule allows ${what} (S10.4)`,
      pieces: [],
    };
  }
  if (!hasPorts(p.proto)) {
    return { cls: 'tracked', reason: `${protocolName(p.proto)} is always tracked (S9)`, pieces: [] };
  }
  if (iface.autoTracked !== false) {
    return {
      cls: 'tracked',
      reason: `the interface is autoTracked (traffic through a load balancer, NAT gateway or similar is always tracked, S9)`,
      pieces: [],
    };
  }
  const v = p.src.v;
  const open = v === 4 ? '0.0.0.0/0' : '::/0';
  const name = protocolName(p.proto);
  const localPort = dir === 'in' ? p.dport : p.sport;
  const remotePort = dir === 'in' ? p.sport : p.dport;
  const ingress = state.rulesOf(iface.index, 'in');
  const egress = state.rulesOf(iface.index, 'out');
  const openIn = ingress.filter((r) => isOpenPeer(r, v));
  const openOut = egress.filter((r) => isOpenPeer(r, v));
  // Reading A: an open ingress rule matches remote→local, and one open egress rule covers all ports.
  const aIn = openIn.some((r) => matchesPort(r, p.proto, localPort));
  const aOut = openOut.some((r) => coversAllPorts(r, p.proto));
  // Reading B: an open egress rule matches local→remote, and one open ingress rule covers all ports.
  const bOut = openOut.some((r) => matchesPort(r, p.proto, remotePort));
  const bIn = openIn.some((r) => coversAllPorts(r, p.proto));
  if (aIn && aOut) {
    return {
      cls: 'untracked',
      reason: `untracked: ingress ${name}/${localPort} is open to ${open} and egress to ${open} covers all ${name} ports (S9 reading A)`,
      pieces: [],
    };
  }
  if (bOut && bIn) {
    return {
      cls: 'untracked',
      reason: `untracked: egress ${name}/${remotePort} is open to ${open} and ingress from ${open} covers all ${name} ports (S9 reading B)`,
      pieces: [],
    };
  }
  // Tracked: say what each reading lacks.
  const limitedTo = (list: Rule[], port: number) => [
    ...new Set(list.filter((r) => matchesPort(r, p.proto, port)).map(peerText)),
  ];
  const aWhy: string[] = [];
  const bWhy: string[] = [];
  const aPieces: Piece[] = [];
  const bPieces: Piece[] = [];
  if (!aIn) {
    const peers = limitedTo(ingress, localPort);
    aWhy.push(
      peers.length > 0
        ? `ingress ${name}/${localPort} is limited to ${peers.join(', ')}`
        : `no ingress rule opens ${name}/${localPort} to ${open}`,
    );
    aPieces.push({ dir: 'ingress', proto: p.proto, from: localPort, to: localPort, open });
  }
  if (!aOut) {
    aWhy.push(`no egress rule to ${open} covers all ${name} ports`);
    aPieces.push({ dir: 'egress', proto: p.proto, from: 0, to: 65535, open });
  }
  if (!bOut) {
    const peers = limitedTo(egress, remotePort);
    bWhy.push(
      peers.length > 0
        ? `egress ${name}/${remotePort} is limited to ${peers.join(', ')}`
        : `no egress rule opens ${name}/${remotePort} to ${open}`,
    );
    bPieces.push({ dir: 'egress', proto: p.proto, from: remotePort, to: remotePort, open });
  }
  if (!bIn) {
    bWhy.push(`no ingress rule from ${open} covers all ${name} ports`);
    bPieces.push({ dir: 'ingress', proto: p.proto, from: 0, to: 65535, open });
  }
  const best = weight(aPieces) <= weight(bPieces) ? aPieces : bPieces;
  return {
    cls: 'tracked',
    reason: `tracked: reading A fails — ${aWhy.join(' and ')}; reading B fails — ${bWhy.join(' and ')} (S9)`,
    pieces: best,
  };
}

/** How much a set of missing pieces opens: fewer rules first, then the riskiest one. */
function weight(ps: readonly Piece[]): number {
  return ps.length * 10 + Math.max(0, ...ps.map(risk));
}

function risk(x: Piece): number {
  const all = x.from === 0 && x.to === 65535;
  if (x.dir === 'ingress') return all ? 3 : 2;
  return all ? 1 : 0;
}

function ports(x: Piece): string {
  return x.from === x.to ? `${x.from}` : `${x.from}-${x.to}`;
}

/** The change for a group: its flows' pieces, same-kind pieces merged into one port range. */
function changeOf(pieces: readonly Piece[]): { rules: string[]; tradeOff: string } | null {
  if (pieces.length === 0) return null;
  const merged = new Map<string, Piece>();
  for (const x of pieces) {
    const all = x.from === 0 && x.to === 65535;
    const k = `${x.dir}|${x.proto}|${x.open}|${all}`;
    const m = merged.get(k);
    merged.set(k, m ? { ...m, from: Math.min(m.from, x.from), to: Math.max(m.to, x.to) } : x);
  }
  const list = [...merged.values()];
  const rules = list.map(
    (x) => `authorize ${x.dir} ${protocolName(x.proto)} ${ports(x)} ${x.dir === 'ingress' ? 'from' : 'to'} ${x.open}`,
  );
  const costs = list.map((x) => {
    const name = protocolName(x.proto);
    const all = x.from === 0 && x.to === 65535;
    if (x.dir === 'ingress')
      return all
        ? `every ${name} port is reachable from the internet — rarely acceptable`
        : `anyone on the internet can reach ${name} ${ports(x)}`;
    return all
      ? `the instance can send ${name} to any address and port`
      : `the instance can send ${name} to port ${ports(x)} anywhere`;
  });
  return {
    rules,
    tradeOff: `${costs.join('; ')}. Untracked flows do not count against the allowance, but are judged by the rules of the moment: removing a rule stops them at once (S12).`,
  };
}

/** Walks the trace and explains its flows. */
export async function runExplain(cfg: ResolvedConfig, reader: TraceReader): Promise<ExplainReport> {
  const topo = new Topology(cfg);
  const state = new RuleState(cfg);
  const events = cfg.events;
  let nextEvent = 0;
  let now = -1n;
  const flows = new Map<string, ExplainGroup>();
  const groups = new Map<string, ExplainGroup & { reasonCounts: Map<string, number>; pieces: Piece[] }>();
  const batch = new PacketBatch(4096);
  let packets = 0;
  for (;;) {
    const n = await reader.next(batch);
    if (n === 0) break;
    for (let i = 0; i < n; i++) {
      packets++;
      const p = readPacket(batch, i);
      if (p.kind !== 'ip') continue;
      // S21 virtual time; S12 events apply before any packet of their time.
      if (p.ts > now) now = p.ts;
      while (nextEvent < events.length && events[nextEvent]!.at <= now) state.apply(events[nextEvent++]!);
      const route = topo.route(p.src, p.dst);
      if (route.foreign) continue;
      const seen: Array<[number, Dir]> = [];
      if (route.egress !== -1) seen.push([route.egress, 'out']);
      if (route.ingress !== -1) seen.push([route.ingress, 'in']);
      for (const [ifi, dir] of seen) {
        if (p.frag !== null && p.frag.offset > 0) continue;
        const key = flowKey(ifi, dir, p);
        let g = flows.get(key);
        if (g === undefined) {
          const iface = cfg.interfaces[ifi]!;
          const c = classify(state, iface, dir, p);
          const port = hasPorts(p.proto) ? p.dport : isIcmp(p.proto) ? p.icmpType : null;
          const instance = cfg.instances[iface.instance]!.id;
          const direction = dir === 'in' ? 'inbound' : 'outbound';
          const gk = `${instance}|${direction}|${p.proto}|${port}`;
          let grp = groups.get(gk);
          if (grp === undefined) {
            grp = {
              instance,
              direction,
              protocol: protocolName(p.proto),
              port,
              flows: 0,
              packets: 0,
              classes: { tracked: 0, untracked: 0, denied: 0, 'link-local': 0 },
              verdict: c.cls,
              reasons: [],
              change: null,
              reasonCounts: new Map(),
              pieces: [],
            };
            groups.set(gk, grp);
          }
          grp.flows++;
          grp.classes[c.cls]++;
          grp.reasonCounts.set(c.reason, (grp.reasonCounts.get(c.reason) ?? 0) + 1);
          grp.pieces.push(...c.pieces);
          g = grp;
          flows.set(key, g);
        }
        g.packets++;
      }
    }
  }
  const out: ExplainGroup[] = [];
  for (const g of groups.values()) {
    const classes = Object.entries(g.classes) as Array<[FlowClass, number]>;
    const verdict = classes.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    const reasons = [...g.reasonCounts.entries()].sort((a, b) => b[1] - a[1]).map(([text, flows]) => ({ text, flows }));
    out.push({
      instance: g.instance,
      direction: g.direction,
      protocol: g.protocol,
      port: g.port,
      flows: g.flows,
      packets: g.packets,
      classes: g.classes,
      verdict,
      reasons,
      change: verdict === 'tracked' ? changeOf(g.pieces) : null,
    });
  }
  out.sort((a, b) => a.instance.localeCompare(b.instance) || b.flows - a.flows || a.protocol.localeCompare(b.protocol));
  return { schema: 'ctreplay/explain@1', trace: { file: reader.file, format: reader.format, packets }, groups: out };
}
