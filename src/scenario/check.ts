/**
 * `ctreplay check`: runs a scenario and compares every expected verdict and
 * per-instance counter with what the engine did. Mismatches are values, not
 * exceptions; cli.ts renders them.
 */
import type { ResolvedConfig } from '../config/types.js';
import { Topology } from '../model/topology.js';
import { V, verdictName, type Verdict } from '../model/verdict.js';
import { buildReport } from '../report/report.js';
import { runTrace, type EngineName } from '../replay/run.js';
import { PacketListReader } from '../trace/jsonl.js';
import { summarizePacket, type Packet } from '../trace/packet.js';
import type { Expectation, InstanceExpectKey, Scenario } from './scenario.js';

/** What a packet got: one verdict, or one per evaluation with its instance and interface ids. */
export type Actual =
  | { readonly kind: 'packet'; readonly verdict: Verdict }
  | {
      readonly kind: 'evaluations';
      readonly list: ReadonlyArray<{ instance: string; iface: string; verdict: Verdict }>;
    };

/** One packet whose verdict differs from its expectation. */
export interface PacketMismatch {
  readonly index: number;
  readonly summary: string;
  readonly expected: string | Record<string, string>;
  readonly actual: string | Record<string, string>;
}

/** One per-instance counter (or trace total, instance null) that differs. */
export interface CounterMismatch {
  readonly instance: string | null;
  readonly counter: string;
  readonly expected: number | null;
  readonly actual: number | null;
}

/** The outcome of one scenario. */
export interface CheckResult {
  readonly file: string;
  readonly name: string;
  readonly packets: number;
  readonly checked: number;
  readonly passed: boolean;
  readonly mismatches: readonly PacketMismatch[];
  readonly counterMismatches: readonly CounterMismatch[];
}

/** Decodes an outcome byte into what each interface decided (S4). */
export function actualOf(cfg: ResolvedConfig, topo: Topology, p: Packet, outcome: number): Actual {
  const low = outcome & 0xf;
  const high = outcome >> 4;
  if (p.kind === 'malformed' || low === V.MALFORMED) return { kind: 'packet', verdict: 'malformed' };
  if (low === V.FOREIGN || p.kind === 'non-ip') return { kind: 'packet', verdict: 'foreign' };
  const route = topo.route(p.src, p.dst);
  const ifaces = route.egress !== -1 ? [route.egress, route.ingress] : [route.ingress];
  const codes = [low, high];
  const list: Array<{ instance: string; iface: string; verdict: Verdict }> = [];
  ifaces.forEach((ifi, k) => {
    if (ifi === -1 || codes[k] === V.NONE) return;
    const iface = cfg.interfaces[ifi]!;
    list.push({ instance: cfg.instances[iface.instance]!.id, iface: iface.id, verdict: verdictName(codes[k]!) });
  });
  return { kind: 'evaluations', list };
}

/** True when `actual` satisfies `expected` (see README "Scenarios" for the rules). */
export function matches(expected: Expectation, actual: Actual): boolean {
  if (expected.kind === 'one') {
    if (actual.kind === 'packet') return actual.verdict === expected.verdict;
    // A single verdict for a packet seen at two interfaces must hold at both.
    return actual.list.length > 0 && actual.list.every((e) => e.verdict === expected.verdict);
  }
  if (actual.kind === 'packet') return false;
  for (const [id, verdict] of expected.byId) {
    const e = actual.list.find((x) => x.instance === id || x.iface === id);
    if (e === undefined || e.verdict !== verdict) return false;
  }
  return true;
}

function showExpected(e: Expectation): string | Record<string, string> {
  return e.kind === 'one' ? e.verdict : Object.fromEntries(e.byId);
}

function showActual(a: Actual, e: Expectation): string | Record<string, string> {
  if (a.kind === 'packet') return a.verdict;
  if (e.kind === 'one' && a.list.length === 1) return a.list[0]!.verdict;
  const out: Record<string, string> = {};
  // Key like the expectation does where it can (instance or interface id).
  const useIface =
    e.kind === 'by' && [...e.byId.keys()].some((k) => a.list.some((x) => x.iface === k && x.instance !== k));
  for (const x of a.list) out[useIface ? x.iface : x.instance] = x.verdict;
  if (e.kind === 'by')
    for (const k of e.byId.keys())
      if (!a.list.some((x) => x.instance === k || x.iface === k)) out[k] = '(not evaluated)';
  return out;
}

/** Runs one scenario and compares. */
export async function checkScenario(s: Scenario, engine: EngineName): Promise<CheckResult> {
  const run = await runTrace(s.config, new PacketListReader(s.packets), { engine, keepOutcomes: true });
  const topo = new Topology(s.config);
  const mismatches: PacketMismatch[] = [];
  let checked = 0;
  s.packets.forEach((p, i) => {
    const e = s.expects[i];
    if (!e) return;
    checked++;
    const a = actualOf(s.config, topo, p, run.outcomes![i]!);
    if (!matches(e, a))
      mismatches.push({ index: i, summary: summarizePacket(p), expected: showExpected(e), actual: showActual(a, e) });
  });

  const report = buildReport(s.config, run, { file: s.file, format: 'scenario' });
  const counterMismatches: CounterMismatch[] = [];
  for (const [id, m] of s.expectInstances) {
    const inst = report.instances.find((x) => x.id === id)!;
    for (const [k, expected] of m) {
      const actual = inst[k as InstanceExpectKey];
      if (actual !== expected) counterMismatches.push({ instance: id, counter: k, expected, actual });
    }
  }
  for (const [id, m] of s.expectInstanceVerdicts) {
    const inst = report.instances.find((x) => x.id === id)!;
    for (const [v, expected] of m) {
      const actual = inst.verdicts[v as keyof typeof inst.verdicts];
      if (actual !== expected) counterMismatches.push({ instance: id, counter: `verdicts.${v}`, expected, actual });
    }
  }
  for (const [k, expected] of s.expectTrace) {
    const actual = report.trace[k];
    if (actual !== expected) counterMismatches.push({ instance: null, counter: `trace.${k}`, expected, actual });
  }
  return {
    file: s.file,
    name: s.name,
    packets: s.packets.length,
    checked,
    passed: mismatches.length === 0 && counterMismatches.length === 0,
    mismatches,
    counterMismatches,
  };
}
