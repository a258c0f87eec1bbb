// Issue 5 "bounded resources": a worker that fails ends the run with a clear WorkerFailure (exit 2 in the
// CLI), never a hang — whether it throws in a task, exits in one, cannot start, or dies between tasks —
// and an aborted run stops between rounds (Ctrl-C, exit 130).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Interrupted } from '../../src/errors.js';
import { generate } from '../../src/generate/generate.js';
import { runParallel, WorkerFailure } from '../../src/parallel/coordinator.js';
import { runTrace } from '../../src/replay/run.js';
import { decodeJsonPacket } from '../../src/trace/json-packet.js';
import { PacketListReader } from '../../src/trace/jsonl.js';
import { resolve } from '../helpers.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'workers');
const cfg = resolve({
  securityGroups: [{ GroupId: 'sg', IpPermissions: [], IpPermissionsEgress: [] }],
  instances: [{ id: 'a', addresses: ['10.0.0.1'], securityGroups: ['sg'] }],
});
const packets = Array.from({ length: 5000 }, (_, k) =>
  decodeJsonPacket({ t: k / 100, src: '10.0.0.1', dst: '192.0.2.1', proto: 'udp', sport: 1000 + k, dport: 53 }),
);

describe('a failing worker ends the run', () => {
  for (const [file, message] of [
    ['throws.mjs', /worker \d failed: injected failure in a task/],
    ['dies.mjs', /worker \d failed: .*exited with code: 3/],
    ['init.mjs', /worker \d failed: injected failure at start/],
    ['later.mjs', /worker \d failed: injected failure outside a task/],
  ] as const) {
    it(
      file,
      async () => {
        const run = runParallel(cfg, new PacketListReader(packets), {
          workers: 2,
          roundRows: 1024,
          workerFile: join(fixtures, file),
        });
        await expect(run).rejects.toThrow(WorkerFailure);
        await expect(run).rejects.toThrow(message);
      },
      20_000,
    );
  }
});

describe('an aborted run stops between rounds', () => {
  it('runParallel and runTrace throw Interrupted (exit code 130)', async () => {
    const ac = new AbortController();
    let rounds = 0;
    const run = runParallel(cfg, new PacketListReader(packets), {
      workers: 2,
      roundRows: 256,
      signal: ac.signal,
      onRound: () => {
        if (++rounds === 3) ac.abort();
      },
    });
    await expect(run).rejects.toThrow(Interrupted);
    // The rounds already in flight (at most three batch slots) still finish; 20 rounds in all.
    expect(rounds).toBeLessThanOrEqual(6);
    expect(new Interrupted().exitCode).toBe(130);

    const ac2 = new AbortController();
    ac2.abort();
    await expect(runTrace(cfg, new PacketListReader(packets), { engine: 'wasm', signal: ac2.signal })).rejects.toThrow(
      Interrupted,
    );
  });

  it('Ctrl-C on the command line: exit 130, "interrupted", no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctreplay-sigint-'));
    const out = join(dir, 'big.arrow');
    const configOut = join(dir, 'big.config.yaml');
    await generate({ workload: 'fill', out, format: 'arrow', packets: 1_500_000, seed: 1, configOut });
    // The reference engine takes seconds on 1.5 M packets: the signal arrives mid-run.
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'bin', 'ctreplay.js'),
        'replay',
        out,
        '--config',
        configOut,
        '--engine',
        'reference',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    setTimeout(() => child.kill('SIGINT'), 1200);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/^ctreplay: interrupted\n$/);
    expect(stdout).toBe('');
  }, 60_000);
});
