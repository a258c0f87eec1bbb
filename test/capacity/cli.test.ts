// `ctreplay capacity` as users run it: formats, and bad input refused with exit 2 and no stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/generate.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'ctreplay.js');
const dir = mkdtempSync(join(tmpdir(), 'ctreplay-capacity-cli-'));
const trace = join(dir, 'nat.arrow');
const config = join(dir, 'nat.config.yaml');

function ctreplay(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  await generate({ workload: 'nat', out: trace, format: 'arrow', packets: 20_000, seed: 2, configOut: config });
});

describe('ctreplay capacity', () => {
  it('--format json prints capacity@1 with a needed allowance per scale', () => {
    const r = ctreplay(
      'capacity',
      trace,
      '--config',
      config,
      '--scale',
      '1,3',
      '--allowances',
      '100,200',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.schema).toBe('ctreplay/capacity@1');
    expect(rep.instance).toBe('nat-1');
    expect(rep.scales.map((s: { scale: number }) => s.scale)).toEqual([1, 3]);
    expect(rep.scales[1].neededAllowance).toBe(3 * rep.scales[0].neededAllowance);
    for (const s of rep.scales) {
      for (const row of s.rows) {
        expect(Object.keys(row).sort()).toEqual(
          [
            'allowance',
            'conntrackAllowanceAvailableMin',
            'conntrackAllowanceExceeded',
            'dropRate',
            'firstDropAt',
            'peakTracked',
            'source',
            'type',
          ].sort(),
        );
      }
      expect(s.rows.some((row: { source: string }) => row.source === 'needed')).toBe(true);
    }
  });

  it('text and Markdown tables; --out writes the file', () => {
    const t = ctreplay('capacity', trace, '--config', config);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/scale 1: [\d,]+ tracked connections at the peak — the allowance needed for zero drops/);
    expect(t.out).toMatch(/\(needed\)\s+0 %\s+0 /);
    const out = join(dir, 'cap.md');
    const m = ctreplay('capacity', trace, '--config', config, '--format', 'md', '--out', out);
    expect(m.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^\| allowance \| type \| drop rate \| exceeded \| peak tracked \|/m);
  });

  it('refuses bad input with exit 2 and one message', () => {
    for (const [args, msg] of [
      [['--scale', '0'], /a scale is a whole number from 1 to 256, got 0/],
      [['--scale', 'two'], /--scale takes whole numbers separated by commas, got "two"/],
      [['--allowances', '5,-1'], /--allowances takes whole numbers separated by commas, got "-1"/],
      [['--instance', 'nope'], /no instance "nope" in .*nat\.config\.yaml \(instances: nat-1\)/],
    ] as const) {
      const r = ctreplay('capacity', trace, '--config', config, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const notTrace = ctreplay('capacity', config, '--config', config);
    expect(notTrace.code).toBe(2);
    expect(notTrace.err).toMatch(/not a trace|not a readable/);
  });

  it('a config with several instances needs --instance', () => {
    const mixed = join(dir, 'mixed.arrow');
    const mixedCfg = join(dir, 'mixed.config.yaml');
    const g = spawnSync(process.execPath, [bin, 'generate', 'mixed', '--packets', '2000', '--out', mixed], {
      encoding: 'utf8',
    });
    expect(g.status).toBe(0);
    const r = ctreplay('capacity', mixed, '--config', mixedCfg);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/has 4 instances \(web-1, dns-1, scanner-1, host-1\); choose one with --instance/);
    expect(ctreplay('capacity', mixed, '--config', mixedCfg, '--instance', 'dns-1').code).toBe(0);
  });
});
