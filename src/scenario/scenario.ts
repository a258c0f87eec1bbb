/**
 * Scenario files for `ctreplay check` (DESIGN.md "Scenario"): a config, a
 * packet list with expected verdicts, and expected per-instance counters.
 * A broken scenario file is an InputError (exit 2) naming the field; a packet
 * that cannot be decoded is a malformed packet, as in a trace.
 */
import { basename } from 'node:path';
import { readStructuredFile, resolveConfigField } from '../config/load.js';
import { Field } from '../config/reader.js';
import type { ResolvedConfig } from '../config/types.js';
import { VERDICTS, type Verdict } from '../model/verdict.js';
import { decodeJsonPacket } from '../trace/json-packet.js';
import type { Packet } from '../trace/packet.js';

/** An expected verdict: one for the packet, or one per instance/interface id. */
export type Expectation =
  | { readonly kind: 'one'; readonly verdict: Verdict }
  | { readonly kind: 'by'; readonly byId: ReadonlyMap<string, Verdict> };

/** Per-instance counters a scenario may expect (report@1 instance fields). */
export const INSTANCE_EXPECT_KEYS = [
  'peakTracked',
  'trackedAtEnd',
  'conntrackAllowanceExceeded',
  'conntrackAllowanceAvailableMin',
  'linklocalAllowanceExceeded',
  'allowance',
] as const;

/** A counter a scenario may expect. */
export type InstanceExpectKey = (typeof INSTANCE_EXPECT_KEYS)[number];

/** Trace totals a scenario may expect (report@1 trace fields). */
export const TRACE_EXPECT_KEYS = [
  'packets',
  'bytes',
  'malformed',
  'reordered',
  'foreign',
  'firstTs',
  'lastTs',
] as const;

/** A trace total a scenario may expect. */
export type TraceExpectKey = (typeof TRACE_EXPECT_KEYS)[number];

/** A loaded scenario. */
export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly config: ResolvedConfig;
  readonly packets: readonly Packet[];
  /** Per packet; null where the packet has no `expect`. */
  readonly expects: ReadonlyArray<Expectation | null>;
  /** instance id → counter → expected value (null = unlimited allowance). */
  readonly expectInstances: ReadonlyMap<string, ReadonlyMap<InstanceExpectKey, number | null>>;
  /** instance id → verdict → expected count. */
  readonly expectInstanceVerdicts: ReadonlyMap<string, ReadonlyMap<Verdict, number>>;
  /** Expected trace totals (an extension of the scenario format). */
  readonly expectTrace: ReadonlyMap<TraceExpectKey, number | null>;
}

/** Loads and validates a scenario file. */
export function loadScenario(file: string): Scenario {
  const root = readStructuredFile(file);
  root.object(['name', 'description', 'config', 'packets', 'expectInstances', 'expectTrace'], 'a scenario object');
  const nameF = root.opt('name');
  const name = nameF ? nameF.string() : basename(file);
  const configF = root.req('config');
  const config = resolveConfigField(configF);

  const instanceIds = new Set(config.instances.map((i) => i.id));
  const interfaceIds = new Set(config.interfaces.map((i) => i.id));

  const packets: Packet[] = [];
  const expects: Array<Expectation | null> = [];
  for (const pf of root.req('packets').array('a list of packets')) {
    packets.push(decodeJsonPacket(pf.value));
    const ef = pf.opt('expect');
    expects.push(ef ? readExpectation(ef, instanceIds, interfaceIds) : null);
  }

  const expectInstances = new Map<string, Map<InstanceExpectKey, number | null>>();
  const expectInstanceVerdicts = new Map<string, Map<Verdict, number>>();
  const eiF = root.opt('expectInstances');
  if (eiF) {
    for (const [id, f] of eiF.entries('an object of instance id → expected counters')) {
      if (!instanceIds.has(id)) f.fail(`unknown instance "${id}" (the config has: ${[...instanceIds].join(', ')})`);
      f.object([...INSTANCE_EXPECT_KEYS, 'verdicts'], 'an object of expected counters');
      const m = new Map<InstanceExpectKey, number | null>();
      for (const k of INSTANCE_EXPECT_KEYS) {
        const v = f.opt(k);
        if (!v) continue;
        const nullable = k === 'conntrackAllowanceAvailableMin' || k === 'allowance';
        m.set(k, nullable && v.value === null ? null : v.int(0, Number.MAX_SAFE_INTEGER, 'a count'));
      }
      expectInstances.set(id, m);
      const vf = f.opt('verdicts');
      if (vf) {
        const vm = new Map<Verdict, number>();
        for (const [verdict, cf] of vf.entries('an object of verdict → count')) {
          if (!(VERDICTS as readonly string[]).includes(verdict) || verdict === 'foreign' || verdict === 'malformed') {
            cf.fail(`unknown verdict "${verdict}"`);
          }
          vm.set(verdict as Verdict, cf.int(0, Number.MAX_SAFE_INTEGER, 'a count'));
        }
        expectInstanceVerdicts.set(id, vm);
      }
    }
  }
  const expectTrace = new Map<TraceExpectKey, number | null>();
  const etF = root.opt('expectTrace');
  if (etF) {
    etF.object(TRACE_EXPECT_KEYS, 'an object of expected trace totals');
    for (const k of TRACE_EXPECT_KEYS) {
      const v = etF.opt(k);
      if (!v) continue;
      const seconds = k === 'firstTs' || k === 'lastTs';
      expectTrace.set(
        k,
        seconds
          ? v.value === null
            ? null
            : v.number(0, Number.MAX_VALUE, 'seconds')
          : v.int(0, Number.MAX_SAFE_INTEGER, 'a count'),
      );
    }
  }
  return { file, name, config, packets, expects, expectInstances, expectInstanceVerdicts, expectTrace };
}

function readVerdict(f: Field): Verdict {
  const s = f.string();
  if (!(VERDICTS as readonly string[]).includes(s))
    f.fail(`unknown verdict "${s}" (expected one of ${VERDICTS.join(', ')})`);
  return s as Verdict;
}

function readExpectation(f: Field, instanceIds: ReadonlySet<string>, interfaceIds: ReadonlySet<string>): Expectation {
  if (typeof f.value === 'string') return { kind: 'one', verdict: readVerdict(f) };
  const byId = new Map<string, Verdict>();
  for (const [id, vf] of f.entries('a verdict string or an object {instanceId: verdict}')) {
    if (!instanceIds.has(id) && !interfaceIds.has(id))
      vf.fail(`"${id}" is neither an instance id nor an interface id of the config`);
    byId.set(id, readVerdict(vf));
  }
  if (byId.size === 0) f.fail('expected at least one {id: verdict}');
  return { kind: 'by', byId };
}
