/**
 * Verdicts (SPEC S11) and their one-nibble codes. A packet's outcome is one
 * byte: the low nibble is the first evaluation (the sender's egress, or the
 * only interface, or the per-packet verdict `foreign`/`malformed`), the high
 * nibble the second evaluation (the receiver's ingress, S4), 0 when none.
 * Every engine writes exactly this byte, and the report digest hashes it.
 */

/** The verdict strings of SPEC S11, in code order (code = index + 1). */
export const VERDICTS = [
  'allow-new',
  'allow-tracked',
  'allow-related',
  'allow-untracked',
  'allow-bypass',
  'deny',
  'drop-allowance',
  'drop-linklocal',
  'foreign',
  'malformed',
] as const;

/** A verdict string of SPEC S11. */
export type Verdict = (typeof VERDICTS)[number];

/** Verdicts given per evaluation (per interface); the report counts these. */
export const EVALUATION_VERDICTS = VERDICTS.slice(0, 8) as readonly Verdict[];

/** Numeric verdict codes (nibble values). 0 means "no evaluation". */
export const V = {
  NONE: 0,
  NEW: 1,
  TRACKED: 2,
  RELATED: 3,
  UNTRACKED: 4,
  BYPASS: 5,
  DENY: 6,
  DROP_ALLOWANCE: 7,
  DROP_LINKLOCAL: 8,
  FOREIGN: 9,
  MALFORMED: 10,
} as const;

/** The verdict string of a nibble code (1…10). */
export function verdictName(code: number): Verdict {
  const v = VERDICTS[code - 1];
  if (v === undefined) throw new RangeError(`no verdict has code ${code}`);
  return v;
}

/** The nibble code of a verdict string, or 0 if it is not one. */
export function verdictCode(name: string): number {
  return (VERDICTS as readonly string[]).indexOf(name) + 1;
}

/** True for the verdicts that let a packet through an interface. */
export function isAllowed(code: number): boolean {
  return code >= V.NEW && code <= V.BYPASS;
}
