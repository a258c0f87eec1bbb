/**
 * The one interface both engines offer the replay loop: fill the engine's
 * batch, call process(n), read the outcome bytes. The reference engine is
 * adapted to it here (reading each row back as a Packet object); the WASM
 * engine implements it natively.
 */
import type { ResolvedConfig } from '../config/types.js';
import { VirtualClock, type TraceStats } from '../replay/clock.js';
import { PacketBatch, readPacket } from '../trace/batch.js';
import type { EngineCounters } from './counters.js';
import { ReferenceEngine } from './reference.js';
import { WasmEngine, type WasmEngineOptions } from './wasm.js';

/** Engines selectable with `--engine`. */
export type EngineName = 'reference' | 'wasm';

/** The engine names, default first. */
export const ENGINE_NAMES: readonly EngineName[] = ['wasm', 'reference'];

/** A batch engine. */
export interface Engine {
  readonly name: EngineName;
  readonly batchCapacity: number;
  /** The batch to fill before process(); re-read it after each process(). */
  batch(): PacketBatch;
  /** Applies the S21 clock to the first n rows and processes them; outcome bytes land in batch().out. */
  process(n: number): void;
  /** Trace totals so far. */
  traceStats(): TraceStats;
  /** Expires everything gone at the final virtual time and returns the counters. */
  finish(): EngineCounters;
}

/** The reference engine behind the batch interface. */
export class ReferenceBatchEngine implements Engine {
  readonly name = 'reference' as const;
  private readonly engine: ReferenceEngine;
  private readonly clock = new VirtualClock();
  private readonly b: PacketBatch;

  constructor(
    cfg: ResolvedConfig,
    readonly batchCapacity = 256,
  ) {
    this.engine = new ReferenceEngine(cfg);
    this.b = new PacketBatch(batchCapacity);
  }

  batch(): PacketBatch {
    return this.b;
  }

  process(n: number): void {
    const b = this.b;
    for (let i = 0; i < n; i++) {
      const p = readPacket(b, i);
      b.out[i] = this.engine.process(p, this.clock.tick(p.ts, p.len));
    }
  }

  traceStats(): TraceStats {
    return this.clock.stats;
  }

  finish(): EngineCounters {
    return this.engine.finish(this.clock.stats.lastTs);
  }
}

/** Creates an engine by name. */
export function createEngine(name: EngineName, cfg: ResolvedConfig, opts: WasmEngineOptions = {}): Engine {
  return name === 'wasm' ? new WasmEngine(cfg, opts) : new ReferenceBatchEngine(cfg);
}
