// Round trips: the same traffic gives the same verdicts whatever the file format (issue 4).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { generate } from '../../src/generate/generate.js';
import { WORKLOADS } from '../../src/generate/workloads.js';
import { runTrace, type EngineName } from '../../src/replay/run.js';
import { ArrowTraceWriter } from '../../src/trace/arrow.js';
import { PacketBatch } from '../../src/trace/batch.js';
import { openTrace } from '../../src/trace/source.js';
import { tmp } from './frames.js';

async function replay(trace: string, config: string, engine: EngineName = 'wasm') {
  const reader = await openTrace(trace);
  try {
    const r = await runTrace(loadConfig(config), reader, { engine });
    return { digest: r.digest, counters: r.counters, trace: r.trace, format: reader.format, warnings: reader.warnings };
  } finally {
    await reader.close();
  }
}

async function convert(input: string, output: string, format: 'file' | 'stream' = 'file') {
  const r = await openTrace(input);
  const w = new ArrowTraceWriter(output, format);
  const b = new PacketBatch(1024);
  for (;;) {
    const n = await r.next(b);
    if (n === 0) break;
    w.write(b, n);
  }
  await r.close();
  await w.close();
}

describe('generate: pcap and Arrow of the same seed replay identically', () => {
  it.each(Object.keys(WORKLOADS))('%s', async (name) => {
    const base = join(tmp, `gen-${name}`);
    const common = { workload: name, packets: 6000, seed: 42, configOut: `${base}.config.yaml` };
    const pcap = await generate({ ...common, out: `${base}.pcap`, format: 'pcap' });
    const arrow = await generate({ ...common, out: `${base}.arrow`, format: 'arrow' });
    expect(pcap.packets).toBe(arrow.packets);
    const a = await replay(`${base}.pcap`, `${base}.config.yaml`);
    const b = await replay(`${base}.arrow`, `${base}.config.yaml`);
    expect(a.format).toBe('pcap-ns');
    expect(b.format).toBe('arrow');
    expect(b.digest).toBe(a.digest);
    expect(b.counters).toEqual(a.counters);
    expect(b.trace).toEqual(a.trace);
    expect(a.trace.packets).toBe(pcap.packets);
    expect(a.trace.reordered).toBe(0);
    expect(a.counters.verdicts[10]).toBe(0); // malformed
    // Something is tracked in every workload.
    expect(a.counters.verdicts[1]).toBeGreaterThan(0);
  });

  it('the same seed gives the same file; another seed another', async () => {
    const o = { workload: 'mixed', packets: 3000, configOut: join(tmp, 'seed.config.yaml'), format: 'pcap' as const };
    await generate({ ...o, seed: 7, out: join(tmp, 'seed-a.pcap') });
    await generate({ ...o, seed: 7, out: join(tmp, 'seed-b.pcap') });
    await generate({ ...o, seed: 8, out: join(tmp, 'seed-c.pcap') });
    expect(readFileSync(join(tmp, 'seed-a.pcap')).equals(readFileSync(join(tmp, 'seed-b.pcap')))).toBe(true);
    expect(readFileSync(join(tmp, 'seed-a.pcap')).equals(readFileSync(join(tmp, 'seed-c.pcap')))).toBe(false);
  });
});

describe('convert: pcap → Arrow → replay ≡ replay of the pcap', () => {
  it('pcap, gzip pcap, Arrow file and Arrow stream all give the same digest, on both engines', async () => {
    const base = join(tmp, 'conv');
    await generate({
      workload: 'mixed',
      packets: 8000,
      seed: 3,
      out: `${base}.pcap`,
      format: 'pcap',
      configOut: `${base}.config.yaml`,
    });
    writeFileSync(`${base}.pcap.gz`, gzipSync(readFileSync(`${base}.pcap`)));
    await convert(`${base}.pcap`, `${base}.arrow`);
    await convert(`${base}.pcap.gz`, `${base}.stream.arrow`, 'stream');
    const cfg = `${base}.config.yaml`;
    const ref = await replay(`${base}.pcap`, cfg, 'reference');
    for (const [file, format] of [
      [`${base}.pcap`, 'pcap-ns'],
      [`${base}.pcap.gz`, 'pcap-ns+gzip'],
      [`${base}.arrow`, 'arrow'],
      [`${base}.stream.arrow`, 'arrow-stream'],
    ] as const) {
      const r = await replay(file, cfg);
      expect(r.format).toBe(format);
      expect(r.digest, file).toBe(ref.digest);
      expect(r.counters).toEqual(ref.counters);
    }
  });

  it('JSON lines → Arrow keeps malformed packets and unreadable times', async () => {
    const example = join(import.meta.dirname, '..', '..', 'traces');
    await convert(join(example, 'example.jsonl'), join(tmp, 'example.arrow'));
    const a = await replay(join(example, 'example.jsonl'), join(example, 'example.yaml'));
    const b = await replay(join(tmp, 'example.arrow'), join(example, 'example.yaml'));
    expect(b.digest).toBe(a.digest);
    expect(b.trace).toEqual(a.trace);
    expect(b.counters.verdicts[10]).toBe(1); // malformed
  });
});

describe('the Arrow writer', () => {
  it('writes each record batch to the file as it comes (memory stays at one batch), in both formats', async () => {
    for (const format of ['file', 'stream'] as const) {
      const out = join(tmp, `incremental.${format}.arrow`);
      const w = new ArrowTraceWriter(out, format);
      const b = new PacketBatch(1024);
      b.kind.fill(0);
      const sizes: number[] = [];
      for (let k = 0; k < 3; k++) {
        w.write(b, 1024);
        sizes.push(statSync(out).size);
      }
      // Each batch is on disk before the next is written, and before close().
      expect(sizes[0]!).toBeGreaterThan(1024 * 20);
      expect(sizes[1]! - sizes[0]!).toBeGreaterThan(1024 * 20);
      expect(sizes[2]! - sizes[1]!).toBe(sizes[1]! - sizes[0]!);
      await w.close();
      const r = await openTrace(out);
      let rows = 0;
      for (let n; (n = await r.next(new PacketBatch(4096))) > 0;) rows += n;
      await r.close();
      expect(rows).toBe(3072);
    }
  });

  it('an empty trace is a valid Arrow file and stream of 0 packets', async () => {
    for (const format of ['file', 'stream'] as const) {
      const out = join(tmp, `empty.${format}.arrow`);
      const w = new ArrowTraceWriter(out, format);
      await w.close();
      const r = await openTrace(out);
      expect(r.format).toBe(format === 'file' ? 'arrow' : 'arrow-stream');
      expect(await r.next(new PacketBatch(16))).toBe(0);
      await r.close();
    }
  });
});
