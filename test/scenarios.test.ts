// Every scenario under test/fixtures/scenarios passes `check`, and `check` notices a wrong expectation.
// shared/: the examples that came with SPEC.md; independent/: written from SPEC.md alone, without the engine's code.
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScenario } from '../src/scenario/check.js';
import { loadScenario } from '../src/scenario/scenario.js';

const root = join(import.meta.dirname, 'fixtures', 'scenarios');
const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => join(root, f));

describe('scenarios', () => {
  it('has the six shared scenarios and the independent ones', () => {
    expect(files.filter((f) => f.includes('/shared/'))).toHaveLength(6);
    expect(files.filter((f) => f.includes('/independent/')).length).toBeGreaterThanOrEqual(30);
    expect(files.filter((f) => f.includes('/own/')).length).toBeGreaterThanOrEqual(1);
  });

  const cases = files.flatMap((f) =>
    (['reference', 'wasm'] as const).map((e) => [f.slice(root.length + 1), e, f] as const),
  );
  it.each(cases)('%s passes on the %s engine', async (_name, engine, file) => {
    const r = await checkScenario(loadScenario(file), engine);
    expect({ mismatches: r.mismatches, counters: r.counterMismatches }).toEqual({ mismatches: [], counters: [] });
    expect(r.checked).toBeGreaterThan(0);
  });

  it('a flipped expectation and a wrong counter are reported with packet index and summary', async () => {
    const s = JSON.parse(readFileSync(join(root, 'shared', 'allowance-full.json'), 'utf8'));
    s.packets[3].expect = 'allow-new';
    s.expectInstances['api-1'].peakTracked = 4;
    const dir = mkdtempSync(join(tmpdir(), 'ctreplay-'));
    const f = join(dir, 'wrong.json');
    writeFileSync(f, JSON.stringify(s));
    const r = await checkScenario(loadScenario(f), 'reference');
    expect(r.passed).toBe(false);
    expect(r.mismatches).toEqual([
      {
        index: 3,
        summary: 't=3 tcp 198.51.100.4:1000 > 10.0.0.10:443 [S]',
        expected: 'allow-new',
        actual: 'drop-allowance',
      },
    ]);
    expect(r.counterMismatches).toEqual([{ instance: 'api-1', counter: 'peakTracked', expected: 4, actual: 3 }]);
  });
});
