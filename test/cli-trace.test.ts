// The trace commands as users run them: generate, convert, replay of every format, refusals (exit 2).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'ctreplay.js');
const dir = mkdtempSync(join(tmpdir(), 'ctreplay-cli-trace-'));

function ctreplay(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function expectRefused(r: ReturnType<typeof ctreplay>, message: RegExp) {
  expect(r.code).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('generate, convert, replay', () => {
  it('generate writes a trace and a config that replay out of the box, and convert to Arrow keeps every verdict', () => {
    const g = ctreplay(
      'generate',
      'scan',
      '--out',
      'scan.pcap',
      '--packets',
      '20000',
      '--duration',
      '30',
      '--seed',
      '5',
    );
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/wrote 20,000 packets \(30\.0 s of trace/);
    expect(g.out).toContain('replay: ctreplay replay scan.pcap --config scan.config.yaml');
    const r = ctreplay('replay', 'scan.pcap', '--config', 'scan.config.yaml', '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.trace.packets).toBe(20000);
    expect(report.trace.format).toBe('pcap-ns');
    const c = ctreplay('convert', 'scan.pcap', 'scan.arrow');
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/wrote 20,000 packets from scan\.pcap \(pcap-ns\) to scan\.arrow/);
    const r2 = JSON.parse(ctreplay('replay', 'scan.arrow', '--config', 'scan.config.yaml', '--format', 'json').out);
    expect(r2.run.digest).toBe(report.run.digest);
    expect(r2.trace.format).toBe('arrow');
  });

  it('a capture cut short replays its whole packets with a warning (exit 0)', () => {
    ctreplay('generate', 'dns', '--out', 'dns.pcap', '--packets', '1000');
    const full = readFileSync(join(dir, 'dns.pcap'));
    writeFileSync(join(dir, 'cut.pcap'), full.subarray(0, full.length - 20));
    const r = ctreplay('replay', 'cut.pcap', '--config', 'dns.config.yaml', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: cut\.pcap: the file ends in the middle of a record/);
    expect(JSON.parse(r.out).trace.packets).toBe(999);
  });

  it('usage errors of generate are exit 2', () => {
    expectRefused(ctreplay('generate', 'teleport', '--out', 'x.pcap'), /unknown workload "teleport"/);
    expectRefused(ctreplay('generate', 'web', '--out', 'x.bin'), /cannot tell the format from "x\.bin"/);
    expectRefused(ctreplay('generate', 'web', '--out', 'x.pcap', '--packets', 'many'), /--packets must be a number/);
  });
});

describe('files that are not traces are refused (exit 2)', () => {
  it('random bytes, text, a gzip of text, an empty file', () => {
    writeFileSync(join(dir, 'random.bin'), Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37) & 255)));
    writeFileSync(join(dir, 'notes.txt'), 'hello, this is not a capture\n');
    writeFileSync(join(dir, 'empty.pcap'), '');
    writeFileSync(join(dir, 'text.gz'), gzipSync(Buffer.from('just text')));
    for (const [f, m] of [
      ['random.bin', /random\.bin: not a trace/],
      ['notes.txt', /notes\.txt: not a trace/],
      ['empty.pcap', /empty\.pcap: is empty; not a trace/],
      ['text.gz', /text\.gz: a gzip file, but its content is not a pcap or pcapng capture/],
    ] as const) {
      expectRefused(ctreplay('replay', f, '--config', join(root, 'traces', 'example.yaml')), m);
      expectRefused(ctreplay('convert', f, 'out.arrow'), m);
    }
  });

  it('an Arrow file that is not a ctreplay trace', async () => {
    const t = A.tableFromArrays({ a: new Int32Array([1, 2, 3]) });
    writeFileSync(join(dir, 'other.arrow'), A.tableToIPC(t, 'file'));
    expectRefused(
      ctreplay('replay', 'other.arrow', '--config', join(root, 'traces', 'example.yaml')),
      /other\.arrow: an Arrow file, but not a ctreplay trace/,
    );
  });

  it('a pcap of an unsupported link type', () => {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(65535, 16);
    h.writeUInt32LE(105, 20); // IEEE 802.11
    writeFileSync(join(dir, 'wifi.pcap'), h);
    expectRefused(
      ctreplay('replay', 'wifi.pcap', '--config', join(root, 'traces', 'example.yaml')),
      /link type 105 \(IEEE 802\.11\) is not supported/,
    );
  });
});
