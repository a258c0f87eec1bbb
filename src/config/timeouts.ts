/**
 * Idle timeouts (SPEC S13): the configuration keys, their defaults, the AWS
 * ranges, and how defaults combine (`nitro: 6`, `autoTracked: "nlb"`,
 * explicit values win).
 */
import type { AutoTracked, Timeouts } from './types.js';

const S = 1_000_000_000n;

/** Configuration key under `conntrack` → field of Timeouts. */
export const CONNTRACK_KEYS = {
  tcpEstablishedTimeout: 'tcpEstablished',
  tcpSynSentTimeout: 'tcpSynSent',
  tcpSynRecvTimeout: 'tcpSynRecv',
  tcpFinWaitTimeout: 'tcpFinWait',
  tcpTimeWaitTimeout: 'tcpTimeWait',
  tcpClosedTimeout: 'tcpClosed',
  udpTimeout: 'udp',
  udpStreamTimeout: 'udpStream',
  icmpTimeout: 'icmp',
  otherTimeout: 'other',
  fragmentTimeout: 'fragment',
} as const satisfies Record<string, keyof Timeouts>;

/** A `conntrack` configuration key. */
export type ConntrackKey = keyof typeof CONNTRACK_KEYS;

/**
 * Allowed values in seconds. AWS keys have AWS's integer ranges
 * (ConnectionTrackingSpecification); [MODEL] keys accept any positive number
 * of seconds (fractions allowed, read to the nanosecond).
 */
export const CONNTRACK_RANGES: Record<ConntrackKey, { min: number; max: number; integer: boolean; aws: boolean }> = {
  tcpEstablishedTimeout: { min: 60, max: 432000, integer: true, aws: true },
  udpTimeout: { min: 30, max: 60, integer: true, aws: true },
  udpStreamTimeout: { min: 60, max: 180, integer: true, aws: true },
  tcpSynSentTimeout: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false, aws: false },
  tcpSynRecvTimeout: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false, aws: false },
  tcpFinWaitTimeout: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false, aws: false },
  tcpTimeWaitTimeout: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false, aws: false },
  tcpClosedTimeout: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false, aws: false },
  icmpTimeout: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false, aws: false },
  otherTimeout: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false, aws: false },
  fragmentTimeout: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false, aws: false },
};

/** The defaults of S13 for a plain interface. */
export function defaultTimeouts(): Timeouts {
  return {
    tcpEstablished: 432000n * S,
    tcpSynSent: 120n * S,
    tcpSynRecv: 60n * S,
    tcpFinWait: 120n * S,
    tcpTimeWait: 120n * S,
    tcpClosed: 10n * S,
    udp: 30n * S,
    udpStream: 180n * S,
    icmp: 30n * S,
    other: 600n * S,
    fragment: 30n * S,
  };
}

/**
 * Effective timeouts of an interface: S13 defaults, then the Nitro v6
 * established default (350 s), then the NLB defaults for `autoTracked: "nlb"`
 * (TCP established 350 s, both UDP 120 s), then explicit values, which win.
 */
export function resolveTimeouts(nitro: number | null, autoTracked: AutoTracked, explicit: Partial<Timeouts>): Timeouts {
  const t = defaultTimeouts();
  if (nitro !== null && nitro >= 6) t.tcpEstablished = 350n * S;
  if (autoTracked === 'nlb') {
    t.tcpEstablished = 350n * S;
    t.udp = 120n * S;
    t.udpStream = 120n * S;
  }
  return { ...t, ...explicit };
}
