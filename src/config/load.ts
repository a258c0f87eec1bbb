/**
 * Reads config and scenario files: JSON or YAML (by extension, else by
 * content), with parse errors reported as InputError naming the file and the
 * line. The only file IO of the config layer.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml, parseDocument, YAMLParseError } from 'yaml';
import { InputError } from '../errors.js';
import { Field } from './reader.js';
import { resolveConfig } from './resolve.js';
import { loadCatalogFile, type CatalogEntry } from './catalog.js';
import type { ResolvedConfig } from './types.js';

/** Reads and parses a JSON or YAML file into its root Field. */
export function readStructuredFile(file: string): Field {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(
      file,
      '',
      `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return new Field(file, '', parseStructured(file, text));
}

/** Parses JSON or YAML text; `file` names it in errors and picks the syntax by extension (.json → JSON, .yaml/.yml → YAML, else JSON then YAML). */
export function parseStructured(file: string, text: string): unknown {
  const ext = extname(file).toLowerCase();
  const asJson = (): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new InputError(
        file,
        '',
        `not valid JSON${jsonErrorLine(text, (e as Error).message)}: ${(e as Error).message}`,
      );
    }
  };
  const asYaml = (): unknown => {
    try {
      return parseYaml(text, { uniqueKeys: true });
    } catch (e) {
      if (e instanceof YAMLParseError) {
        const where = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
        const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        throw new InputError(file, '', `not valid YAML${where}: ${what}`);
      }
      throw new InputError(file, '', `not valid YAML: ${(e as Error).message}`);
    }
  };
  if (ext === '.json') return asJson();
  if (ext === '.yaml' || ext === '.yml') return asYaml();
  const first = text.trimStart()[0];
  return first === '{' || first === '[' ? asJson() : asYaml();
}

/** " (line N)" for a JSON syntax error: Node 20's messages carry no position, so ask the YAML parser where it stops. */
function jsonErrorLine(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (m) return ` (line ${text.slice(0, Number(m[1])).split('\n').length})`;
  const err = parseDocument(text).errors[0];
  return err?.linePos?.[0] ? ` (line ${err.linePos[0].line})` : '';
}

/** Resolves a config given as a root Field; `{file: …}` includes resolve relative to that field's file. */
export function resolveConfigField(root: Field, catalog: readonly CatalogEntry[] = []): ResolvedConfig {
  return resolveConfig(root, (path, from) => readStructuredFile(resolve(dirname(from.file), path)), { catalog });
}

/** Loads and resolves a config file (JSON or YAML), with an optional catalog file of instance types. */
export function loadConfig(file: string, opts: { readonly catalog?: string } = {}): ResolvedConfig {
  const catalog = opts.catalog ? loadCatalogFile(opts.catalog) : [];
  return resolveConfigField(readStructuredFile(file), catalog);
}
