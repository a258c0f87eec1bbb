/**
 * The rule state of the moment: each group's rules, each interface's groups
 * and timeouts, as S12 events change them. Shared by the reference engine
 * (which reads it directly) and the WASM engine's host side (which compiles
 * it into rule tables after every event), so both apply events identically.
 */
import type { ConfigEvent, ResolvedConfig, Rule, Timeouts } from '../config/types.js';
import { cidrContains, type Addr } from '../model/addr.js';

/** Mutable rules, group memberships and timeouts. */
export class RuleState {
  /** Current rules of each group. */
  readonly groupRules = new Map<string, { ingress: Rule[]; egress: Rule[] }>();
  /** Current groups of each interface. */
  readonly ifaceGroups: string[][];
  /** Current timeouts of each interface. */
  readonly ifaceTimeouts: Timeouts[];

  constructor(readonly cfg: ResolvedConfig) {
    for (const g of cfg.groups.values()) this.groupRules.set(g.id, { ingress: [...g.ingress], egress: [...g.egress] });
    this.ifaceGroups = cfg.interfaces.map((i) => [...i.securityGroups]);
    this.ifaceTimeouts = cfg.interfaces.map((i) => ({ ...i.timeouts }));
  }

  /** Applies one event (S12). Returns the interfaces whose timeouts changed, if any. */
  apply(ev: ConfigEvent): readonly number[] {
    switch (ev.action) {
      case 'authorizeIngress':
      case 'authorizeEgress':
      case 'revokeIngress':
      case 'revokeEgress': {
        const rules = this.groupRules.get(ev.groupId)!;
        const list = ev.action.endsWith('Ingress') ? rules.ingress : rules.egress;
        for (const r of ev.rules) {
          const i = list.findIndex((x) => sameRule(x, r));
          if (ev.action.startsWith('authorize')) {
            if (i === -1) list.push(r);
          } else if (i !== -1) {
            list.splice(i, 1);
          }
        }
        return [];
      }
      case 'setSecurityGroups':
        this.ifaceGroups[ev.interface] = [...ev.securityGroups];
        return [];
      case 'modifyConnectionTracking':
        // Only the keys given change (S12).
        for (const i of ev.interfaces) Object.assign(this.ifaceTimeouts[i]!, ev.timeouts);
        return ev.interfaces;
    }
  }

  /** The union of the current rules of an interface's groups in one direction (S3). */
  rulesOf(ifi: number, dir: 'in' | 'out'): Rule[] {
    const out: Rule[] = [];
    for (const g of this.ifaceGroups[ifi]!) {
      const rules = this.groupRules.get(g)!;
      out.push(...(dir === 'in' ? rules.ingress : rules.egress));
    }
    return out;
  }

  /** S8: does the rule's peer (CIDR, prefix list, or group with its current members) contain the address? */
  peerMatches(r: Rule, a: Addr): boolean {
    const peer = r.peer;
    switch (peer.kind) {
      case 'cidr':
        return cidrContains(peer.cidr, a);
      case 'prefixList':
        return this.cfg.prefixLists.get(peer.id)!.some((c) => cidrContains(c, a));
      case 'group': {
        for (let i = 0; i < this.cfg.interfaces.length; i++) {
          if (
            this.ifaceGroups[i]!.includes(peer.id) &&
            this.cfg.interfaces[i]!.addresses.some((c) => cidrContains(c, a))
          ) {
            return true;
          }
        }
        return (this.cfg.groupMembers.get(peer.id) ?? []).some((c) => cidrContains(c, a));
      }
    }
  }
}

/** Same protocol, ports and peer. */
export function sameRule(a: Rule, b: Rule): boolean {
  if (a.proto !== b.proto || a.from !== b.from || a.to !== b.to || a.peer.kind !== b.peer.kind) return false;
  if (a.peer.kind === 'cidr' && b.peer.kind === 'cidr') {
    return a.peer.cidr.v === b.peer.cidr.v && a.peer.cidr.n === b.peer.cidr.n && a.peer.cidr.len === b.peer.cidr.len;
  }
  return (a.peer as { id: string }).id === (b.peer as { id: string }).id;
}
