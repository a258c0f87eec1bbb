/**
 * `ctreplay capacity`: how many tracked connections the traffic needs, and
 * what each allowance (or instance type) would drop, at several traffic
 * scales (SPEC S17–S19).
 *
 * Scale k: every IP packet of the trace is replayed k times at its own
 * time, as copies 0…k−1 (Packet.copy). Copy j of a flow is a flow of its own
 * in the connection table — as if its remote address had been remapped to
 * one of k distinct hosts — while every rule, prefix list and group
 * reference sees it exactly as the original, so verdicts other than the
 * allowance's are those of the trace. (Remapping real addresses could not
 * promise that: a /32 rule matches one host only.) Copies of a packet are
 * decided in copy order.
 *
 * Two passes over the trace, each decoding it once for every run:
 *   1. the instance unlimited, one run per scale: its peak tracked count is
 *      the allowance that traffic needs for zero drops (with an allowance ≥
 *      the peak nothing changes; with peak − 1 the packet that would reach
 *      the peak is dropped);
 *   2. one run per (scale, allowance), all fed from the same batches.
 * Other instances keep their configured allowances throughout.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { EngineCounters } from '../engine/counters.js';
import { WasmEngine } from '../engine/wasm.js';
import { UsageError } from '../errors.js';
import { nsToSeconds } from '../model/time.js';
import { V } from '../model/verdict.js';
import { BATCH_BYTES_PER_PACKET, KIND, PacketBatch } from '../trace/batch.js';
import type { TraceReader } from '../trace/reader.js';

/** One allowance at one scale. */
export interface CapacityRow {
  /** Connections; null when the type's allowance is unknown. */
  allowance: number | null;
  /** The instance type the allowance comes from (catalog), or null for a plain number. */
  type: string | null;
  /** Where the allowance comes from: "--allowances", "catalog: …", "needed", "configured", "sweep". */
  source: string;
  /** Allowance drops ÷ evaluations at the instance (S19); null when unknown. */
  dropRate: number | null;
  conntrackAllowanceExceeded: number | null;
  peakTracked: number | null;
  conntrackAllowanceAvailableMin: number | null;
  /** Seconds since the epoch (virtual time) of the first allowance drop; null if none or unknown. */
  firstDropAt: number | null;
}

/** One traffic scale. */
export interface CapacityScale {
  scale: number;
  /** Peak tracked connections of the instance with no allowance: the allowance this traffic needs. */
  neededAllowance: number;
  /** Evaluations at the instance. */
  evaluations: number;
  rows: CapacityRow[];
}

/** capacity@1. */
export interface CapacityReport {
  schema: 'ctreplay/capacity@1';
  trace: { file: string | null; format: string | null; packets: number; firstTs: number | null; lastTs: number | null };
  instance: string;
  /** The instance's allowance in the config (null: unlimited). */
  configuredAllowance: number | null;
  scales: CapacityScale[];
}

/** What to sweep. */
export interface CapacityOptions {
  /** The instance (default: the only one). */
  readonly instance?: string;
  readonly allowances?: readonly number[];
  readonly types?: readonly string[];
  readonly scales?: readonly number[];
}

/** A run of one engine over the (scaled) trace. */
interface Run {
  readonly scale: number;
  readonly engine: WasmEngine;
  firstDrop: bigint | null;
  counters?: EngineCounters;
}

/** Rows per read: scaled batches hold scale × this many rows. */
function readRows(maxScale: number): number {
  return Math.max(16, Math.floor(65536 / maxScale / 16) * 16);
}

/** The config with the instance's allowance set (null: unlimited). */
function withAllowance(cfg: ResolvedConfig, index: number, allowance: number | null): ResolvedConfig {
  return { ...cfg, instances: cfg.instances.map((i, k) => (k === index ? { ...i, allowance } : i)) };
}

/** Copies rows [0, n) of `from` into `to`, each IP packet k times (copies 0…k−1); returns the rows written. */
export function scaleBatch(from: PacketBatch, n: number, k: number, to: PacketBatch): number {
  let j = 0;
  for (let i = 0; i < n; i++) {
    const ip = from.kind[i] === KIND.IPV4 || from.kind[i] === KIND.IPV6;
    const copies = ip ? k : 1;
    for (let c = 0; c < copies; c++) {
      to.copyRow(from, i, j);
      to.copy[j] = c;
      j++;
    }
  }
  return j;
}

