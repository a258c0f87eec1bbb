/**
 * The `ctreplay/report@1` JSON object (DESIGN.md "Report"). Fields named
 * there keep their meaning; fields added here are extra.
 */
import type { ResolvedConfig } from '../config/types.js';
import { V, verdictName, type Verdict } from '../model/verdict.js';
import { nsToSeconds } from '../model/time.js';
import type { RunResult } from '../replay/run.js';
import type { SeriesPoint } from '../parallel/merge.js';
import type { LatencySummary } from './latency.js';

/** Counts per evaluation verdict. */
export type VerdictCounts = Record<Exclude<Verdict, 'foreign' | 'malformed'>, number>;

/** One instance in the report. */
export interface InstanceReport {
  id: string;
  type: string | null;
  /** null when unlimited (S17). */
  allowance: number | null;
  /** Where the allowance came from: config, catalog, unlimited. */
  allowanceSource: string;
  peakTracked: number;
  trackedAtEnd: number;
  conntrackAllowanceExceeded: number;
  /** allowance − most tracked at once (S18); null when unlimited. */
  conntrackAllowanceAvailableMin: number | null;
  linklocalAllowanceExceeded: number;
  verdicts: VerdictCounts;
}

/** report@1. */
export interface Report {
  schema: 'ctreplay/report@1';
  trace: {
    file: string | null;
    format: string | null;
    packets: number;
    bytes: number;
    /** Seconds (first readable timestamp); null for an empty trace. */
    firstTs: number | null;
    /** Seconds (final virtual time). */
    lastTs: number | null;
    malformed: number;
    reordered: number;
    foreign: number;
  };
  verdicts: VerdictCounts;
  instances: InstanceReport[];
  run: {
    engine: string;
    workers: number;
    wallSeconds: number;
    packetsPerSecond: number;
    /** Bytes of trace (IP datagram lengths) per second of wall time. */
    bytesPerSecond: number;
    digest: string;
    config: string;
    /**
     * How the workers share each instance's allowance: always "exact" — rows
     * during which an allowance could bind are decided serially — so
     * verdicts, counters and digest are those of one engine.
     */
    allowanceMode: 'exact';
    /** The most packets whose verdict may differ from a one-worker run (0: see allowanceMode). */
    allowanceDeviationBound: number;
    /** Packets decided serially (by one worker, every shard's state) because an allowance could bind. */
    serialPackets: number;
    /** Rounds of the parallel run (0 in-process). */
    rounds: number;
  };
  latency: LatencySummary;
  /** Tracked connections, allowance available and drops per virtual-time interval, per instance. */
  series?: {
    interval: number;
    points: Array<{
      t: number;
      tracked: Record<string, number>;
      available: Record<string, number | null>;
      drops: Record<string, number>;
    }>;
  };
}

function verdictCounts(counts: readonly number[]): VerdictCounts {
  const out = {} as VerdictCounts;
  for (let code = V.NEW; code <= V.DROP_LINKLOCAL; code++) {
    out[verdictName(code) as keyof VerdictCounts] = counts[code] ?? 0;
  }
  return out;
}

/** What a parallel run adds to a RunResult. */
export interface RunExtras {
  readonly series?: { interval: number; points: SeriesPoint[] };
  readonly serialRows?: number;
  readonly rounds?: number;
}

/** Builds report@1 from a run. */
export function buildReport(
  cfg: ResolvedConfig,
  r: RunResult & RunExtras,
  trace: { file: string | null; format: string | null },
): Report {
  const ids = cfg.instances.map((i) => i.id);
  const report: Report = {
    schema: 'ctreplay/report@1',
    trace: {
      file: trace.file,
      format: trace.format,
      packets: r.trace.packets,
      bytes: r.trace.bytes,
      firstTs: r.trace.firstTs === null ? null : nsToSeconds(r.trace.firstTs),
      lastTs: r.trace.lastTs === null ? null : nsToSeconds(r.trace.lastTs),
      malformed: r.counters.verdicts[V.MALFORMED] ?? 0,
      reordered: r.trace.reordered,
      foreign: r.counters.verdicts[V.FOREIGN] ?? 0,
    },
    verdicts: verdictCounts(r.counters.verdicts),
    instances: cfg.instances.map((inst, i) => {
      const c = r.counters.instances[i]!;
      return {
        id: inst.id,
        type: inst.type,
        allowance: inst.allowance,
        allowanceSource: inst.allowanceSource,
        peakTracked: c.peakTracked,
        trackedAtEnd: c.trackedAtEnd,
        conntrackAllowanceExceeded: c.conntrackAllowanceExceeded,
        conntrackAllowanceAvailableMin: inst.allowance === null ? null : inst.allowance - c.peakTracked,
        linklocalAllowanceExceeded: c.linklocalAllowanceExceeded,
        verdicts: verdictCounts(c.verdicts),
      };
    }),
    run: {
      engine: r.engine,
      workers: r.workers,
      wallSeconds: round(r.wallSeconds, 6),
      packetsPerSecond: r.wallSeconds > 0 ? Math.round(r.trace.packets / r.wallSeconds) : 0,
      bytesPerSecond: r.wallSeconds > 0 ? Math.round(r.trace.bytes / r.wallSeconds) : 0,
      digest: r.digest,
      config: cfg.file,
      allowanceMode: 'exact',
      allowanceDeviationBound: 0,
      serialPackets: r.serialRows ?? 0,
      rounds: r.rounds ?? 0,
    },
    latency: r.latency,
  };
  if (r.series) {
    report.series = {
      interval: r.series.interval,
      points: r.series.points.map((p) => ({
        t: p.t,
        tracked: Object.fromEntries(ids.map((id, i) => [id, p.tracked[i]!])),
        available: Object.fromEntries(
          ids.map((id, i) => [
            id,
            cfg.instances[i]!.allowance === null ? null : cfg.instances[i]!.allowance! - p.tracked[i]!,
          ]),
        ),
        drops: Object.fromEntries(ids.map((id, i) => [id, p.drops[i]!])),
      })),
    };
  }
  return report;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
