/**
 * `ctreplay generate`: runs a workload into a pcap or Arrow trace and writes
 * its config next to it.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { ArrowTraceWriter } from '../trace/arrow.js';
import { PcapWriter } from '../trace/pcap-writer.js';
import { Emitter } from './emit.js';
import { Rng } from './rng.js';
import { WORKLOADS } from './workloads.js';

/** Trace time 0 of generated traces: 2026-01-01T00:00:00Z. */
export const GENERATE_START_NS = 1_767_225_600_000_000_000n;

/** Options of `generate`. */
export interface GenerateOptions {
  readonly workload: string;
  readonly out: string;
  readonly format: 'pcap' | 'arrow';
  readonly packets: number;
  /** Packets per second of trace time; with duration unset, sets it. */
  readonly rate?: number;
  /** Seconds of trace time (default 300). */
  readonly duration?: number;
  readonly flows?: number;
  readonly seed: number;
  readonly configOut: string;
}

/** What was written. */
export interface GenerateResult {
  readonly packets: number;
  readonly duration: number;
  readonly flows: number;
}

/** Generates a trace and its config. */
export async function generate(o: GenerateOptions): Promise<GenerateResult> {
  const w = WORKLOADS[o.workload];
  if (!w) throw new UsageError(`unknown workload "${o.workload}" (choose one of ${Object.keys(WORKLOADS).join(', ')})`);
  const duration = o.duration ?? (o.rate !== undefined ? o.packets / o.rate : (w.defaultDuration ?? 300));
  const flows = o.flows ?? w.defaultFlows(o.packets);
  const p = { packets: o.packets, rate: o.packets / duration, duration, flows, rng: new Rng(o.seed) };
  writeFileSync(o.configOut, `# ${o.workload}: ${w.description}\n` + stringify(w.config(p), { lineWidth: 120 }));
  let sink: (b: import('../trace/batch.js').PacketBatch, n: number) => void;
  let finish: () => Promise<void>;
  if (o.format === 'pcap') {
    const pw = new PcapWriter(o.out);
    sink = (b, n) => pw.writeBatch(b, n);
    finish = async () => pw.close();
  } else {
    const aw = new ArrowTraceWriter(o.out);
    sink = (b, n) => aw.write(b, n);
    finish = () => aw.close();
  }
  const e = new Emitter(GENERATE_START_NS, sink, o.packets);
  w.schedule(e, p);
  e.runUntil(Infinity);
  e.flush();
  await finish();
  return { packets: e.count, duration, flows };
}
