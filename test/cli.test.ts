// The ctreplay command as users run it: exit codes, stdout/stderr, no stack traces (needs `npm run build`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'ctreplay.js');
const shared = join(root, 'test', 'fixtures', 'scenarios', 'shared');
const dir = mkdtempSync(join(tmpdir(), 'ctreplay-cli-'));

function ctreplay(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A usage or input error: exit 2, one message on stderr, no stack trace. */
function expectInputError(r: ReturnType<typeof ctreplay>, message: RegExp) {
  expect(r.code).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.out).toBe('');
}

describe('ctreplay replay', () => {
  it('with no arguments replays the bundled example and prints a text report', () => {
    const r = ctreplay('replay');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ctreplay report — .*example\.jsonl/);
    expect(r.out).toMatch(/drop-allowance\s+[1-9]/);
    expect(r.out).toMatch(/scanner-1 \(t3\.micro\): allowance 200 \(config\)/);
    expect(r.err).toMatch(/warning: .*line \d+: malformed packet/);
  });

  it('--format json prints report@1 and --out writes it to a file', () => {
    const out = join(dir, 'report.json');
    const r = ctreplay('replay', '--format', 'json', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.schema).toBe('ctreplay/report@1');
    expect(Object.keys(report)).toEqual(['schema', 'trace', 'verdicts', 'instances', 'run', 'latency', 'series']);
    expect(report.trace.malformed).toBe(1);
    expect(report.trace.reordered).toBe(1);
    expect(report.trace.foreign).toBe(1);
    expect(report.run.digest).toMatch(/^[0-9a-f]{64}$/);
    const scanner = report.instances.find((i: { id: string }) => i.id === 'scanner-1');
    expect(scanner.peakTracked).toBe(200);
    expect(scanner.conntrackAllowanceAvailableMin).toBe(0);
    expect(scanner.conntrackAllowanceExceeded).toBe(report.verdicts['drop-allowance']);
  });

  it('--workers 1, 2, 4 and the reference engine give one digest and the same counters (S17 binds here)', () => {
    const reports = [
      ['--workers', '1'],
      ['--workers', '2'],
      ['--workers', '4'],
      ['--engine', 'reference'],
    ].map((args) => {
      const r = ctreplay('replay', '--format', 'json', ...args);
      expect(r.code).toBe(0);
      return JSON.parse(r.out);
    });
    const [one, ...rest] = reports;
    expect(one.run.workers).toBe(1);
    expect(one.instances.find((i: { id: string }) => i.id === 'scanner-1').conntrackAllowanceExceeded).toBeGreaterThan(
      0,
    );
    for (const r of rest) {
      expect(r.run.digest).toBe(one.run.digest);
      expect(r.verdicts).toEqual(one.verdicts);
      expect(r.instances).toEqual(one.instances);
      expect(r.run.allowanceMode).toBe('exact');
      expect(r.run.allowanceDeviationBound).toBe(0);
    }
    // With several workers, the stretches where the scanner's 200 could fill are decided serially.
    expect(reports[1].run.serialPackets).toBeGreaterThan(0);
    expect(one.run.serialPackets).toBe(0);
  });

  it('the series holds tracked count, allowance available and drops per interval (--series)', () => {
    const r = ctreplay('replay', '--format', 'json', '--series', '10', '--workers', '2');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const s = report.series;
    expect(s.interval).toBe(10);
    // The example spans about 300 s of trace: one point per 10 s, on multiples of 10.
    expect(s.points.length).toBeGreaterThanOrEqual(30);
    expect(s.points.length).toBeLessThanOrEqual(32);
    for (const p of s.points) expect(p.t % 10).toBe(0);
    const scanner = report.instances.find((i: { id: string }) => i.id === 'scanner-1');
    const tracked = s.points.map((p: { tracked: Record<string, number> }) => p.tracked['scanner-1']);
    expect(Math.max(...tracked)).toBe(scanner.peakTracked);
    for (const p of s.points) expect(p.available['scanner-1']).toBe(200 - p.tracked['scanner-1']);
    const drops = s.points.reduce(
      (a: number, p: { drops: Record<string, number> }) => a + (p.drops['scanner-1'] ?? 0),
      0,
    );
    expect(drops).toBe(scanner.conntrackAllowanceExceeded);
  });

  it('--format md prints tables for a pull-request comment', () => {
    const r = ctreplay('replay', '--format', 'md');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^### ctreplay: `.*example\.jsonl`/);
    expect(r.out).toMatch(/^\| verdict \| evaluations \| share \|$/m);
    expect(r.out).toMatch(/^\| `drop-allowance` \| [1-9][\d,]* \| /m);
    expect(r.out).toMatch(/^\| scanner-1 \(t3\.micro\) \| 200 \(config\) \| 200 \| /m);
  });

  it('bad --workers and --series values, and --workers with the reference engine, are usage errors', () => {
    expectInputError(ctreplay('replay', '--workers', '0'), /--workers must be a whole number from 1 to 254, got "0"/);
    expectInputError(ctreplay('replay', '--workers', 'two'), /--workers must be a whole number/);
    expectInputError(ctreplay('replay', '--series', '-1'), /--series must be a number of seconds > 0, got "-1"/);
    expectInputError(
      ctreplay('replay', '--engine', 'reference', '--workers', '2'),
      /the reference engine runs on one thread/,
    );
  });

  it('replays a JSONL trace with a config', () => {
    const trace = join(dir, 't.jsonl');
    writeFileSync(
      trace,
      [
        '{"t":0,"src":"10.0.0.10","dst":"192.0.2.53","proto":"udp","sport":1,"dport":53}',
        '',
        '{"t":1,"src":"192.0.2.53","dst":"10.0.0.10","proto":"udp","sport":53,"dport":1}',
      ].join('\n'),
    );
    const cfg = join(dir, 'c.json');
    writeFileSync(cfg, JSON.stringify(JSON.parse(readFileSync(join(shared, 'udp-stream.json'), 'utf8')).config));
    const r = ctreplay('replay', trace, '--config', cfg, '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.trace.packets).toBe(2);
    expect(report.verdicts['allow-new']).toBe(1);
    expect(report.verdicts['allow-tracked']).toBe(1);
  });

  it('a trace without --config is a usage error', () => {
    expectInputError(ctreplay('replay', join(root, 'traces', 'example.jsonl')), /--config <file> is required/);
  });

  it('a file that is not a trace is refused', () => {
    const f = join(dir, 'not-a-trace.bin');
    writeFileSync(f, Buffer.from([0x00, 0x01, 0x02, 0x03]));
    expectInputError(
      ctreplay('replay', f, '--config', join(root, 'traces', 'example.yaml')),
      /not-a-trace\.bin: not a trace/,
    );
    expectInputError(
      ctreplay('replay', join(dir, 'missing.pcap'), '--config', join(root, 'traces', 'example.yaml')),
      /missing\.pcap: no such file/,
    );
  });

  it('a broken config is refused with the file and field path', () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(
      cfg,
      'securityGroups:\n  - GroupId: sg-a\n    IpPermissions:\n      - IpProtocol: tcp\n        FromPort: 80\n        ToPort: 22\n        IpRanges: [{CidrIp: 0.0.0.0/0}]\ninstances: [{id: a, addresses: [10.0.0.1], securityGroups: [sg-a]}]\n',
    );
    expectInputError(
      ctreplay('replay', join(root, 'traces', 'example.jsonl'), '--config', cfg),
      /^ctreplay: .*bad\.yaml: securityGroups\[0\]\.IpPermissions\[0\]\.ToPort: FromPort 80 is greater than ToPort 22\n$/,
    );
  });

  it('unknown commands and options are usage errors (exit 2)', () => {
    expect(ctreplay('replya').code).toBe(2);
    expect(ctreplay('replay', '--bogus').code).toBe(2);
    expect(ctreplay('replay', '--format', 'xml').code).toBe(2);
    const h = ctreplay('--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/replay/);
  });
});

