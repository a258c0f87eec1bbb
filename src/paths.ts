/**
 * Files shipped with the package (the bundled example in traces/), found from
 * this module's location whether it runs from src/ or dist/src/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory holding ctreplay's package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'ctreplay') {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the ctreplay package root');
    dir = up;
  }
}

/** The bundled example trace and its config. */
export function bundledExample(): { trace: string; config: string } {
  const r = packageRoot();
  return { trace: join(r, 'traces', 'example.jsonl'), config: join(r, 'traces', 'example.yaml') };
}

/** ctreplay's version from package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
