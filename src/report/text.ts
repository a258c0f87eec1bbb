/**
 * The readable summary of a report (`--format text`): verdicts with
 * percentages, per-instance allowance use and drop rate, the tracked count
 * over time as a sparkline, throughput and latency.
 */
import type { Report } from './report.js';

const nf = new Intl.NumberFormat('en-US');

/** "12.3 %" of n in total, right-aligned; "-" when total is 0. */
export function pct(n: number, total: number): string {
  return total === 0 ? '    -' : `${((100 * n) / total).toFixed(1).padStart(5)} %`;
}

/** A duration in ns, readable. */
export function ns(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)} s`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} ms`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)} µs`;
  return `${x} ns`;
}

/** A byte count, readable. */
export function bytes(b: number): string {
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(2)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${b} B`;
}

/** A sparkline of values, `width` characters, scaled to max(values, ceiling). */
export function sparkline(values: readonly number[], width: number, ceiling = 0): string {
  if (values.length === 0) return '';
  const bars = '▁▂▃▄▅▆▇█';
  const step = values.length / width;
  const cols: number[] = [];
  for (let c = 0; c < Math.min(width, values.length); c++) {
    const from = Math.floor(c * (values.length > width ? step : 1));
    const to = Math.max(from + 1, Math.floor((c + 1) * (values.length > width ? step : 1)));
    cols.push(Math.max(...values.slice(from, to)));
  }
  const top = Math.max(ceiling, ...cols, 1);
  return cols.map((v) => bars[Math.min(7, Math.floor((v / top) * 7.999))]!).join('');
}

/** Renders a report as text. */
export function renderText(r: Report): string {
  const out: string[] = [];
  const t = r.trace;
  out.push(`ctreplay report — ${t.file ?? '(packets)'}${t.format ? ` (${t.format})` : ''}, config ${r.run.config}`);
  out.push('');
  const span = t.firstTs !== null && t.lastTs !== null ? `, ${(t.lastTs - t.firstTs).toFixed(3)} s of trace` : '';
  out.push(`trace      ${nf.format(t.packets)} packets, ${bytes(t.bytes)}${span}`);
  out.push(
    `           malformed ${nf.format(t.malformed)}, reordered ${nf.format(t.reordered)}, foreign ${nf.format(t.foreign)}`,
  );
  const total = Object.values(r.verdicts).reduce((a, b) => a + b, 0);
  out.push(`verdicts   ${nf.format(total)} evaluations`);
  for (const [k, v] of Object.entries(r.verdicts)) {
    out.push(`  ${k.padEnd(16)} ${nf.format(v).padStart(12)}  ${pct(v, total)}`);
  }
  out.push('instances');
  for (const i of r.instances) {
    const evals = Object.values(i.verdicts).reduce((a, b) => a + b, 0);
    const allowance =
      i.allowance === null
        ? `allowance unlimited (needs ${nf.format(i.peakTracked)})`
        : `allowance ${nf.format(i.allowance)} (${i.allowanceSource}), peak ${pct(i.peakTracked, i.allowance).trim()} used, min available ${nf.format(i.conntrackAllowanceAvailableMin ?? 0)}`;
    out.push(`  ${i.id}${i.type ? ` (${i.type})` : ''}: ${allowance}`);
    out.push(`    tracked peak ${nf.format(i.peakTracked)}, at end ${nf.format(i.trackedAtEnd)}`);
    out.push(
      `    conntrack_allowance_exceeded ${nf.format(i.conntrackAllowanceExceeded)} (drop rate ${pct(i.conntrackAllowanceExceeded, evals).trim()}), linklocal_allowance_exceeded ${nf.format(i.linklocalAllowanceExceeded)}`,
    );
    if (r.series && r.series.points.length > 1) {
      const tracked = r.series.points.map((p) => p.tracked[i.id] ?? 0);
      const drops = r.series.points.map((p) => p.drops[i.id] ?? 0);
      out.push(
        `    tracked over time ${sparkline(tracked, 48, i.allowance ?? 0)}${i.allowance !== null ? ` (scale: allowance ${nf.format(i.allowance)})` : ''}`,
      );
      if (drops.some((d) => d > 0)) out.push(`    drops over time   ${sparkline(drops, 48)}`);
    }
  }
  const run = r.run;
  out.push(
    `run        ${run.engine} engine, ${run.workers} worker${run.workers === 1 ? '' : 's'}, ${run.wallSeconds.toFixed(3)} s wall, ${nf.format(run.packetsPerSecond)} packets/s, ${bytes(run.bytesPerSecond)}/s`,
  );
  if (run.serialPackets > 0) {
    out.push(
      `           ${nf.format(run.serialPackets)} packets (${pct(run.serialPackets, r.trace.packets).trim()}) decided serially while an allowance could bind (verdicts exact for any worker count)`,
    );
  }
  const l = r.latency;
  out.push(
    `latency    p50 ${ns(l.p50)}, p90 ${ns(l.p90)}, p99 ${ns(l.p99)}, p99.9 ${ns(l.p999)}, max ${ns(l.max)} per packet`,
  );
  out.push(`digest     ${run.digest}`);
  return out.join('\n') + '\n';
}
