/**
 * `ctreplay generate` workloads: the traffic that matters to connection
 * tracking, each with a config that makes `generate` + `replay` work out of
 * the box. Deterministic for a seed. Addresses: instances in 10.0.0.0/16,
 * clients and servers in 198.18.0.0/15 (benchmarking range), scan targets
 * in 11.0.0.0/8–60.0.0.0/8, IPv6 in 2001:db8::/32.
 */
import type { Rng } from './rng.js';
import { Emitter, ip4, ip4s, ip6, type A, type Flow } from './emit.js';

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const RST = 0x04;
const PSH = 0x08;
const S = 1e9;
const MS = 1e6;

/** Parameters of a run. */
export interface GenParams {
  readonly packets: number;
  /** Packets per second of trace time. */
  readonly rate: number;
  /** Seconds of trace time (packets / rate unless given). */
  readonly duration: number;
  /** Workload-specific number of flows (clients, targets, connections). */
  readonly flows: number;
  readonly rng: Rng;
}

/** A workload. */
export interface Workload {
  readonly name: string;
  readonly description: string;
  /** Default --flows for a given packet count. */
  defaultFlows(packets: number): number;
  /** Default seconds of trace time, when neither --duration nor --rate is given (else 300). */
  readonly defaultDuration?: number;
  /** The matching config (an object, written as YAML). */
  config(p: GenParams): Record<string, unknown>;
  /** Schedules the traffic on the emitter. */
  schedule(e: Emitter, p: GenParams): void;
}

// ------------------------------------------------------------------ helpers

const openEgress = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] };
const group = (id: string, description: string, ingress: unknown[], egress: unknown[]) => ({
  GroupId: id,
  GroupName: id,
  Description: description,
  IpPermissions: ingress,
  IpPermissionsEgress: egress,
});
const tcpFrom = (port: number, ...cidrs: string[]) => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: cidrs.filter((c) => !c.includes(':')).map((c) => ({ CidrIp: c })),
  Ipv6Ranges: cidrs.filter((c) => c.includes(':')).map((c) => ({ CidrIpv6: c })),
});

/** A scripted flow: a list of packets with the gap after each. */
class Script implements Flow {
  private i = 0;
  constructor(private readonly steps: Array<(e: Emitter, t: number) => number>) {}
  step(e: Emitter, t: number): number {
    const gap = this.steps[this.i++]!(e, t);
    return this.i < this.steps.length ? gap : -1;
  }
}

/** Starts flows with exponentially distributed gaps (mean `meanGap` ns) until `until` ns. */
class Arrivals implements Flow {
  constructor(
    private readonly rng: Rng,
    private readonly meanGap: number,
    private readonly until: number,
    private readonly make: (t: number) => Flow | null,
  ) {}
  step(e: Emitter, t: number): number {
    const f = this.make(t);
    if (f) e.add(f, t);
    const gap = this.rng.exp(this.meanGap);
    return t + gap <= this.until && !e.full ? gap : -1;
  }
}

function randomClient4(rng: Rng): number {
  return ip4(198, 18 + rng.int(2), rng.int(256), 1 + rng.int(254));
}

/** A client TCP session with keep-alive requests (HTTP/HTTPS). */
function webSession(rng: Rng, client: A, server: A, port: number): Script {
  const cport = 1024 + rng.int(64000);
  const rtt = (0.2 + rng.exp(10)) * MS;
  const c = (flags: number, len: number, gap: number) => (e: Emitter, t: number) => {
    e.tcp(t, client, server, cport, port, flags, len);
    return gap;
  };
  const s = (flags: number, len: number, gap: number) => (e: Emitter, t: number) => {
    e.tcp(t, server, client, port, cport, flags, len);
    return gap;
  };
  const steps = [c(SYN, 60, rtt), s(SYN | ACK, 60, rtt), c(ACK, 52, 0.1 * MS)];
  const requests = 1 + Math.floor(rng.exp(2));
  for (let k = 0; k < requests; k++) {
    steps.push(c(PSH | ACK, 300 + rng.int(500), rtt));
    const segments = 1 + rng.int(3);
    for (let j = 0; j < segments; j++) steps.push(s(PSH | ACK, 1000 + rng.int(460), 0.05 * MS));
    steps.push(c(ACK, 52, k + 1 < requests ? rng.exp(2) * S : 0.2 * MS));
  }
  const r = rng.next();
  if (r < 0.02) steps.push(c(RST | ACK, 40, 0));
  else if (r < 0.5) steps.push(c(FIN | ACK, 52, rtt), s(FIN | ACK, 52, rtt), c(ACK, 52, 0));
  else steps.push(s(FIN | ACK, 52, rtt), c(FIN | ACK, 52, rtt), s(ACK, 52, 0));
  return new Script(steps);
}