/**
 * Runs `runs` over the trace: each batch is read once, scaled once per
 * scale, and copied into every run's engine.
 */
async function pass(reader: TraceReader, runs: Run[], target: number, maxScale: number): Promise<number> {
  const B = readRows(maxScale);
  const read = new PacketBatch(B);
  const scaled = new Map<number, PacketBatch>();
  for (const r of runs) if (!scaled.has(r.scale)) scaled.set(r.scale, new PacketBatch(B * r.scale));
  for (const r of runs) r.engine.exports.enableLog();
  let packets = 0;
  for (;;) {
    const n = await reader.next(read);
    if (n === 0) break;
    packets += n;
    const rows = new Map<number, number>();
    for (const [k, b] of scaled) rows.set(k, scaleBatch(read, n, k, b));
    for (const r of runs) {
      const src = scaled.get(r.scale)!;
      const m = rows.get(r.scale)!;
      const dst = r.engine.batch();
      // Same layout and capacity: one copy of the whole batch region.
      new Uint8Array(dst.buffer, dst.byteOffset, src.capacity * BATCH_BYTES_PER_PACKET).set(
        new Uint8Array(src.buffer, src.byteOffset, src.capacity * BATCH_BYTES_PER_PACKET),
      );
      r.engine.exports.resetLog();
      r.engine.process(m);
      if (r.firstDrop === null) r.firstDrop = firstDrop(r.engine, target);
    }
  }
  for (const r of runs) r.counters = r.engine.finish();
  return packets;
}

/** The virtual time of the first allowance drop of instance `target` in the engine's last batch, or null. */
function firstDrop(engine: WasmEngine, target: number): bigint | null {
  const x = engine.exports;
  const len = x.logLen();
  if (len === 0) return null;
  const words = new Uint32Array(x.memory.buffer, x.logPtr(), 2 * len);
  for (let k = 0; k < len; k++) {
    const w = words[2 * k + 1]!;
    if ((w & 0xffff) === target && w >>> 16 === 2) return engine.batch().ts[words[2 * k]!]!;
  }
  return null;
}

function evaluations(c: { verdicts: readonly number[] }): number {
  let n = 0;
  for (let v = V.NEW; v <= V.DROP_LINKLOCAL; v++) n += c.verdicts[v] ?? 0;
  return n;
}

