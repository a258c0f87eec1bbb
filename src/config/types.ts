import type { Catalog } from './catalog.js';
/**
 * The resolved configuration: every default filled in, every reference
 * checked, times in integer nanoseconds. Engines read only this, never raw
 * config; nothing here is optional that the packet path would have to test.
 */
import type { Addr, Cidr } from '../model/addr.js';

/** The peer of a rule: a CIDR, a prefix list, or a security group reference (S8). */
export type Peer =
  | { readonly kind: 'cidr'; readonly cidr: Cidr }
  | { readonly kind: 'prefixList'; readonly id: string }
  | { readonly kind: 'group'; readonly id: string };

/**
 * One rule: the AWS notion of a single (protocol, ports, peer) permission; an
 * `IpPermission` with three `IpRanges` is three rules.
 * `proto` is -1 for all protocols. For TCP/UDP `from`/`to` is the port range;
 * for ICMP/ICMPv6 `from` is the type and `to` the code (-1 = any); for -1 and
 * other protocols both are -1 (all ports).
 */
export interface Rule {
  readonly proto: number;
  readonly from: number;
  readonly to: number;
  readonly peer: Peer;
}

/** A security group (S3). */
export interface SecurityGroup {
  readonly id: string;
  readonly name: string;
  readonly ingress: readonly Rule[];
  readonly egress: readonly Rule[];
}

/** Idle timeouts of S13, in ns. */
export interface Timeouts {
  tcpEstablished: bigint;
  tcpSynSent: bigint;
  tcpSynRecv: bigint;
  tcpFinWait: bigint;
  tcpTimeWait: bigint;
  tcpClosed: bigint;
  udp: bigint;
  udpStream: bigint;
  icmp: bigint;
  other: bigint;
  fragment: bigint;
}

/** `autoTracked` (S9): false, true, or "nlb" (true plus NLB timeouts). */
export type AutoTracked = false | true | 'nlb';

/** An interface (S2), after shorthand expansion and inheritance from its instance. */
export interface Interface {
  /** Index in ResolvedConfig.interfaces. */
  readonly index: number;
  readonly id: string;
  /** Index of the owning instance. */
  readonly instance: number;
  /** Addresses and address blocks of the interface. */
  readonly addresses: readonly Cidr[];
  /** Security group ids at the start of the trace. */
  readonly securityGroups: readonly string[];
  /** VPC resolver address (VPC CIDR base + 2), when vpcCidr is set (S20). */
  readonly vpcResolver: Addr | null;
  readonly autoTracked: AutoTracked;
  /** Timeouts at the start of the trace, defaults applied (S13). */
  readonly timeouts: Readonly<Timeouts>;
}

/** Where an instance's allowance came from (S17). */
export type AllowanceSource = 'config' | 'catalog' | 'unlimited';

/** An instance (S1). */
export interface Instance {
  readonly index: number;
  readonly id: string;
  readonly type: string | null;
  /** Maximum tracked connections alive at once; null = unlimited. */
  readonly allowance: number | null;
  readonly allowanceSource: AllowanceSource;
  /** Indices of its interfaces, primary first. */
  readonly interfaces: readonly number[];
}

/** A rule-change event (S12), resolved and sorted. */
export type ConfigEvent =
  | {
      readonly at: bigint;
      readonly action: 'authorizeIngress' | 'authorizeEgress' | 'revokeIngress' | 'revokeEgress';
      readonly groupId: string;
      readonly rules: readonly Rule[];
    }
  | {
      readonly at: bigint;
      readonly action: 'setSecurityGroups';
      readonly interface: number;
      readonly securityGroups: readonly string[];
    }
  | {
      readonly at: bigint;
      readonly action: 'modifyConnectionTracking';
      readonly interfaces: readonly number[];
      readonly timeouts: Readonly<Partial<Timeouts>>;
    };

/** A configuration ready for the engines. */
export interface ResolvedConfig {
  /** The file it was read from (for messages). */
  readonly file: string;
  readonly groups: ReadonlyMap<string, SecurityGroup>;
  readonly prefixLists: ReadonlyMap<string, readonly Cidr[]>;
  /** Extra members of groups (S8 `groupMembers`). */
  readonly groupMembers: ReadonlyMap<string, readonly Cidr[]>;
  readonly instances: readonly Instance[];
  readonly interfaces: readonly Interface[];
  /** Events in application order (by `at`, then file order). */
  readonly events: readonly ConfigEvent[];
  /** Instance types and their allowances (built-in, `--catalog`, then the config's `catalog`). */
  readonly catalog: Catalog;
}