/**
 * Sessions are started as if each had 15 packets; they average about 16.2
 * (3 + 2.54 requests × 4 + 3), so the trace reaches --packets (the emitter
 * stops there) a little before --duration, whatever the seed.
 */
const PACKETS_PER_WEB_SESSION = 15;

// ------------------------------------------------------------------ workloads

const WEB4 = ip4(10, 0, 1, 10);
const WEB6 = ip6(1, 0x10);

const web: Workload = {
  name: 'web',
  description:
    'a front end: many short HTTP/HTTPS connections with handshakes, keep-alive requests and closes (IPv4 and IPv6); egress is restricted, so every connection is tracked',
  defaultFlows: (packets) => Math.max(1, Math.round(packets / PACKETS_PER_WEB_SESSION)),
  config: () => ({
    description:
      'ctreplay generate web: a front end. Egress is restricted to the VPC and HTTPS, so inbound connections are tracked (SPEC S9).',
    securityGroups: [
      group(
        'sg-web',
        'front end',
        [tcpFrom(443, '0.0.0.0/0', '::/0'), tcpFrom(80, '0.0.0.0/0', '::/0')],
        [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/16' }] }, tcpFrom(443, '0.0.0.0/0', '::/0')],
      ),
    ],
    instances: [
      {
        id: 'web-1',
        type: 'm7i-flex.large',
        addresses: [ip4s(WEB4), '2001:db8:1::10'],
        securityGroups: ['sg-web'],
        vpcCidr: '10.0.0.0/16',
      },
    ],
  }),
  schedule(e, p) {
    const until = p.duration * S;
    const mean = until / p.flows;
    e.add(
      new Arrivals(p.rng, mean, until, () => {
        const v6 = p.rng.chance(0.2);
        const client: A = v6 ? ip6(0xffff, 1 + p.rng.int(1 << 24)) : randomClient4(p.rng);
        return webSession(p.rng, client, v6 ? WEB6 : WEB4, p.rng.chance(0.8) ? 443 : 80);
      }),
      0,
    );
  },
};

const SCANNER = ip4(10, 0, 2, 20);

const scan: Workload = {
  name: 'scan',
  description:
    'a masscan-style outbound SYN sweep from one source port: each probe is a new tracked connection (syn-sent, 120 s); few targets answer',
  defaultFlows: (packets) => packets,
  defaultDuration: 200,
  config: () => ({
    description:
      'ctreplay generate scan: an outbound port scanner. Every probe creates a tracked entry; the m7i-flex.large allowance (catalog) is soon exhausted.',
    securityGroups: [group('sg-scanner', 'outbound only', [], [openEgress])],
    instances: [
      { id: 'scanner-1', type: 'm7i-flex.large', addresses: [ip4s(SCANNER)], securityGroups: ['sg-scanner'] },
    ],
  }),
  schedule(e, p) {
    const until = p.duration * S;
    const ports = [80, 443, 22, 8080, 3389, 8443];
    e.add(
      new Arrivals(p.rng, until / p.flows, until, () => {
        const target = ip4(11 + p.rng.int(50), p.rng.int(256), p.rng.int(256), 1 + p.rng.int(254));
        const port = p.rng.pick(ports);
        const rtt = (5 + p.rng.exp(40)) * MS;
        const r = p.rng.next();
        const probe = (ee: Emitter, t: number) => {
          ee.tcp(t, SCANNER, target, 61000, port, SYN, 40);
          return rtt;
        };
        if (r < 0.03) {
          // Open port: SYN+ACK, and the scanner resets.
          return new Script([
            probe,
            (ee, t) => (ee.tcp(t, target, SCANNER, port, 61000, SYN | ACK, 44), 0.1 * MS),
            (ee, t) => (ee.tcp(t, SCANNER, target, 61000, port, RST, 40), 0),
          ]);
        }
        if (r < 0.08)
          return new Script([probe, (ee, t) => (ee.tcp(t, target, SCANNER, port, 61000, RST | ACK, 40), 0)]);
        return new Script([probe]);
      }),
      0,
    );
  },
};

const NAT = ip4(10, 0, 0, 30);

const nat: Workload = {
  name: 'nat',
  description:
    "a NAT instance: many outbound TCP and UDP flows from many private sources (the clients' subnet is configured on the NAT's interface, since source/destination checking is off), each tracked",
  defaultFlows: (packets) => Math.max(1, Math.round(packets / 10)),
  config: () => ({
    description:
      'ctreplay generate nat: a NAT instance forwarding for 10.1.0.0/16. The clients subnet is listed on the NAT interface so that forwarded packets are evaluated there; ingress from the VPC only, so forwarded flows are tracked.',
    securityGroups: [
      group('sg-nat', 'NAT instance', [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }], [openEgress]),
    ],
    instances: [
      { id: 'nat-1', type: 'm7i-flex.large', addresses: [ip4s(NAT), '10.1.0.0/16'], securityGroups: ['sg-nat'] },
    ],
  }),
  schedule(e, p) {
    const until = p.duration * S;
    const clients = Math.max(1, Math.round(p.flows / 20));
    e.add(
      new Arrivals(p.rng, until / p.flows, until, () => {
        const c = p.rng.int(clients);
        const client = ip4(10, 1, (c >> 8) & 255, 1 + (c % 254));
        if (p.rng.chance(0.3)) {
          const port = 1024 + p.rng.int(64000);
          const dns = ip4(198, 18, 0, 53);
          return new Script([
            (ee, t) => (ee.udp(t, client, dns, port, 53, 60), (2 + p.rng.exp(20)) * MS),
            (ee, t) => (ee.udp(t, dns, client, 53, port, 120), 0),
          ]);
        }
        return webSession(p.rng, client, randomClient4(p.rng), p.rng.chance(0.9) ? 443 : 80);
      }),
      0,
    );
  },
};

