/**
 * The error catalogue of ctreplay: every error that reaches a user is one of
 * these classes, with a stable `code`. cli.ts maps them to exit code 2 and a
 * one-line message; anything else is a bug and is reported as such.
 */

/** Base class: an error that is the user's input, not a bug in ctreplay. */
export abstract class CtreplayError extends Error {
  /** Stable machine-readable code, e.g. `CTR_CONFIG`. */
  abstract readonly code: string;
  /** Exit code the CLI uses for this error. */
  readonly exitCode: number = 2;
}

/**
 * A configuration or scenario file breaks a rule (SPEC S22): names the file,
 * the field path inside it (`securityGroups[0].IpPermissions[2].FromPort`) and
 * the problem.
 */
export class InputError extends CtreplayError {
  readonly code = 'CTR_INPUT';
  constructor(
    /** The file the bad value is in (as the user named it). */
    readonly file: string,
    /** Field path inside the file; empty for the whole file. */
    readonly path: string,
    /** What is wrong, ideally "expected …, got …". */
    readonly problem: string,
  ) {
    super(`${file}${path ? `: ${path}` : ''}: ${problem}`);
    this.name = 'InputError';
  }
}

/** A trace file that is not a trace, or cannot be read at all. */
export class TraceError extends CtreplayError {
  readonly code = 'CTR_TRACE';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'TraceError';
  }
}

/** Bad command-line usage (unknown option, missing argument). */
export class UsageError extends CtreplayError {
  readonly code = 'CTR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Describes a JSON value briefly for "expected …, got …" messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

/** The run was interrupted (Ctrl-C): exit 130, as a shell reports SIGINT. */
export class Interrupted extends CtreplayError {
  readonly code = 'CTR_INTERRUPTED';
  override readonly exitCode = 130;
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}
