// Issue 5 "bounded resources": memory follows the concurrent flows and the batch size, not the trace
// length — ten times the packets over the same 30,000 connections grows the peak RSS by less than 10 %.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/generate.js';

const dir = mkdtempSync(join(tmpdir(), 'ctreplay-rss-'));
const script = join(import.meta.dirname, '..', 'fixtures', 'rss-replay.mjs');

async function peakRss(packets: number) {
  const out = join(dir, `fill-${packets}.arrow`);
  const configOut = join(dir, `fill-${packets}.config.yaml`);
  await generate({ workload: 'fill', out, format: 'arrow', packets, flows: 30_000, seed: 3, configOut });
  const r = JSON.parse(execFileSync(process.execPath, [script, out, configOut], { encoding: 'utf8' }));
  return r as { maxRssKiB: number; packets: number; peak: number };
}

describe('memory does not grow with the trace length', () => {
  it('300 k and 3 M packets of the same 30 k connections: peak RSS within 10 %', async () => {
    const small = await peakRss(300_000);
    const large = await peakRss(3_000_000);
    expect(small.packets).toBe(300_000);
    expect(large.packets).toBe(3_000_000);
    // The same connections are open at once in both.
    expect(small.peak).toBe(30_000);
    expect(large.peak).toBe(30_000);
    console.log(`peak RSS: ${small.maxRssKiB} KiB for 300 k packets, ${large.maxRssKiB} KiB for 3 M`);
    expect(large.maxRssKiB).toBeLessThan(small.maxRssKiB * 1.1);
  }, 120_000);
});