const synflood: Workload = {
  name: 'synflood',
  description:
    'a SYN flood from spoofed sources against a front end whose connections are tracked, with some legitimate clients',
  defaultFlows: (packets) => packets,
  config: (p) => ({
    ...web.config(p),
    description:
      'ctreplay generate synflood: a SYN flood against a tracked front end. Each spoofed SYN and its SYN+ACK hold an entry for 60 s (syn-recv).',
  }),
  schedule(e, p) {
    const until = p.duration * S;
    e.add(
      new Arrivals(p.rng, until / p.flows, until, () => {
        if (p.rng.chance(0.05)) return webSession(p.rng, randomClient4(p.rng), WEB4, 443);
        const src = ip4(1 + p.rng.int(223), p.rng.int(256), p.rng.int(256), 1 + p.rng.int(254));
        const sport = 1024 + p.rng.int(64000);
        return new Script([
          (ee, t) => (ee.tcp(t, src, WEB4, sport, 443, SYN, 40), 0.05 * MS),
          (ee, t) => (ee.tcp(t, WEB4, src, 443, sport, SYN | ACK, 44), 0),
        ]);
      }),
      0,
    );
  },
};

const DNS = ip4(10, 0, 0, 53);

const dns: Workload = {
  name: 'dns',
  description:
    'a DNS server: UDP request/response from many clients; some clients reuse their port for several transactions (UDP streams, 180 s)',
  defaultFlows: (packets) => Math.max(1, Math.round(packets / 3)),
  config: () => ({
    description:
      'ctreplay generate dns: a DNS server. Queries from the VPC only, so every exchange is tracked: 30 s, or 180 s once a flow has two transactions (S16).',
    securityGroups: [
      group(
        'sg-dns',
        'DNS server',
        [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
        [openEgress],
      ),
    ],
    instances: [{ id: 'dns-1', type: 'm7i-flex.large', addresses: [ip4s(DNS)], securityGroups: ['sg-dns'] }],
  }),
  schedule(e, p) {
    const until = p.duration * S;
    e.add(
      new Arrivals(p.rng, until / p.flows, until, () => {
        const client = ip4(10, 2, p.rng.int(256), 1 + p.rng.int(254));
        const port = 1024 + p.rng.int(64000);
        const n = p.rng.chance(0.15) ? p.rng.range(3, 10) : 1;
        const steps: Array<(ee: Emitter, t: number) => number> = [];
        for (let k = 0; k < n; k++) {
          steps.push((ee, t) => (ee.udp(t, client, DNS, port, 53, 40 + p.rng.int(40)), (0.3 + p.rng.exp(2)) * MS));
          steps.push(
            (ee, t) => (ee.udp(t, DNS, client, 53, port, 60 + p.rng.int(400)), k + 1 < n ? (1 + p.rng.exp(2)) * S : 0),
          );
        }
        return new Script(steps);
      }),
      0,
    );
  },
};

const PINGED = ip4(10, 0, 0, 10);
const MONITOR = ip4(198, 51, 100, 20);

const ping: Workload = {
  name: 'ping',
  description:
    'the ping-after-rule-removal story: a continuous ping keeps its replies after the ICMP rule is revoked, until it pauses longer than the ICMP timeout; a new ping is denied at once',
  defaultFlows: () => 1,
  defaultDuration: 180,
  config: (p) => ({
    description:
      'ctreplay generate ping: the inbound ICMP rule is revoked at one third of the trace; the running ping keeps flowing (tracked) until it pauses for 40 s.',
    securityGroups: [
      group(
        'sg-ping',
        'pinged host',
        [{ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        [openEgress],
      ),
    ],
    instances: [{ id: 'host-1', addresses: [ip4s(PINGED)], securityGroups: ['sg-ping'] }],
    events: [
      {
        at: Math.round(p.duration / 3),
        action: 'revokeIngress',
        groupId: 'sg-ping',
        permissions: [{ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      },
    ],
  }),
  schedule(e, p) {
    const until = p.duration * S;
    const pauseAt = (2 * until) / 3;
    // The running ping: one request per second, a reply 10 ms later; a 40 s pause at two thirds.
    const pinger: Flow = {
      step(ee, t) {
        ee.icmp(t, MONITOR, PINGED, 8, 0, 1);
        // After the pause the requests are denied, so the host never sees them and never replies.
        if (t < pauseAt) ee.add({ step: (e2, t2) => (e2.icmp(t2, PINGED, MONITOR, 0, 0, 1), -1) }, t + 10 * MS);
        let next = S;
        if (t < pauseAt && t + S >= pauseAt) next = 40 * S;
        return t + next <= until ? next : -1;
      },
    };
    e.add(pinger, 0);
    // A second ping, started after the revoke: denied from its first packet.
    e.add({ step: (ee, t) => (ee.icmp(t, MONITOR, PINGED, 8, 0, 2), t + S <= until ? S : -1) }, until / 3 + 0.5 * S);
  },
};

const FILL_SERVER = ip4(10, 0, 0, 10);

const fill: Workload = {
  name: 'fill',
  description:
    'N long-lived connections that fill the table: opened during the first tenth of the trace, then kept alive with periodic packets',
  defaultFlows: (packets) => Math.max(1, Math.round(packets / 10)),
  config: () => ({
    description:
      'ctreplay generate fill: long-lived tracked connections (restricted egress). The peak tracked count is the allowance this traffic needs.',
    securityGroups: [
      group(
        'sg-fill',
        'server',
        [tcpFrom(5432, '198.18.0.0/15')],
        [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/16' }] }],
      ),
    ],
    instances: [{ id: 'db-1', addresses: [ip4s(FILL_SERVER)], securityGroups: ['sg-fill'] }],
  }),
  schedule(e, p) {
    const until = p.duration * S;
    const n = p.flows;
    // After the 3-packet handshake, keep-alives (a request and its ACK) spread the remaining packets over
    // the trace: `pairs` in all, as even as can be, so the trace has exactly --packets packets (the last
    // keep-alive of connection 0 has no reply when the remainder is odd).
    const rest = Math.max(0, p.packets - 3 * n);
    const pairs = Math.floor(rest / 2);
    const odd = rest % 2 === 1;
    const base = Math.floor(pairs / n);
    const extra = pairs - base * n;
    for (let k = 0; k < n; k++) {
      const client = ip4(198, 18 + ((k >> 16) & 1), (k >> 8) & 255, 1 + (k % 254));
      const cport = 1024 + (k % 60000);
      const mine = base + (k < extra ? 1 : 0) + (k === 0 && odd ? 1 : 0);
      const lone = k === 0 && odd;
      // Handshake within the first tenth; keep-alives every `interval`, the last one before the end.
      const interval = (0.9 * until) / (Math.max(1, mine) + 0.5);
      let left = mine;
      let reply = false;
      // A request from the client, then the server's ACK half a millisecond later.
      const keepAlive: Flow = {
        step(ee, t) {
          reply = !reply;
          if (reply) {
            ee.tcp(t, client, FILL_SERVER, cport, 5432, ACK | PSH, 80);
            return lone && left === 1 ? -1 : 0.5 * MS;
          }
          ee.tcp(t, FILL_SERVER, client, 5432, cport, ACK, 52);
          return --left > 0 ? interval - 0.5 * MS : -1;
        },
      };
      const handshake = new Script([
        (ee, t) => (ee.tcp(t, client, FILL_SERVER, cport, 5432, SYN, 60), 1 * MS),
        (ee, t) => (ee.tcp(t, FILL_SERVER, client, 5432, cport, SYN | ACK, 60), 1 * MS),
        (ee, t) => {
          ee.tcp(t, client, FILL_SERVER, cport, 5432, ACK, 52);
          if (mine > 0) ee.add(keepAlive, t + interval * (0.5 + p.rng.next()));
          return 0;
        },
      ]);
      e.add(handshake, p.rng.next() * 0.1 * until);
    }
  },
};

const mixed: Workload = {
  name: 'mixed',
  description: 'web (55 %), DNS (20 %), a scanner (20 %) and a ping, on four instances',
  defaultFlows: (packets) => Math.max(1, Math.round(packets / 10)),
  config: (p) => {
    const parts = [web, dns, scan, ping].map(
      (w) => w.config(p) as { securityGroups: unknown[]; instances: unknown[]; events?: unknown[] },
    );
    return {
      description: 'ctreplay generate mixed: a front end, a DNS server, a scanner and a pinged host.',
      securityGroups: parts.flatMap((x) => x.securityGroups),
      instances: parts.flatMap((x) => x.instances),
      events: parts.flatMap((x) => x.events ?? []),
    };
  },
  schedule(e, p) {
    const share = (f: number): GenParams => ({
      ...p,
      packets: Math.round(p.packets * f),
      flows: Math.max(1, Math.round(p.flows * f)),
    });
    web.schedule(e, { ...share(0.55), flows: Math.max(1, Math.round((p.packets * 0.55) / PACKETS_PER_WEB_SESSION)) });
    dns.schedule(e, { ...share(0.2), flows: Math.max(1, Math.round((p.packets * 0.2) / 3)) });
    scan.schedule(e, { ...share(0.2), flows: Math.max(1, Math.round(p.packets * 0.2)) });
    ping.schedule(e, share(0.05));
  },
};

/** All workloads by name. */
export const WORKLOADS: Readonly<Record<string, Workload>> = { web, scan, nat, synflood, dns, ping, fill, mixed };
