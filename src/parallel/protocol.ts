/**
 * The contract between the coordinator and its workers (types only): what
 * each task carries and returns. Batches never travel in messages: they live
 * in the shared engine memory, and tasks name them by address.
 */
import type { ResolvedConfig } from '../config/types.js';

/** Given to each worker thread at start. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly config: ResolvedConfig;
  /** This worker's shard, and how many there are. */
  readonly shard: number;
  readonly shards: number;
  readonly seed: bigint;
  /** Where every shard's saved engine context lives (contextBytes() each, shard order). */
  readonly contexts: number;
}

/** Where a batch slot lives in the shared memory. */
export interface SlotRef {
  readonly ptr: number;
  readonly capacity: number;
  /** The shard byte of each row. */
  readonly col: number;
  /** The barrier records (row, quoted-flow shard, own-key shard: u32 each). */
  readonly barriers: number;
  /** The flow hash of each whole IPv4 TCP/UDP row (u32), computed by the coordinator. */
  readonly hashes: number;
}

/** A worker task. */
export type WorkerTask =
  /** Decide this worker's rows in [from, to) (no allowance can bind in them). */
  | { readonly kind: 'segment'; readonly slot: SlotRef; readonly from: number; readonly to: number }
  /** Decide every shard's rows in [from, to), in trace order (an allowance may bind); barrier records from `bFrom`. */
  | {
      readonly kind: 'serial';
      readonly slot: SlotRef;
      readonly from: number;
      readonly to: number;
      readonly bFrom: number;
    }
  /** Barrier row (an ICMP error): apply due events, expire to its time; the quoted flow's shard answers S6. */
  | { readonly kind: 'prepare'; readonly slot: SlotRef; readonly row: number; readonly answer: boolean }
  /** Barrier row: the own-key shard decides it with the answer. */
  | { readonly kind: 'decide'; readonly slot: SlotRef; readonly row: number; readonly bits: number }
  /** Nothing: the thread is up and has saved its context. */
  | { readonly kind: 'ready' }
  /** End of trace at virtual time `t` (ns; null if none): expire, and report. */
  | { readonly kind: 'finish'; readonly t: bigint | null };

/** What a segment, serial, prepare or decide task returns. */
export interface StepResult {
  /** A copy of the change log written during the task (records of 8 bytes: two words each), or null if empty. */
  readonly log: Uint32Array | null;
  /** serial: every shard's log, by shard. */
  readonly logs?: ReadonlyArray<Uint32Array | null>;
  /** serial: the next barrier record. */
  readonly nextBarrier?: number;
  /** Rows of this worker decided, and the time it took (for the latency histogram). */
  readonly rows: number;
  readonly ns: number;
  /** prepare: S6 answer bits. */
  readonly bits: number;
}

/** What the finish task returns. */
export interface FinishResult {
  /** Verdict counts by code (global: foreign and malformed; evaluations by instance). */
  readonly verdicts: number[];
  readonly instances: ReadonlyArray<{ verdicts: number[]; exceeded: number; linklocal: number; alive: number }>;
  /** The latency histogram, hdr-histogram-js compressed base64. */
  readonly latency: string;
  readonly tableBytes: number;
}
