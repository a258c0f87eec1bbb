/**
 * Synthetic engine workloads: N concurrent IPv4 TCP flows to one front end
 * (10.0.0.10:443 from 10.128.0.0/9, a restricted rule, so every flow is
 * tracked), traffic drawn uniformly or skewed (log-uniform, Zipf-like) over
 * the flows, in both directions. Packets are precomputed as columns and
 * copied into the engine's batch with TypedArray.set, so the measurement is
 * the engine, not the generator.
 */
import { resolveConfigField } from '../src/config/load.js';
import { Field } from '../src/config/reader.js';
import type { ResolvedConfig } from '../src/config/types.js';
import { KIND, type PacketBatch } from '../src/trace/batch.js';

const LOCAL = 0x0a00000a; // 10.0.0.10
const REMOTE_BASE = 0x0a800000; // 10.128.0.0
const ACK = 0x10;

/** Remote address and port of flow i. */
function remoteOf(i: number): [number, number] {
  return [REMOTE_BASE + Math.floor(i / 60000), 1024 + (i % 60000)];
}

/** The bench config: one instance, tracked flows, optional allowance. */
export function benchConfig(allowance: number | null): ResolvedConfig {
  const cfg = {
    securityGroups: [
      {
        GroupId: 'sg-bench',
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.128.0.0/9' }] }],
        IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      },
    ],
    instances: [
      {
        id: 'front-1',
        addresses: ['10.0.0.10'],
        securityGroups: ['sg-bench'],
        ...(allowance === null ? {} : { allowance }),
      },
    ],
  };
  return resolveConfigField(new Field('bench-config', '', cfg));
}

/** Precomputed packet columns. */
export interface Columns {
  readonly n: number;
  readonly ts: BigInt64Array;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  readonly proto: Uint8Array;
  readonly flags: Uint8Array;
  readonly kind: Uint8Array;
}

function alloc(n: number): Columns {
  return {
    n,
    ts: new BigInt64Array(n),
    src: new Uint32Array(4 * n),
    dst: new Uint32Array(4 * n),
    sport: new Uint16Array(n),
    dport: new Uint16Array(n),
    proto: new Uint8Array(n).fill(6),
    flags: new Uint8Array(n).fill(ACK),
    kind: new Uint8Array(n).fill(KIND.IPV4),
  };
}

/** Writes packet k of flow i in direction `inbound` at time t (ns). */
function put(c: Columns, k: number, i: number, inbound: boolean, t: bigint): void {
  const [ra, rp] = remoteOf(i);
  c.ts[k] = t;
  c.src[4 * k] = inbound ? ra : LOCAL;
  c.dst[4 * k] = inbound ? LOCAL : ra;
  c.sport[k] = inbound ? rp : 443;
  c.dport[k] = inbound ? 443 : rp;
}

/** One packet per flow, inbound ACKs (mid-stream: established entries), 1 ns apart from t = 1 s. */
export function prefillColumns(flows: number, from: number, count: number): Columns {
  const c = alloc(count);
  for (let k = 0; k < count; k++) put(c, k, from + k, true, 1_000_000_000n + BigInt(from + k));
  return c;
}

/** `n` packets over `flows` flows, uniform or skewed, random direction, 1 ns apart after the prefill. */
export function trafficColumns(flows: number, n: number, skewed: boolean, seed = 1): Columns {
  const c = alloc(n);
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const logN = Math.log(flows + 1);
  const t0 = 2_000_000_000n + BigInt(flows);
  for (let k = 0; k < n; k++) {
    const i = skewed ? Math.min(flows - 1, Math.floor(Math.exp(rnd() * logN)) - 1) : Math.floor(rnd() * flows);
    put(c, k, i, rnd() < 0.5, t0 + BigInt(k));
  }
  return c;
}

/** Copies packets [from, from + count) of the columns into rows [0, count) of the batch. */
export function fillBatch(b: PacketBatch, c: Columns, from: number, count: number): void {
  b.ts.set(c.ts.subarray(from, from + count));
  b.src.set(c.src.subarray(4 * from, 4 * (from + count)));
  b.dst.set(c.dst.subarray(4 * from, 4 * (from + count)));
  b.sport.set(c.sport.subarray(from, from + count));
  b.dport.set(c.dport.subarray(from, from + count));
  b.proto.set(c.proto.subarray(from, from + count));
  b.tcpFlags.set(c.flags.subarray(from, from + count));
  b.kind.set(c.kind.subarray(from, from + count));
}
