// S17: an instance's allowance comes from the config, else the catalog of measured instance types — whose
// every number has a source, and which says "unknown" rather than invent one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinCatalog, loadCatalogFile } from '../../src/config/catalog.js';
import { loadConfig } from '../../src/config/load.js';
import { InputError } from '../../src/errors.js';
import { EGRESS_ALL, group, instance, perm, type Json } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ctreplay-catalog-'));

function write(name: string, value: unknown): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(value));
  return f;
}

function config(types: string[], extra: Json = {}): string {
  return write(`config-${Math.random().toString(36).slice(2)}.json`, {
    securityGroups: [group('sg-a', [perm('tcp', 22, 22, '0.0.0.0/0')], EGRESS_ALL)],
    instances: types.map((t, i) => ({ ...instance(`i${i}`, [`10.0.0.${i + 1}`], ['sg-a']), type: t })),
    ...extra,
  });
}

describe('the built-in catalog', () => {
  it('has the one public measurement, m7i-flex.large = 76,957, and a source for every entry', () => {
    const all = builtinCatalog();
    const m7i = all.find((e) => e.type === 'm7i-flex.large');
    expect(m7i?.allowance).toBe(76957);
    expect(m7i?.source).toMatch(/conntrack_allowance_available/);
    for (const e of all) {
      expect(e.source.length, e.type).toBeGreaterThan(5);
      // Nothing invented: every other type is unknown.
      if (e.type !== 'm7i-flex.large') expect(e.allowance, e.type).toBeNull();
    }
  });

  it('gives a known type its allowance; an unknown type, or one not listed, is unlimited (S17)', () => {
    const cfg = loadConfig(config(['m7i-flex.large', 't3.micro', 'x9.nothing']));
    expect(cfg.instances.map((i) => [i.allowance, i.allowanceSource])).toEqual([
      [76957, 'catalog'],
      [null, 'unlimited'],
      [null, 'unlimited'],
    ]);
  });
});

describe('your own measurements', () => {
  const mine = write('mine.json', {
    schema: 'ctreplay/catalog@1',
    types: [
      { type: 't3.micro', allowance: 32000, source: 'our ethtool reading, 2026-10-02' },
      { type: 'm7i-flex.large', allowance: 77000, source: 'our reading' },
    ],
  });

  it('--catalog FILE adds types and overrides the built-in ones; the config `catalog` wins over both', () => {
    const a = loadConfig(config(['t3.micro', 'm7i-flex.large']), { catalog: mine });
    expect(a.instances.map((i) => i.allowance)).toEqual([32000, 77000]);
    expect(a.catalog.get('t3.micro')?.origin).toBe(mine);
    const b = loadConfig(
      config(['t3.micro'], { catalog: [{ type: 't3.micro', allowance: 31000, source: 'measured in staging' }] }),
      { catalog: mine },
    );
    expect(b.instances[0]!.allowance).toBe(31000);
    expect(b.catalog.get('t3.micro')?.origin).toBe('config');
  });

  it('an allowance in the config beats the catalog', () => {
    const f = write('explicit.json', {
      securityGroups: [group('sg-a', [], EGRESS_ALL)],
      instances: [{ ...instance('i0', ['10.0.0.1'], ['sg-a']), type: 'm7i-flex.large', allowance: 5 }],
    });
    expect(loadConfig(f).instances[0]!.allowance).toBe(5);
  });

  const broken: Array<[string, unknown, RegExp]> = [
    ['no schema', { types: [] }, /missing required key "schema"/],
    ['another schema', { schema: 'x@1', types: [] }, /schema: expected "ctreplay\/catalog@1"/],
    [
      'no source',
      { schema: 'ctreplay/catalog@1', types: [{ type: 'a', allowance: 1 }] },
      /types\[0\]: missing required key "source"/,
    ],
    [
      'a negative allowance',
      { schema: 'ctreplay/catalog@1', types: [{ type: 'a', allowance: -3, source: 's' }] },
      /types\[0\]\.allowance: .*a number of connections, or null/,
    ],
    [
      'a type listed twice',
      {
        schema: 'ctreplay/catalog@1',
        types: [
          { type: 'a', allowance: 1, source: 's' },
          { type: 'a', allowance: 2, source: 's' },
        ],
      },
      /types\[1\]\.type: "a" is listed twice/,
    ],
    [
      'an unknown key',
      { schema: 'ctreplay/catalog@1', types: [{ type: 'a', allowance: 1, source: 's', x: 1 }] },
      /types\[0\]\.x: unknown key "x"/,
    ],
  ];
  for (const [name, value, problem] of broken) {
    it(`a catalog file with ${name} is refused with its file and field path`, () => {
      const f = write(`broken-${name.replace(/\W/g, '')}.json`, value);
      let err: unknown;
      try {
        loadCatalogFile(f);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(f);
      expect((err as Error).message).toMatch(problem);
    });
  }
});
