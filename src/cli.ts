/**
 * The command line: argv → resolved config → run → report. The only module
 * that prints or sets the exit code. Exit codes (DESIGN.md): 0 ok; 1 a
 * `check` expectation failed; 2 bad usage or bad input, with one clear
 * message on stderr and no stack trace.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from './config/load.js';
import { ENGINE_NAMES, type EngineName } from './engine/engines.js';
import { CtreplayError, UsageError } from './errors.js';
import { bundledExample, packageVersion } from './paths.js';
import { buildReport } from './report/report.js';
import { renderMarkdown } from './report/markdown.js';
import { renderText } from './report/text.js';
import { runTrace } from './replay/run.js';
import { checkScenario, type CheckResult } from './scenario/check.js';
import { loadScenario } from './scenario/scenario.js';
import { Progress } from './cli/progress.js';
import { openTrace } from './trace/source.js';

/** Where the CLI writes. */
export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
}

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

/** Runs the CLI with `args` (without node and script); resolves to the exit code. */
export async function run(args: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('ctreplay')
    .description('Replay packet traces through a model of AWS EC2 security-group connection tracking')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run ctreplay --help for usage)');

  program
    .command('replay')
    .description(
      'replay a trace against a config and report verdicts, tracked connections and drops (no trace: the bundled example)',
    )
    .argument('[trace]', 'trace file (pcap, pcapng, gzip of either, Arrow, JSON lines; recognised by content)')
    .option('-c, --config <file>', 'config file (JSON or YAML)')
    .option(
      '--catalog <file>',
      'instance types and their measured allowances (ctreplay/catalog@1), added to the built-in ones',
    )
    .addOption(new Option('-f, --format <format>', 'report format').choices(['text', 'json', 'md']).default('text'))
    .option('-o, --out <file>', 'write the report to a file instead of stdout')
    .option('-w, --workers <n>', "worker threads, one flow shard each (default: the machine's cores)")
    .option(
      '--series <seconds>',
      'interval of the time series of tracked connections and drops (default: from the trace length)',
    )
    .addOption(new Option('--engine <engine>', 'engine').choices([...ENGINE_NAMES]).default('wasm'))
    .addOption(
      new Option('--reader <reader>', 'classic pcap reader').choices(['builtin', 'pcap-parser']).default('builtin'),
    )
    .option('--no-progress', 'no progress line on stderr')
    .action(
      async (
        trace: string | undefined,
        opts: {
          config?: string;
          catalog?: string;
          format: string;
          out?: string;
          workers?: string;
          series?: string;
          engine: EngineName;
          reader: 'builtin' | 'pcap-parser';
          progress: boolean;
        },
      ) => {
        let configFile = opts.config;
        if (trace === undefined) {
          const ex = bundledExample();
          trace = relative(process.cwd(), ex.trace) || ex.trace;
          configFile ??= relative(process.cwd(), ex.config) || ex.config;
        }
        if (configFile === undefined) throw new UsageError('replay: --config <file> is required with a trace');
        const workers = opts.workers === undefined ? undefined : Number(opts.workers);
        if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 254))
          throw new UsageError(`replay: --workers must be a whole number from 1 to 254, got "${opts.workers}"`);
        if (workers !== undefined && workers > 1 && opts.engine === 'reference')
          throw new UsageError('replay: the reference engine runs on one thread; use --workers 1 or --engine wasm');
        const series = opts.series === undefined ? undefined : Number(opts.series);
        if (series !== undefined && !(Number.isFinite(series) && series > 0))
          throw new UsageError(`replay: --series must be a number of seconds > 0, got "${opts.series}"`);
        const cfg = loadConfig(configFile, opts.catalog ? { catalog: opts.catalog } : {});
        const source = await openTrace(trace, { reader: opts.reader });
        const progress = opts.progress && process.stderr.isTTY ? new Progress(io.stderr, 'replay') : null;
        const abort = new AbortController();
        const onSigint = () => abort.abort();
        process.once('SIGINT', onSigint);
        let result;
        try {
          const onProgress = (packets: number) => {
            if (progress) {
              const pr = source.progress();
              progress.update(packets, pr.read, pr.total);
            }
          };
          if (opts.engine === 'reference') {
            result = await runTrace(cfg, source, { engine: 'reference', signal: abort.signal, onBatch: onProgress });
          } else {
            const { runParallel } = await import('./parallel/coordinator.js');
            result = await runParallel(cfg, source, {
              ...(workers !== undefined ? { workers } : {}),
              ...(series !== undefined ? { seriesSeconds: series } : {}),
              signal: abort.signal,
              onRound: onProgress,
            });
          }
        } finally {
          process.off('SIGINT', onSigint);
          progress?.done();
          await source.close();
        }
        for (const w of source.warnings) io.stderr(`ctreplay: warning: ${w}\n`);
        if (process.env['CTREPLAY_PROFILE'] && 'profile' in result) {
          const p = (result as import('./parallel/coordinator.js').ParallelResult).profile;
          const f = (ms: number) => `${ms.toFixed(0)} ms`;
          io.stderr(
            `ctreplay: profile: wall ${f(result.wallSeconds * 1000)}; coordinator read ${f(p.read)}, clock+shards ${f(p.clockAndShards)}, ` +
              `merge ${f(p.merge)}, digest ${f(p.digest)}, waiting for workers ${f(p.waitWorkers)}; ` +
              `workers ${p.workers.map(f).join(', ')}\n`,
          );
        }
        const report = buildReport(cfg, result, { file: trace, format: source.format });
        const text =
          opts.format === 'json'
            ? JSON.stringify(report, null, 2) + '\n'
            : opts.format === 'md'
              ? renderMarkdown(report)
              : renderText(report);
        if (opts.out) writeFileSync(opts.out, text);
        else io.stdout(text);
      },
    );

  program
    .command('capacity')
    .description(
      'what each allowance or instance type would drop, at several traffic scales, and the allowance the trace needs',
    )
    .argument('<trace>', 'trace file (format recognised by content)')
    .requiredOption('-c, --config <file>', 'config file (JSON or YAML)')
    .option('--instance <id>', 'the instance to size (default: the only one)')
    .option('--allowances <list>', 'allowances to try, comma-separated (e.g. 10000,50000)')
    .option('--types <list>', 'instance types to try, from the catalog (e.g. m7i-flex.large,t3.micro)')
    .option('--scale <list>', 'traffic scales: k copies of every flow (e.g. 1,2,4,8)', '1')
    .option('--catalog <file>', 'instance types and their measured allowances (ctreplay/catalog@1)')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'md', 'html']).default('text'),
    )
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(
      async (
        trace: string,
        opts: {
          config: string;
          instance?: string;
          allowances?: string;
          types?: string;
          scale: string;
          catalog?: string;
          format: string;
          out?: string;
        },
      ) => {
        const { runCapacity } = await import('./capacity/capacity.js');
        const list = (name: string, v: string | undefined, parse: (x: string) => number): number[] | undefined =>
          v === undefined
            ? undefined
            : v.split(',').map((x) => {
                const n = parse(x.trim());
                if (!Number.isInteger(n) || n < 0)
                  throw new UsageError(`capacity: --${name} takes whole numbers separated by commas, got "${x}"`);
                return n;
              });
        const allowances = list('allowances', opts.allowances, (x) => (/^\d+$/.test(x) ? Number(x) : NaN));
        const scales = list('scale', opts.scale, (x) => (/^\d+$/.test(x) ? Number(x) : NaN));
        const types = opts.types
          ?.split(',')
          .map((t) => t.trim())
          .filter((t) => t.length > 0);
        const cfg = loadConfig(opts.config, opts.catalog ? { catalog: opts.catalog } : {});
        // Refuse a file that is not a trace before any work.
        await (await openTrace(trace)).close();
        const report = await runCapacity(cfg, () => openTrace(trace), {
          ...(opts.instance !== undefined ? { instance: opts.instance } : {}),
          ...(allowances ? { allowances } : {}),
          ...(types ? { types } : {}),
          ...(scales ? { scales } : {}),
        });
        let text: string;
        if (opts.format === 'json') text = JSON.stringify(report, null, 2) + '\n';
        else if (opts.format === 'md') text = (await import('./capacity/render.js')).renderCapacityMarkdown(report);
        else if (opts.format === 'html') text = (await import('./report/html.js')).renderCapacityHtml(report);
        else text = (await import('./capacity/render.js')).renderCapacityText(report);
        if (opts.out) writeFileSync(opts.out, text);
        else io.stdout(text);
      },
    );

  program
    .command('explain')
    .description('which flows are tracked and why (S9), grouped by instance, direction, protocol and port')
    .argument('<trace>', 'trace file (format recognised by content)')
    .requiredOption('-c, --config <file>', 'config file (JSON or YAML)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'md']).default('text'))
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (trace: string, opts: { config: string; format: string; out?: string }) => {
      const { runExplain } = await import('./explain/explain.js');
      const { renderExplainMarkdown, renderExplainText } = await import('./explain/render.js');
      const cfg = loadConfig(opts.config);
      const source = await openTrace(trace);
      let report;
      try {
        report = await runExplain(cfg, source);
      } finally {
        await source.close();
      }
      for (const w of source.warnings) io.stderr(`ctreplay: warning: ${w}\n`);
      const text =
        opts.format === 'json'
          ? JSON.stringify(report, null, 2) + '\n'
          : opts.format === 'md'
            ? renderExplainMarkdown(report)
            : renderExplainText(report);
      if (opts.out) writeFileSync(opts.out, text);
      else io.stdout(text);
    });

  program
    .command('check')
    .description('run scenarios and compare every verdict and counter with its expectation (exit 1 on any mismatch)')
    .argument('<scenario...>', 'scenario files (JSON or YAML)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--engine <engine>', 'engine').choices([...ENGINE_NAMES]).default('wasm'))
    .action(async (files: string[], opts: { format: string; engine: EngineName }) => {
      // Validate every file first: a broken scenario stops the run before any packet (exit 2).
      const scenarios = files.map((f) => loadScenario(f));
      const results: CheckResult[] = [];
      for (const s of scenarios) results.push(await checkScenario(s, opts.engine));
      const failed = results.filter((r) => !r.passed).length;
      if (opts.format === 'json') {
        io.stdout(
          JSON.stringify(
            { schema: 'ctreplay/check@1', passed: failed === 0, engine: opts.engine, scenarios: results },
            null,
            2,
          ) + '\n',
        );
      } else {
        io.stdout(renderCheck(results));
      }
      exitCode = failed === 0 ? 0 : 1;
    });

  program
    .command('convert')
    .description('convert a capture (pcap, pcapng, gzip of either, JSON lines) to the Arrow trace format')
    .argument('<in>', 'trace to read (format recognised by content)')
    .argument('<out>', 'Arrow file to write')
    .option('--stream', 'write the Arrow IPC stream format instead of the file format')
    .option('--no-progress', 'no progress line on stderr')
    .action(async (input: string, output: string, opts: { stream?: boolean; progress: boolean }) => {
      const { ArrowTraceWriter } = await import('./trace/arrow.js');
      const { PacketBatch } = await import('./trace/batch.js');
      const source = await openTrace(input);
      const writer = new ArrowTraceWriter(output, opts.stream ? 'stream' : 'file');
      const progress = opts.progress && process.stderr.isTTY ? new Progress(io.stderr, 'convert') : null;
      const batch = new PacketBatch(65536);
      let packets = 0;
      try {
        for (;;) {
          const n = await source.next(batch);
          if (n === 0) break;
          writer.write(batch, n);
          packets += n;
          if (progress) {
            const pr = source.progress();
            progress.update(packets, pr.read, pr.total);
          }
        }
      } finally {
        progress?.done();
        await source.close();
        await writer.close();
      }
      for (const w of source.warnings) io.stderr(`ctreplay: warning: ${w}\n`);
      io.stdout(`wrote ${packets.toLocaleString('en-US')} packets from ${input} (${source.format}) to ${output}\n`);
    });

  program
    .command('generate')
    .description('generate a trace of a typical workload, and a config that goes with it')
    .argument('<workload>', 'web, scan, nat, synflood, dns, ping, fill or mixed')
    .requiredOption('-o, --out <file>', 'trace to write (.pcap or .arrow)')
    .addOption(new Option('--format <format>', 'trace format (default: from the file name)').choices(['pcap', 'arrow']))
    .option('--packets <n>', 'packets to generate', '200000')
    .option('--duration <seconds>', 'seconds of trace time (default 300, or packets / rate)')
    .option('--rate <pps>', 'packets per second of trace time (default: packets / duration)')
    .option('--flows <n>', 'flows (clients, targets, connections; the workload decides what it means)')
    .option('--seed <n>', 'random seed: the same seed gives the same trace', '1')
    .option('--config-out <file>', 'where to write the matching config (default: <out>.config.yaml)')
    .action(
      async (
        workload: string,
        opts: {
          out: string;
          format?: string;
          packets: string;
          rate?: string;
          duration?: string;
          flows?: string;
          seed: string;
          configOut?: string;
        },
      ) => {
        const { generate } = await import('./generate/generate.js');
        const num = (name: string, v: string | undefined, min: number): number | undefined => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isFinite(n) || n < min)
            throw new UsageError(`generate: --${name} must be a number ≥ ${min}, got "${v}"`);
          return n;
        };
        const format = (opts.format ??
          (/\.arrows?$/i.test(opts.out) ? 'arrow' : /\.pcap$/i.test(opts.out) ? 'pcap' : undefined)) as
          'pcap' | 'arrow' | undefined;
        if (!format)
          throw new UsageError(
            `generate: cannot tell the format from "${opts.out}"; name it .pcap or .arrow, or give --format`,
          );
        const configOut = opts.configOut ?? `${opts.out.replace(/\.(pcap|arrows?)$/i, '')}.config.yaml`;
        const r = await generate({
          workload,
          out: opts.out,
          format,
          packets: Math.floor(num('packets', opts.packets, 1)!),
          ...(opts.rate !== undefined ? { rate: num('rate', opts.rate, 0.001)! } : {}),
          ...(opts.duration !== undefined ? { duration: num('duration', opts.duration, 0.001)! } : {}),
          ...(opts.flows !== undefined ? { flows: Math.floor(num('flows', opts.flows, 1)!) } : {}),
          seed: Math.floor(num('seed', opts.seed, 0)!),
          configOut,
        });
        io.stdout(
          `wrote ${r.packets.toLocaleString('en-US')} packets (${r.duration.toFixed(1)} s of trace, ${r.flows.toLocaleString('en-US')} flows) to ${opts.out}\n` +
            `config: ${configOut}\nreplay: ctreplay replay ${opts.out} --config ${configOut}\n`,
        );
      },
    );

  program
    .command('bench')
    .description('run benchmark suites (tinybench) and print a table, or write ctreplay/bench@1 JSON')
    .addOption(
      new Option('--suite <suite>', 'suite to run').choices(['engine', 'ingest', 'replay', 'all']).default('all'),
    )
    .option('--json <file>', 'write the results as ctreplay/bench@1 JSON')
    .option('--quick', 'small tables and short runs (a CI smoke test)')
    .action(async (opts: { suite: string; json?: string; quick?: boolean }) => {
      const { engineSuite } = await import('../bench/engine.js');
      const { ingestSuite } = await import('../bench/ingest.js');
      const { replaySuite } = await import('../bench/replay.js');
      const { benchEnv, renderTable } = await import('../bench/results.js');
      const log = process.stderr.isTTY ? (line: string) => io.stderr(`${line}\n`) : undefined;
      const so = { quick: opts.quick ?? false, ...(log ? { log } : {}) };
      const results = [];
      if (opts.suite === 'engine' || opts.suite === 'all') results.push(...(await engineSuite(so)));
      if (opts.suite === 'ingest' || opts.suite === 'all') results.push(...(await ingestSuite(so)));
      if (opts.suite === 'replay' || opts.suite === 'all') results.push(...(await replaySuite(so)));
      const report = { schema: 'ctreplay/bench@1' as const, env: benchEnv(), results };
      if (opts.json) writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
      io.stdout(renderTable(report));
    });

  try {
    await program.parseAsync(args as string[], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every usage error exits 2 (commander already printed it).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CtreplayError) {
      io.stderr(`ctreplay: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    io.stderr(`ctreplay: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env['CTREPLAY_DEBUG']) io.stderr(`${err?.stack ?? ''}\n`);
    else io.stderr('ctreplay: this is a bug; rerun with CTREPLAY_DEBUG=1 for details and report it\n');
    return 3;
  }
}

function show(v: string | Record<string, string>): string {
  return typeof v === 'string'
    ? v
    : Object.entries(v)
        .map(([k, x]) => `${k}: ${x}`)
        .join(', ');
}

/** Text listing of check results: one line per scenario, one per mismatch. */
function renderCheck(results: readonly CheckResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.passed ? 'PASS' : 'FAIL'}  ${r.name}  (${r.file}, ${r.checked}/${r.packets} packets checked)`);
    for (const m of r.mismatches) {
      out.push(`      packets[${m.index}] ${m.summary}`);
      out.push(`        expected ${show(m.expected)}, got ${show(m.actual)}`);
    }
    for (const c of r.counterMismatches) {
      out.push(
        `      ${c.instance === null ? 'trace' : `instance ${c.instance}`}: ${c.counter} expected ${c.expected}, got ${c.actual}`,
      );
    }
  }
  const failed = results.filter((r) => !r.passed).length;
  out.push(
    `${results.length} scenario${results.length === 1 ? '' : 's'}: ${results.length - failed} passed, ${failed} failed`,
  );
  return out.join('\n') + '\n';
}

/** Entry point of the `ctreplay` binary. */
export async function main(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2));
}
