/**
 * One replay in a fresh process, for bench/replay.ts: every run starts from
 * the same state (no memory or JIT left by earlier runs), as `ctreplay
 * replay` does. Prints JSON: packets, wall seconds, serial rows, profile.
 * Usage: node dist/bench/replay-child.js <trace> <config> <workers> [limit] [engine]
 */
import { loadConfig } from '../src/config/load.js';
import { runParallel } from '../src/parallel/coordinator.js';
import { runTrace } from '../src/replay/run.js';
import type { PacketBatch } from '../src/trace/batch.js';
import type { TraceReader } from '../src/trace/reader.js';
import { openTrace } from '../src/trace/source.js';

/** The first `limit` packets of a trace. */
class Prefix implements TraceReader {
  private left: number;
  constructor(
    private readonly inner: TraceReader,
    limit: number,
  ) {
    this.left = limit;
  }
  get format() {
    return this.inner.format;
  }
  get file() {
    return this.inner.file;
  }
  get warnings() {
    return this.inner.warnings;
  }
  async next(batch: PacketBatch): Promise<number> {
    if (this.left <= 0) return 0;
    const k = Math.min(await this.inner.next(batch), this.left);
    this.left -= k;
    return k;
  }
  progress() {
    return this.inner.progress();
  }
  close() {
    return this.inner.close();
  }
}

const [trace, config, workers, limit, engine] = process.argv.slice(2);
const cfg = loadConfig(config!);
const reader =
  limit && Number(limit) > 0 ? new Prefix(await openTrace(trace!), Number(limit)) : await openTrace(trace!);
if (engine === 'reference') {
  const r = await runTrace(cfg, reader, { engine: 'reference' });
  process.stdout.write(JSON.stringify({ packets: r.trace.packets, wallSeconds: r.wallSeconds, digest: r.digest }));
} else {
  const r = await runParallel(cfg, reader, { workers: Number(workers) });
  process.stdout.write(
    JSON.stringify({
      packets: r.trace.packets,
      wallSeconds: r.wallSeconds,
      digest: r.digest,
      serialRows: r.serialRows,
      profile: r.profile,
    }),
  );
}
await reader.close();
