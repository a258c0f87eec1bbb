// The host and the WASM module agree on every layout they share.
import { describe, expect, it } from 'vitest';
import { ADDR_WORDS, IF, IF_WORDS, INST_WORDS, RULE_WORDS, S9_WORDS } from '../../src/engine/compile.js';
import {
  CTR_ALIVE,
  CTR_EXCEEDED,
  CTR_LINKLOCAL,
  CTR_PEAK,
  INST_CTR,
  instantiate,
  wasmModule,
} from '../../src/engine/wasm.js';
import { batchOffsets, BATCH_BYTES_PER_PACKET } from '../../src/trace/batch.js';

const FIELDS = [
  'ts',
  'src',
  'dst',
  'qSrc',
  'qDst',
  'len',
  'fragId',
  'sport',
  'dport',
  'icmpId',
  'qSport',
  'qDport',
  'qId',
  'kind',
  'proto',
  'tcpFlags',
  'fragFlags',
  'icmpType',
  'icmpCode',
  'qProto',
  'qType',
  'qCode',
  'out',
  'capIf',
  'copy',
] as const;

describe('shared layouts', () => {
  const x = instantiate();

  it('batch field offsets agree for several capacities', () => {
    for (const c of [16, 256, 4096, 65536]) {
      const ts = batchOffsets(c);
      FIELDS.forEach((f, k) => expect(x.batchOffset(k, c), `${f} at capacity ${c}`).toBe(ts[f]));
      expect(ts.end).toBe(BATCH_BYTES_PER_PACKET * c);
    }
  });

  it('config blob and counter constants agree', () => {
    const expected = [
      INST_WORDS,
      IF_WORDS,
      IF.TIMEOUTS,
      IF.IN_RULES,
      IF.S9,
      S9_WORDS,
      ADDR_WORDS,
      RULE_WORDS,
      INST_CTR,
      CTR_PEAK,
      CTR_ALIVE,
      CTR_EXCEEDED,
      CTR_LINKLOCAL,
    ];
    expected.forEach((v, k) => expect(x.layoutConstant(k), `constant ${k}`).toBe(v));
  });

  it('the module imports its memory and no host function but abort: it cannot read wall-clock time', () => {
    type Import = { module: string; name: string; kind: string };
    const imports = (WebAssembly as unknown as { Module: { imports(m: unknown): Import[] } }).Module.imports(
      wasmModule(),
    );
    expect(imports.filter((i) => i.kind === 'function' && `${i.module}.${i.name}` !== 'env.abort')).toEqual([]);
    expect(imports.filter((i) => i.kind === 'memory').map((i) => i.name)).toEqual(['memory']);
  });
});
