/**
 * The readable summary of a report (`--format text`): verdicts with
 * percentages, per-instance allowance use, drop rate, throughput, latency.
 */
import type { Report } from './report.js';

const nf = new Intl.NumberFormat('en-US');

function pct(n: number, total: number): string {
  return total === 0 ? '    -' : `${((100 * n) / total).toFixed(1).padStart(5)} %`;
}

function ns(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)} s`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} ms`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)} µs`;
  return `${x} ns`;
}

function bytes(b: number): string {
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(2)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${b} B`;
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
  }
  const run = r.run;
  out.push(
    `run        ${run.engine} engine, ${run.workers} worker${run.workers === 1 ? '' : 's'}, ${run.wallSeconds.toFixed(3)} s wall, ${nf.format(run.packetsPerSecond)} packets/s`,
  );
  const l = r.latency;
  out.push(
    `latency    p50 ${ns(l.p50)}, p90 ${ns(l.p90)}, p99 ${ns(l.p99)}, p99.9 ${ns(l.p999)}, max ${ns(l.max)} per packet`,
  );
  out.push(`digest     ${run.digest}`);
  return out.join('\n') + '\n';
}
