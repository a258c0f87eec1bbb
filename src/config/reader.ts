/**
 * A cursor over untrusted JSON/YAML input that knows where it is: every
 * accessor either returns a typed value or throws InputError naming the file,
 * the field path (`securityGroups[0].IpPermissions[2].FromPort`) and what was
 * expected versus found. Validation code reads like the format it checks.
 */
import { describeValue, InputError } from '../errors.js';

/** A value at a field path in a file. */
export class Field {
  constructor(
    /** The file the value came from. */
    readonly file: string,
    /** Field path from the file's root ('' for the root). */
    readonly path: string,
    /** The raw value. */
    readonly value: unknown,
  ) {}

  /** Throws an InputError at this field. */
  fail(problem: string): never {
    throw new InputError(this.file, this.path, problem);
  }

  /** The child at `key` (which may be absent: value undefined). */
  at(key: string): Field {
    const v = isPlainObject(this.value) ? this.value[key] : undefined;
    return new Field(this.file, this.path ? `${this.path}.${key}` : key, v);
  }

  /** True when the value is absent (undefined; YAML `~`/null counts as given). */
  get missing(): boolean {
    return this.value === undefined;
  }

  /** The child at `key`, which must be present. */
  req(key: string): Field {
    const f = this.at(key);
    if (f.missing) this.fail(`missing required key "${key}"`);
    return f;
  }

  /** The child at `key`, or undefined when absent. */
  opt(key: string): Field | undefined {
    const f = this.at(key);
    return f.missing ? undefined : f;
  }

  /** Asserts a plain object whose keys are all in `known`; unknown keys are errors (typos must not pass silently). */
  object(known: readonly string[], what = 'an object'): this {
    if (!isPlainObject(this.value)) this.fail(`expected ${what}, got ${describeValue(this.value)}`);
    for (const k of Object.keys(this.value)) {
      if (!known.includes(k)) {
        const hint = closest(k, known);
        this.at(k).fail(
          `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ''}; known keys: ${known.join(', ')}`,
        );
      }
    }
    return this;
  }

  /** The entries of a plain object (any keys), as fields. */
  entries(what = 'an object'): Array<[string, Field]> {
    if (!isPlainObject(this.value)) this.fail(`expected ${what}, got ${describeValue(this.value)}`);
    return Object.keys(this.value).map((k) => [k, this.at(k)]);
  }

  /** The elements of an array, as fields. */
  array(what = 'a list'): Field[] {
    if (!Array.isArray(this.value)) this.fail(`expected ${what}, got ${describeValue(this.value)}`);
    return this.value.map((v, i) => new Field(this.file, `${this.path}[${i}]`, v));
  }

  /** A string (non-empty unless allowEmpty). */
  string(allowEmpty = false): string {
    if (typeof this.value !== 'string') this.fail(`expected a string, got ${describeValue(this.value)}`);
    if (!allowEmpty && this.value.length === 0) this.fail('expected a non-empty string');
    return this.value;
  }

  /** A boolean. */
  bool(): boolean {
    if (typeof this.value !== 'boolean') this.fail(`expected true or false, got ${describeValue(this.value)}`);
    return this.value;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number, what = 'an integer'): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`expected ${what}, got ${describeValue(v)}`);
    if (v < min || v > max) this.fail(`${v} is out of range (expected ${what} in ${min}…${max})`);
    return v;
  }

  /** A finite number in [min, max]. */
  number(min: number, max: number, what = 'a number'): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`expected ${what}, got ${describeValue(v)}`);
    if (v < min || v > max) this.fail(`${v} is out of range (expected ${what} in ${min}…${max})`);
    return v;
  }
}

/** True for `{}`-like objects (not arrays, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The known key nearest to a typo, if it is close enough to be a likely typo. */
function closest(k: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of known) {
    const d = editDistance(k.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(k.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
