/**
 * Test helpers: build configs and packets tersely, run them through an
 * engine, and read back one verdict string per packet.
 */
import { expect } from 'vitest';
import { Field } from '../src/config/reader.js';
import { resolveConfig } from '../src/config/resolve.js';
import type { ResolvedConfig } from '../src/config/types.js';
import { Topology } from '../src/model/topology.js';
import { buildReport, type Report } from '../src/report/report.js';
import { PacketListReader } from '../src/trace/jsonl.js';
import { runTrace } from '../src/replay/run.js';
import { actualOf } from '../src/scenario/check.js';
import { decodeJsonPacket } from '../src/trace/json-packet.js';

/** A JSON object, as configs and packets are written. */
export type Json = Record<string, unknown>;

/** Resolves an inline config object (named "inline.json" in errors). */
export function resolve(obj: unknown): ResolvedConfig {
  return resolveConfig(new Field('inline.json', '', obj), () => {
    throw new Error('no includes in inline configs');
  });
}

/** An IpPermission: `perm('tcp', 22, 22, '0.0.0.0/0')`; peers may be CIDRs (v4 or v6), 'pl-…' or 'sg-…'. */
export function perm(
  proto: string | number,
  from: number | undefined,
  to: number | undefined,
  ...peers: string[]
): Json {
  const p: Json = { IpProtocol: String(proto), IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
  if (from !== undefined) p['FromPort'] = from;
  if (to !== undefined) p['ToPort'] = to;
  for (const peer of peers) {
    if (peer.startsWith('pl-')) (p['PrefixListIds'] as Json[]).push({ PrefixListId: peer });
    else if (peer.startsWith('sg-')) (p['UserIdGroupPairs'] as Json[]).push({ GroupId: peer });
    else if (peer.includes(':')) (p['Ipv6Ranges'] as Json[]).push({ CidrIpv6: peer });
    else (p['IpRanges'] as Json[]).push({ CidrIp: peer });
  }
  return p;
}

/** A security group in describe-security-groups shape. */
export function group(id: string, ingress: Json[], egress: Json[]): Json {
  return { GroupId: id, GroupName: id, Description: 'test', IpPermissions: ingress, IpPermissionsEgress: egress };
}

/** Egress open to everything (IPv4 and IPv6), the AWS default. */
export const EGRESS_ALL = [perm('-1', undefined, undefined, '0.0.0.0/0', '::/0')];

/** One instance with one interface. */
export function instance(id: string, addresses: string[], groups: string[], extra: Json = {}): Json {
  return { id, addresses, securityGroups: groups, ...extra };
}

function ep(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  const host = s.slice(0, i).replace(/^\[|\]$/g, '');
  return [host, Number(s.slice(i + 1))];
}

/** Packet builders; endpoints as "10.0.0.1:80" or "[2001:db8::1]:80". */
export const P = {
  tcp(t: number | string, from: string, to: string, flags: string, extra: Json = {}): Json {
    const [src, sport] = ep(from);
    const [dst, dport] = ep(to);
    return { t, src, dst, proto: 'tcp', sport, dport, flags, ...extra };
  },
  udp(t: number | string, from: string, to: string, extra: Json = {}): Json {
    const [src, sport] = ep(from);
    const [dst, dport] = ep(to);
    return { t, src, dst, proto: 'udp', sport, dport, ...extra };
  },
  icmp(t: number | string, src: string, dst: string, icmpType: number, icmpCode = 0, extra: Json = {}): Json {
    return { t, src, dst, proto: src.includes(':') ? 'icmpv6' : 'icmp', icmpType, icmpCode, ...extra };
  },
  other(t: number | string, src: string, dst: string, proto: number, extra: Json = {}): Json {
    return { t, src, dst, proto, ...extra };
  },
};

/** What a run gave: one verdict text per packet ("allow-new", or "a=allow-new b=deny" when seen twice) and the report. */
export interface Outcome {
  readonly v: string[];
  readonly report: Report;
  readonly cfg: ResolvedConfig;
}

/**
 * Runs packets through the reference engine, and through the WASM engine,
 * which must agree on every outcome byte and counter (the verdicts returned
 * are the reference engine's).
 */
export async function run(config: unknown, packets: Json[]): Promise<Outcome> {
  const cfg = resolve(config);
  const decoded = packets.map((p) => decodeJsonPacket(p));
  const r = await runTrace(cfg, new PacketListReader(decoded), { engine: 'reference', keepOutcomes: true });
  const w = await runTrace(cfg, new PacketListReader(decoded), { engine: 'wasm', keepOutcomes: true });
  expect([...w.outcomes!], 'WASM engine outcome bytes').toEqual([...r.outcomes!]);
  expect(w.counters, 'WASM engine counters').toEqual(r.counters);
  expect(w.trace, 'WASM engine trace totals').toEqual(r.trace);
  const topo = new Topology(cfg);
  const v = decoded.map((p, i) => {
    const a = actualOf(cfg, topo, p, r.outcomes![i]!);
    if (a.kind === 'packet') return a.verdict;
    if (a.list.length === 1) return a.list[0]!.verdict;
    return a.list.map((x) => `${x.instance}=${x.verdict}`).join(' ');
  });
  return { v, report: buildReport(cfg, r, { file: null, format: null }), cfg };
}

/** The report instance with that id. */
export function inst(o: Outcome, id: string) {
  const i = o.report.instances.find((x) => x.id === id);
  if (!i) throw new Error(`no instance ${id}`);
  return i;
}
