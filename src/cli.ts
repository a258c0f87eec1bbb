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
import { renderText } from './report/text.js';
import { runTrace } from './replay/run.js';
import { checkScenario, type CheckResult } from './scenario/check.js';
import { loadScenario } from './scenario/scenario.js';
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
    .argument('[trace]', 'trace file (.jsonl packets; format recognised by content)')
    .option('-c, --config <file>', 'config file (JSON or YAML)')
    .addOption(new Option('-f, --format <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('-o, --out <file>', 'write the report to a file instead of stdout')
    .addOption(new Option('--engine <engine>', 'engine').choices([...ENGINE_NAMES]).default('wasm'))
    .action(
      async (
        trace: string | undefined,
        opts: { config?: string; format: string; out?: string; engine: EngineName },
      ) => {
        let configFile = opts.config;
        if (trace === undefined) {
          const ex = bundledExample();
          trace = relative(process.cwd(), ex.trace) || ex.trace;
          configFile ??= relative(process.cwd(), ex.config) || ex.config;
        }
        if (configFile === undefined) throw new UsageError('replay: --config <file> is required with a trace');
        const cfg = loadConfig(configFile);
        const source = await openTrace(trace);
        let result;
        try {
          result = await runTrace(cfg, source, { engine: opts.engine });
        } finally {
          await source.close();
        }
        for (const w of source.warnings) io.stderr(`ctreplay: warning: ${w}\n`);
        const report = buildReport(cfg, result, { file: trace, format: source.format });
        const text = opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderText(report);
        if (opts.out) writeFileSync(opts.out, text);
        else io.stdout(text);
      },
    );

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
    .command('bench')
    .description('run benchmark suites (tinybench) and print a table, or write ctreplay/bench@1 JSON')
    .addOption(new Option('--suite <suite>', 'suite to run').choices(['engine', 'all']).default('all'))
    .option('--json <file>', 'write the results as ctreplay/bench@1 JSON')
    .option('--quick', 'small tables and short runs (a CI smoke test)')
    .action(async (opts: { suite: string; json?: string; quick?: boolean }) => {
      const { engineSuite } = await import('../bench/engine.js');
      const { benchEnv, renderTable } = await import('../bench/results.js');
      const log = process.stderr.isTTY ? (line: string) => io.stderr(`${line}\n`) : undefined;
      const results = await engineSuite({ quick: opts.quick ?? false, ...(log ? { log } : {}) });
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
