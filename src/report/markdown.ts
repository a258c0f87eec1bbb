/**
 * The report as Markdown (`--format md`), for a pull-request comment: the
 * verdict table, the instance table, and the run.
 */
import type { Report } from './report.js';
import { bytes, ns, pct } from './text.js';

const nf = new Intl.NumberFormat('en-US');

/** Renders a report as Markdown. */
export function renderMarkdown(r: Report): string {
  const t = r.trace;
  const total = Object.values(r.verdicts).reduce((a, b) => a + b, 0);
  const out: string[] = [];
  out.push(`### ctreplay: \`${t.file ?? '(packets)'}\``);
  out.push('');
  out.push(
    `${nf.format(t.packets)} packets (${bytes(t.bytes)}${t.firstTs !== null && t.lastTs !== null ? `, ${(t.lastTs - t.firstTs).toFixed(1)} s of trace` : ''}), malformed ${nf.format(t.malformed)}, reordered ${nf.format(t.reordered)}, foreign ${nf.format(t.foreign)}.`,
  );
  out.push('');
  out.push('| verdict | evaluations | share |');
  out.push('|---|---:|---:|');
  for (const [k, v] of Object.entries(r.verdicts)) out.push(`| \`${k}\` | ${nf.format(v)} | ${pct(v, total).trim()} |`);
  out.push('');
  out.push(
    '| instance | allowance | peak tracked | at end | min available | allowance exceeded | link-local exceeded |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const i of r.instances) {
    out.push(
      `| ${i.id}${i.type ? ` (${i.type})` : ''} | ${i.allowance === null ? 'unlimited' : `${nf.format(i.allowance)} (${i.allowanceSource})`} | ${nf.format(i.peakTracked)} | ${nf.format(i.trackedAtEnd)} | ${i.conntrackAllowanceAvailableMin === null ? '—' : nf.format(i.conntrackAllowanceAvailableMin)} | ${nf.format(i.conntrackAllowanceExceeded)} | ${nf.format(i.linklocalAllowanceExceeded)} |`,
    );
  }
  out.push('');
  const run = r.run;
  out.push(
    `${run.engine} engine, ${run.workers} worker${run.workers === 1 ? '' : 's'}: ${run.wallSeconds.toFixed(2)} s, ${nf.format(run.packetsPerSecond)} packets/s; latency p50 ${ns(r.latency.p50)}, p99 ${ns(r.latency.p99)}. Digest \`${run.digest.slice(0, 16)}…\`${run.serialPackets > 0 ? ` (${nf.format(run.serialPackets)} packets decided serially while an allowance could bind)` : ''}.`,
  );
  return out.join('\n') + '\n';
}
