/**
 * Runs one generated case through both engines and describes the first
 * difference (null when they agree on every outcome byte and every counter).
 */
import type { ResolvedConfig } from '../../src/config/types.js';
import { PacketListReader } from '../../src/trace/jsonl.js';
import { runTrace, type RunResult } from '../../src/replay/run.js';
import { summarizePacket, type Packet } from '../../src/trace/packet.js';
import { resolve } from '../helpers.js';
import { generateCase } from './generate.js';

export interface Difference {
  readonly seed: number;
  readonly what: string;
}

function firstCounterDifference(a: RunResult, b: RunResult): string | null {
  const ja = JSON.stringify({ c: a.counters, t: a.trace }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const jb = JSON.stringify({ c: b.counters, t: b.trace }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return ja === jb ? null : `counters differ:\n reference ${ja}\n wasm      ${jb}`;
}

/** Runs a packet list through both engines. */
export async function compareEngines(
  cfg: ResolvedConfig,
  packets: Packet[],
  seed: number,
  batchCapacity?: number,
): Promise<Difference | null> {
  const ref = await runTrace(cfg, new PacketListReader(packets), { engine: 'reference', keepOutcomes: true });
  const wasm = await runTrace(cfg, new PacketListReader(packets), {
    engine: 'wasm',
    keepOutcomes: true,
    wasm: {
      seed: (BigInt(seed) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn,
      ...(batchCapacity ? { batchCapacity } : {}),
    },
  });
  const ro = ref.outcomes!;
  const wo = wasm.outcomes!;
  for (let i = 0; i < packets.length; i++) {
    if (ro[i] !== wo[i]) {
      return {
        seed,
        what: `packet ${i} (${summarizePacket(packets[i]!)}): reference ${ro[i]!.toString(16)}, wasm ${wo[i]!.toString(16)}`,
      };
    }
  }
  const c = firstCounterDifference(ref, wasm);
  if (c) return { seed, what: c };
  if (ref.digest !== wasm.digest) return { seed, what: 'digests differ' };
  return null;
}

/** Generates and compares one seed. */
export async function compareSeed(seed: number, packets: number): Promise<Difference | null> {
  const c = generateCase(seed, packets);
  return compareEngines(resolve(c.config), c.packets, seed, 16 * (1 + (seed % 8)));
}
