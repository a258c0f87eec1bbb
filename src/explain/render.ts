/** `explain` as text and Markdown. */
import type { ExplainGroup, ExplainReport } from './explain.js';

const nf = new Intl.NumberFormat('en-US');

function service(g: ExplainGroup): string {
  if (g.port === null) return g.protocol;
  return g.protocol.startsWith('icmp') ? `${g.protocol} type ${g.port}` : `${g.protocol}/${g.port}`;
}

function mix(g: ExplainGroup): string {
  const parts = Object.entries(g.classes).filter(([, n]) => n > 0);
  return parts.length === 1 ? parts[0]![0] : parts.map(([k, n]) => `${k} ${nf.format(n)}`).join(', ');
}

/** Text: per instance, one block per group. */
export function renderExplainText(r: ExplainReport): string {
  const out = [
    `ctreplay explain — ${r.trace.file ?? '(packets)'} (${r.trace.format ?? '?'}), ${nf.format(r.trace.packets)} packets`,
  ];
  let instance = '';
  for (const g of r.groups) {
    if (g.instance !== instance) {
      instance = g.instance;
      out.push('', `instance ${instance}`);
    }
    out.push(
      `  ${g.direction.padEnd(8)} ${service(g).padEnd(16)} ${nf.format(g.flows).padStart(9)} flows ${nf.format(g.packets).padStart(11)} packets  ${mix(g)}`,
    );
    for (const reason of g.reasons) {
      out.push(`      ${reason.text}${g.reasons.length > 1 ? ` (${nf.format(reason.flows)} flows)` : ''}`);
    }
    if (g.change) {
      out.push(`      to make it untracked: ${g.change.rules.join(' and ')}`);
      out.push(`      trade-off: ${g.change.tradeOff}`);
    }
  }
  return out.join('\n') + '\n';
}

/** Markdown table, for a pull-request comment. */
export function renderExplainMarkdown(r: ExplainReport): string {
  const out = [
    `### ctreplay explain: \`${r.trace.file ?? '(packets)'}\``,
    '',
    '| instance | direction | service | flows | packets | verdict | why | to make it untracked |',
    '|---|---|---|---:|---:|---|---|---|',
  ];
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  for (const g of r.groups) {
    out.push(
      `| ${g.instance} | ${g.direction} | ${service(g)} | ${nf.format(g.flows)} | ${nf.format(g.packets)} | ${mix(g)} | ${esc(g.reasons.map((x) => x.text).join('; '))} | ${g.change ? esc(`${g.change.rules.join(' and ')} — ${g.change.tradeOff}`) : ''} |`,
    );
  }
  return out.join('\n') + '\n';
}
