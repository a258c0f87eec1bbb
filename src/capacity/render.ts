/** `capacity` as text (a table per scale) and Markdown. */
import type { CapacityReport, CapacityRow } from './capacity.js';

const nf = new Intl.NumberFormat('en-US');

function rate(r: number | null): string {
  if (r === null) return 'unknown';
  if (r === 0) return '0 %';
  const p = 100 * r;
  return `${p < 0.01 ? p.toExponential(1) : p < 1 ? p.toFixed(3) : p.toFixed(1)} %`;
}

function num(n: number | null): string {
  return n === null ? '—' : nf.format(n);
}

function firstDrop(rep: CapacityReport, row: CapacityRow): string {
  if (row.firstDropAt === null) return row.allowance === null ? '—' : 'none';
  const t0 = rep.trace.firstTs ?? row.firstDropAt;
  return `+${(row.firstDropAt - t0).toFixed(1)} s`;
}

function label(row: CapacityRow): string {
  if (row.source === 'needed') return '(needed)';
  if (row.type !== null) return row.type;
  return row.source === 'sweep' ? '(sweep)' : '';
}

const HEAD = ['allowance', 'type', 'drop rate', 'exceeded', 'peak tracked', 'min available', 'first drop'];

function cells(rep: CapacityReport, r: CapacityRow): string[] {
  return [
    r.allowance === null ? 'unknown' : nf.format(r.allowance),
    label(r),
    rate(r.dropRate),
    num(r.conntrackAllowanceExceeded),
    num(r.peakTracked),
    num(r.conntrackAllowanceAvailableMin),
    firstDrop(rep, r),
  ];
}

function intro(rep: CapacityReport): string {
  const span =
    rep.trace.firstTs !== null && rep.trace.lastTs !== null
      ? `, ${(rep.trace.lastTs - rep.trace.firstTs).toFixed(1)} s`
      : '';
  return `${nf.format(rep.trace.packets)} packets${span}; instance ${rep.instance}, configured allowance ${rep.configuredAllowance === null ? 'unlimited' : nf.format(rep.configuredAllowance)}`;
}

/** Text: one table per scale. */
export function renderCapacityText(rep: CapacityReport): string {
  const out = [`ctreplay capacity — ${rep.trace.file ?? '(packets)'} (${rep.trace.format ?? '?'})`, intro(rep), ''];
  for (const s of rep.scales) {
    out.push(
      `scale ${s.scale}${s.scale > 1 ? ` (${s.scale} copies of every flow)` : ''}: ${nf.format(s.neededAllowance)} tracked connections at the peak — the allowance needed for zero drops`,
    );
    const rows = s.rows.map((r) => cells(rep, r));
    const w = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (c: string[]) => '  ' + c.map((x, i) => (i === 1 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
    out.push(line(HEAD));
    for (const r of rows) out.push(line(r));
    const unknown = s.rows.filter((r) => r.allowance === null);
    for (const u of unknown)
      out.push(`  ${u.type}: allowance unknown (${u.source}); measure it and add it with --catalog`);
    out.push('');
  }
  return out.join('\n');
}

/** Markdown, for a pull-request comment. */
export function renderCapacityMarkdown(rep: CapacityReport): string {
  const out = [`### ctreplay capacity: \`${rep.trace.file ?? '(packets)'}\``, '', intro(rep) + '.', ''];
  for (const s of rep.scales) {
    out.push(
      `**Scale ${s.scale}** — needs **${nf.format(s.neededAllowance)}** tracked connections for zero drops.`,
      '',
      `| ${HEAD.join(' | ')} |`,
      `|${HEAD.map((_, i) => (i === 1 ? '---' : '---:')).join('|')}|`,
    );
    for (const r of s.rows) out.push(`| ${cells(rep, r).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}
