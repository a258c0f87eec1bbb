/**
 * A decoded packet as the reference engine reads it: plain fields, one object
 * per packet. (The fast path uses PacketBatch, struct-of-arrays; both carry
 * the same information.)
 */
import { formatAddr, type Addr } from '../model/addr.js';
import { hasPorts, isIcmp, protocolName, formatTcpFlags } from '../model/protocol.js';
import { formatNs } from '../model/time.js';

/** The header quoted inside an ICMP error (S6). */
export interface Quote {
  readonly src: Addr;
  readonly dst: Addr;
  readonly proto: number;
  /** TCP/UDP ports (0 otherwise). */
  readonly sport: number;
  readonly dport: number;
  /** For a quoted ICMP message (0 otherwise). */
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly icmpId: number;
}

/** IP fragment information (S7). `offset > 0` marks a non-first fragment. */
export interface Fragment {
  readonly id: number;
  readonly offset: number;
  readonly more: boolean;
}

/** A packet whose headers were read. */
export interface IpPacket {
  readonly kind: 'ip';
  /** Capture timestamp in ns (before S21 reordering is applied). */
  readonly ts: bigint;
  /** Length on the wire in bytes (0 when unknown). */
  readonly len: number;
  readonly src: Addr;
  readonly dst: Addr;
  readonly proto: number;
  /** TCP/UDP ports; 0 for other protocols and for non-first fragments. */
  readonly sport: number;
  readonly dport: number;
  /** TCP flag bits (model/protocol TCP). */
  readonly flags: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly icmpId: number;
  readonly quote: Quote | null;
  /** Set only for fragments (first or not); null for whole packets. */
  readonly frag: Fragment | null;
  /**
   * Capacity scaling: copy j of a flow is a distinct flow (keyed apart, S5) that rules see exactly as
   * the original — as if its remote host were another one matched by the same rules. 0 or absent in traces.
   */
  readonly copy?: number;
}

/** A packet that could not be decoded (S22). */
export interface MalformedPacket {
  readonly kind: 'malformed';
  /** Its timestamp, when that much could be read (it still advances virtual time, S21). */
  readonly ts: bigint | null;
  readonly len: number;
  /** Why it is malformed. */
  readonly reason: string;
}

/** A frame that is not IP (ARP, LLDP…): decodable, but no interface sees it (S4: foreign). */
export interface NonIpPacket {
  readonly kind: 'non-ip';
  readonly ts: bigint | null;
  readonly len: number;
}

/** Any packet of a trace. */
export type Packet = IpPacket | MalformedPacket | NonIpPacket;

/** True for a fragment that is not the first (S7). */
export function isNonFirstFragment(p: IpPacket): boolean {
  return p.frag !== null && p.frag.offset > 0;
}

/** One line describing a packet, for mismatch listings: `t=3 tcp 198.51.100.4:1000 > 10.0.0.10:443 [S]`. */
export function summarizePacket(p: Packet): string {
  if (p.kind === 'malformed') return `${p.ts === null ? 't=?' : `t=${formatNs(p.ts)}`} malformed (${p.reason})`;
  if (p.kind === 'non-ip') return `${p.ts === null ? 't=?' : `t=${formatNs(p.ts)}`} not IP`;
  const name = protocolName(p.proto);
  const ep = (a: Addr, port: number) => {
    const s = formatAddr(a);
    if (!hasPorts(p.proto) || isNonFirstFragment(p)) return s;
    return a.v === 6 ? `[${s}]:${port}` : `${s}:${port}`;
  };
  let s = `t=${formatNs(p.ts)} ${name} ${ep(p.src, p.sport)} > ${ep(p.dst, p.dport)}`;
  if (p.proto === 6 && !isNonFirstFragment(p)) s += ` [${formatTcpFlags(p.flags)}]`;
  if (isIcmp(p.proto) && !isNonFirstFragment(p)) s += ` type ${p.icmpType} code ${p.icmpCode} id ${p.icmpId}`;
  if (p.quote)
    s += ` quoting ${protocolName(p.quote.proto)} ${formatAddr(p.quote.src)}:${p.quote.sport} > ${formatAddr(p.quote.dst)}:${p.quote.dport}`;
  if (p.frag) s += ` frag id ${p.frag.id} offset ${p.frag.offset}${p.frag.more ? ' MF' : ''}`;
  return s;
}
