/**
 * Which configured interface owns an address, and so which interfaces see a
 * packet and in which direction (SPEC S4). Shared by every engine and by
 * `check`, so they agree on what an evaluation is.
 */
import type { ResolvedConfig } from '../config/types.js';
import { addrKey, cidrContains, familyBits, type Addr, type Cidr } from './addr.js';

/** Where a packet is evaluated: interface indices (-1 = none), or foreign. */
export interface Route {
  /** Interface that sends it (evaluated at egress), or -1. */
  readonly egress: number;
  /** Interface that receives it (evaluated at ingress), or -1. */
  readonly ingress: number;
  /** True when no interface sees it, or source and destination are on one instance (S4). */
  readonly foreign: boolean;
}

/** Address → interface lookup over a resolved config. */
export class Topology {
  private readonly exact = new Map<string, number>();
  private readonly blocks: Array<{ cidr: Cidr; iface: number }> = [];
  private readonly instanceOf: readonly number[];

  constructor(cfg: ResolvedConfig) {
    for (const i of cfg.interfaces) {
      for (const c of i.addresses) {
        if (c.len === familyBits(c.v)) this.exact.set(addrKey(c), i.index);
        else this.blocks.push({ cidr: c, iface: i.index });
      }
    }
    this.instanceOf = cfg.interfaces.map((i) => i.instance);
  }

  /** The interface holding the address, or -1. */
  interfaceOf(a: Addr): number {
    const e = this.exact.get(addrKey(a));
    if (e !== undefined) return e;
    for (const b of this.blocks) if (cidrContains(b.cidr, a)) return b.iface;
    return -1;
  }

  /** S4: the interfaces a packet from `src` to `dst` meets. */
  route(src: Addr, dst: Addr): Route {
    const egress = this.interfaceOf(src);
    const ingress = this.interfaceOf(dst);
    if (egress === -1 && ingress === -1) return { egress, ingress, foreign: true };
    if (egress !== -1 && ingress !== -1 && this.instanceOf[egress] === this.instanceOf[ingress]) {
      return { egress, ingress, foreign: true };
    }
    return { egress, ingress, foreign: false };
  }
}