describe('ctreplay check', () => {
  it('passes the shared scenarios (exit 0)', () => {
    const r = ctreplay(
      'check',
      ...['allowance-full', 'udp-stream', 'aws-example-table'].map((n) => join(shared, `${n}.json`)),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/3 scenarios: 3 passed, 0 failed/);
  });

  it('fails with exit 1 and a precise listing on a wrong expectation', () => {
    const s = JSON.parse(readFileSync(join(shared, 'udp-stream.json'), 'utf8'));
    s.packets[3].expect = 'allow-tracked';
    const f = join(dir, 'wrong.json');
    writeFileSync(f, JSON.stringify(s));
    const r = ctreplay('check', f);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL  udp-stream');
    expect(r.out).toContain('packets[3] t=59.5 udp 192.0.2.53:53 > 10.0.0.10:33000');
    expect(r.out).toContain('expected allow-tracked, got deny');
    const j = ctreplay('check', f, '--format', 'json');
    expect(j.code).toBe(1);
    const parsed = JSON.parse(j.out);
    expect(parsed.passed).toBe(false);
    expect(parsed.scenarios[0].mismatches[0]).toMatchObject({ index: 3, expected: 'allow-tracked', actual: 'deny' });
  });

  it('refuses a broken scenario with exit 2 naming the field', () => {
    const s = JSON.parse(readFileSync(join(shared, 'udp-stream.json'), 'utf8'));
    s.packets[1].expect = 'allow-trackd';
    s.config.instances[0].conntrack = { udpTimeout: 500 };
    const f = join(dir, 'broken.json');
    writeFileSync(f, JSON.stringify(s));
    expectInputError(
      ctreplay('check', f),
      /broken\.json: config\.instances\[0\]\.conntrack\.udpTimeout: 500 is out of range/,
    );
    delete s.config.instances[0].conntrack;
    writeFileSync(f, JSON.stringify(s));
    expectInputError(ctreplay('check', f), /broken\.json: packets\[1\]\.expect: unknown verdict "allow-trackd"/);
  });
});