/** Runs the capacity analysis. `open` opens the trace afresh for each pass. */
export async function runCapacity(
  cfg: ResolvedConfig,
  open: () => Promise<TraceReader>,
  opts: CapacityOptions = {},
): Promise<CapacityReport> {
  const scales = [...new Set(opts.scales ?? [1])].sort((a, b) => a - b);
  for (const s of scales) {
    if (!Number.isInteger(s) || s < 1 || s > 256)
      throw new UsageError(`capacity: a scale is a whole number from 1 to 256, got ${s}`);
  }
  let target: number;
  if (opts.instance !== undefined) {
    target = cfg.instances.findIndex((i) => i.id === opts.instance);
    if (target < 0)
      throw new UsageError(
        `capacity: no instance "${opts.instance}" in ${cfg.file} (instances: ${cfg.instances.map((i) => i.id).join(', ')})`,
      );
  } else if (cfg.instances.length === 1) {
    target = 0;
  } else {
    throw new UsageError(
      `capacity: ${cfg.file} has ${cfg.instances.length} instances (${cfg.instances.map((i) => i.id).join(', ')}); choose one with --instance`,
    );
  }
  const inst = cfg.instances[target]!;
  const maxScale = scales[scales.length - 1]!;

  // Pass 1: unlimited.
  const unlimited = withAllowance(cfg, target, null);
  const base: Run[] = scales.map((scale) => ({
    scale,
    engine: new WasmEngine(unlimited, { batchCapacity: readRows(maxScale) * scale }),
    firstDrop: null,
  }));
  let reader = await open();
  let packets: number;
  try {
    packets = await pass(reader, base, target, maxScale);
  } finally {
    await reader.close();
  }
  const stats = base[0]!.engine.traceStats();
  const needed = new Map<number, { peak: number; evaluations: number }>();
  for (const r of base) {
    const c = r.counters!.instances[target]!;
    needed.set(r.scale, { peak: c.peakTracked, evaluations: evaluations(c) });
  }

  // The allowances to try.
  const wanted: Array<{ allowance: number | null; type: string | null; source: string }> = [];
  for (const a of opts.allowances ?? []) {
    if (!Number.isInteger(a) || a < 0) throw new UsageError(`capacity: an allowance is a whole number ≥ 0, got ${a}`);
    wanted.push({ allowance: a, type: null, source: '--allowances' });
  }
  for (const t of opts.types ?? []) {
    const e = cfg.catalog.get(t);
    if (!e) {
      wanted.push({ allowance: null, type: t, source: 'not in the catalog' });
    } else {
      wanted.push({
        allowance: e.allowance,
        type: t,
        source: e.allowance === null ? `unknown: ${e.source}` : `catalog: ${e.source}`,
      });
    }
  }
  if (wanted.length === 0) {
    // A sweep around what the trace needs at scale 1, the configured allowance, and every measured type.
    const need = needed.get(scales[0]!)!.peak;
    for (const f of [0.25, 0.5, 0.75, 0.9])
      wanted.push({ allowance: Math.max(0, Math.floor(need * f)), type: null, source: 'sweep' });
    if (inst.allowance !== null) wanted.push({ allowance: inst.allowance, type: inst.type, source: 'configured' });
    for (const e of cfg.catalog.values()) {
      if (e.allowance !== null) wanted.push({ allowance: e.allowance, type: e.type, source: `catalog: ${e.source}` });
    }
  }
  // Each scale's needed allowance is a row too: the first with no drops.
  const rowsWanted = (scale: number) => {
    const list = [...wanted, { allowance: needed.get(scale)!.peak, type: null, source: 'needed' }];
    const seen = new Set<string>();
    return list
      .filter((w) => {
        const key = `${w.allowance}|${w.type}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .sort((a, b) => (a.allowance ?? Infinity) - (b.allowance ?? Infinity));
  };

  // Pass 2: one run per (scale, known allowance below the peak); at or above it, the run is the unlimited one.
  const runs = new Map<string, Run>();
  for (const scale of scales) {
    const peak = needed.get(scale)!.peak;
    for (const w of rowsWanted(scale)) {
      if (w.allowance === null || w.allowance >= peak) continue;
      const key = `${scale}|${w.allowance}`;
      if (!runs.has(key)) {
        const c = withAllowance(cfg, target, w.allowance);
        runs.set(key, {
          scale,
          engine: new WasmEngine(c, { batchCapacity: readRows(maxScale) * scale }),
          firstDrop: null,
        });
      }
    }
  }
  if (runs.size > 0) {
    reader = await open();
    try {
      await pass(reader, [...runs.values()], target, maxScale);
    } finally {
      await reader.close();
    }
  }

  const report: CapacityReport = {
    schema: 'ctreplay/capacity@1',
    trace: {
      file: reader.file,
      format: reader.format,
      packets,
      firstTs: stats.firstTs === null ? null : nsToSeconds(stats.firstTs),
      lastTs: stats.lastTs === null ? null : nsToSeconds(stats.lastTs),
    },
    instance: inst.id,
    configuredAllowance: inst.allowance,
    scales: scales.map((scale) => {
      const n = needed.get(scale)!;
      return {
        scale,
        neededAllowance: n.peak,
        evaluations: n.evaluations,
        rows: rowsWanted(scale).map((w): CapacityRow => {
          if (w.allowance === null) {
            return {
              allowance: null,
              type: w.type,
              source: w.source,
              dropRate: null,
              conntrackAllowanceExceeded: null,
              peakTracked: null,
              conntrackAllowanceAvailableMin: null,
              firstDropAt: null,
            };
          }
          if (w.allowance >= n.peak) {
            return {
              allowance: w.allowance,
              type: w.type,
              source: w.source,
              dropRate: 0,
              conntrackAllowanceExceeded: 0,
              peakTracked: n.peak,
              conntrackAllowanceAvailableMin: w.allowance - n.peak,
              firstDropAt: null,
            };
          }
          const run = runs.get(`${scale}|${w.allowance}`)!;
          const c = run.counters!.instances[target]!;
          const evals = evaluations(c);
          return {
            allowance: w.allowance,
            type: w.type,
            source: w.source,
            dropRate: evals === 0 ? 0 : c.conntrackAllowanceExceeded / evals,
            conntrackAllowanceExceeded: c.conntrackAllowanceExceeded,
            peakTracked: c.peakTracked,
            conntrackAllowanceAvailableMin: w.allowance - c.peakTracked,
            firstDropAt: run.firstDrop === null ? null : nsToSeconds(run.firstDrop),
          };
        }),
      };
    }),
  };
  return report;
}
