/**
 * The instance-type catalog of conntrack allowances (SPEC S17). AWS publishes
 * no per-type table, so every value carries its source and a type without a
 * measurement is unknown (`allowance: null`): its instances are unlimited
 * unless the config sets `allowance`. The built-in catalog is
 * `data/catalog.yaml`; users add their own measurements with `--catalog FILE`
 * (same format) or the config's `catalog:` list, which win by type.
 */
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { readStructuredFile } from './load.js';
import type { Field } from './reader.js';

/** One instance type: its allowance (null: unknown) and where the number comes from. */
export interface CatalogEntry {
  readonly type: string;
  readonly allowance: number | null;
  readonly source: string;
  /** Which catalog it came from: "built-in", a file name, or "config". */
  readonly origin: string;
}

/** Entries by type. */
export type Catalog = ReadonlyMap<string, CatalogEntry>;

/** Reads a list of catalog entries (`types` of a catalog file, or a config's `catalog`). */
export function readCatalogEntries(list: Field, origin: string): CatalogEntry[] {
  const seen = new Set<string>();
  return list.array('a list of instance types').map((e) => {
    e.object(['type', 'allowance', 'source'], 'an instance type: {type, allowance, source}');
    const typeF = e.req('type');
    const type = typeF.string();
    if (seen.has(type)) typeF.fail(`"${type}" is listed twice`);
    seen.add(type);
    const a = e.req('allowance');
    const allowance = a.value === null ? null : a.int(1, 2 ** 32 - 1, 'a number of connections, or null (unknown)');
    const source = e.req('source').string();
    return { type, allowance, source, origin };
  });
}

/** Reads a catalog file (JSON or YAML, schema ctreplay/catalog@1). */
export function loadCatalogFile(file: string, origin = file): CatalogEntry[] {
  const root = readStructuredFile(file);
  root.object(['schema', 'types'], 'a catalog: {schema: ctreplay/catalog@1, types: [...]}');
  const schema = root.req('schema');
  if (schema.string() !== 'ctreplay/catalog@1') schema.fail(`expected "ctreplay/catalog@1", got "${schema.string()}"`);
  return readCatalogEntries(root.req('types'), origin);
}

let builtin: CatalogEntry[] | null = null;

/** The built-in catalog (data/catalog.yaml). */
export function builtinCatalog(): readonly CatalogEntry[] {
  builtin ??= loadCatalogFile(join(packageRoot(), 'data', 'catalog.yaml'), 'built-in');
  return builtin;
}

/** The built-in catalog, then each list in turn (later lists win by type). */
export function mergeCatalogs(...lists: ReadonlyArray<readonly CatalogEntry[]>): Catalog {
  const m = new Map<string, CatalogEntry>();
  for (const e of builtinCatalog()) m.set(e.type, e);
  for (const l of lists) for (const e of l) m.set(e.type, e);
  return m;
}
