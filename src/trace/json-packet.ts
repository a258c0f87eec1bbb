/**
 * Decodes one packet written as JSON (a scenario packet or a line of a .jsonl
 * trace; DESIGN.md "Scenario"). Never throws: a packet that cannot be decoded
 * is a MalformedPacket with the reason (S22), and keeps its timestamp when
 * that much is readable (S21).
 */
import { parseAddr, type Addr } from '../model/addr.js';
import { PROTO, readProtocol, readTcpFlags, hasPorts, isIcmp } from '../model/protocol.js';
import { readTime } from '../model/time.js';
import { isPlainObject } from '../config/reader.js';
import type { Fragment, Packet, Quote } from './packet.js';

/** Keys a JSON packet may carry. `expect` is read by `check` and ignored here; note/comment/description are free text. */
export const PACKET_KEYS = [
  't',
  'src',
  'dst',
  'proto',
  'sport',
  'dport',
  'flags',
  'icmpType',
  'icmpCode',
  'icmpId',
  'icmpSeq',
  'len',
  'quote',
  'fragment',
  'expect',
  'note',
  'comment',
  'description',
] as const;

const QUOTE_KEYS = ['src', 'dst', 'proto', 'sport', 'dport', 'flags', 'icmpType', 'icmpCode', 'icmpId', 'icmpSeq'];
const FRAGMENT_KEYS = ['id', 'offset', 'more'];

class Bad extends Error {}

function bad(msg: string): never {
  throw new Bad(msg);
}

function int(o: Record<string, unknown>, k: string, min: number, max: number, dflt?: number): number {
  const v = o[k];
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    bad(`missing "${k}"`);
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    bad(`"${k}" must be an integer in ${min}…${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function addr(o: Record<string, unknown>, k: string): Addr {
  const v = o[k];
  if (v === undefined) bad(`missing "${k}"`);
  const a = typeof v === 'string' ? parseAddr(v) : null;
  return a ?? bad(`"${k}" is not an IP address: ${JSON.stringify(v)}`);
}

function proto(o: Record<string, unknown>): number {
  const v = o['proto'];
  if (v === undefined) bad('missing "proto"');
  return readProtocol(v) ?? bad(`unknown protocol ${JSON.stringify(v)}`);
}

function unknownKeys(o: Record<string, unknown>, known: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) bad(`unknown ${what}key "${k}"`);
}

function readQuote(v: unknown, family: 4 | 6): Quote {
  if (!isPlainObject(v)) bad('"quote" must be an object');
  unknownKeys(v, QUOTE_KEYS, 'quote ');
  const src = addr(v, 'src');
  const dst = addr(v, 'dst');
  if (src.v !== dst.v || src.v !== family) bad('"quote" addresses must be of the packet\'s address family');
  const p = proto(v);
  const ports = hasPorts(p);
  const icmp = isIcmp(p);
  return {
    src,
    dst,
    proto: p,
    sport: ports ? int(v, 'sport', 0, 65535) : 0,
    dport: ports ? int(v, 'dport', 0, 65535) : 0,
    icmpType: icmp ? int(v, 'icmpType', 0, 255) : 0,
    icmpCode: icmp ? int(v, 'icmpCode', 0, 255, 0) : 0,
    icmpId: icmp ? int(v, 'icmpId', 0, 65535, 0) : 0,
  };
}

function readFragment(v: unknown): Fragment | null {
  if (!isPlainObject(v)) bad('"fragment" must be an object {id, offset, more}');
  unknownKeys(v, FRAGMENT_KEYS, 'fragment ');
  const id = int(v, 'id', 0, 0xffffffff);
  const offset = int(v, 'offset', 0, 0xffffffff);
  const more = v['more'] ?? false;
  if (typeof more !== 'boolean') bad('"fragment.more" must be true or false');
  // Offset 0 without more-fragments is a whole packet.
  if (offset === 0 && !more) return null;
  return { id, offset, more };
}

/** Decodes a JSON packet object; never throws. */
export function decodeJsonPacket(raw: unknown): Packet {
  if (!isPlainObject(raw)) return { kind: 'malformed', ts: null, len: 0, reason: 'a packet must be a JSON object' };
  const ts = raw['t'] === undefined ? null : readTime(raw['t']);
  const lenRaw = raw['len'];
  const len = typeof lenRaw === 'number' && Number.isInteger(lenRaw) && lenRaw >= 0 ? lenRaw : 0;
  try {
    unknownKeys(raw, PACKET_KEYS, '');
    if (ts === null)
      bad(raw['t'] === undefined ? 'missing "t"' : `"t" is not a time in seconds: ${JSON.stringify(raw['t'])}`);
    if (lenRaw !== undefined) int(raw, 'len', 0, 0xffffffff);
    const src = addr(raw, 'src');
    const dst = addr(raw, 'dst');
    if (src.v !== dst.v) bad('"src" and "dst" are of different address families');
    const p = proto(raw);
    const frag = raw['fragment'] === undefined ? null : readFragment(raw['fragment']);
    // A non-first fragment carries no transport header: ports, flags and ICMP fields are not read.
    const header = frag === null || frag.offset === 0;
    const ports = header && hasPorts(p);
    const icmp = header && isIcmp(p);
    let flags = 0;
    if (header && p === PROTO.TCP && raw['flags'] !== undefined) {
      const f = raw['flags'];
      flags =
        (typeof f === 'string' ? readTcpFlags(f) : null) ??
        bad(`"flags" must be TCP flag letters (S A F R P U), got ${JSON.stringify(f)}`);
    }
    const quote = icmp && raw['quote'] !== undefined ? readQuote(raw['quote'], src.v) : null;
    return {
      kind: 'ip',
      ts,
      len,
      src,
      dst,
      proto: p,
      sport: ports ? int(raw, 'sport', 0, 65535) : 0,
      dport: ports ? int(raw, 'dport', 0, 65535) : 0,
      flags,
      icmpType: icmp ? int(raw, 'icmpType', 0, 255) : 0,
      icmpCode: icmp ? int(raw, 'icmpCode', 0, 255, 0) : 0,
      icmpId: icmp ? int(raw, 'icmpId', 0, 65535, 0) : 0,
      quote,
      frag,
    };
  } catch (e) {
    if (e instanceof Bad) return { kind: 'malformed', ts, len, reason: e.message };
    throw e;
  }
}
