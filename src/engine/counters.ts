/**
 * Counters every engine publishes: verdict counts per evaluation (S11), and
 * per instance the tracked-connection figures and ENA-style metrics
 * (S17–S20). Plain numbers so they merge by addition across workers.
 */
import { V } from '../model/verdict.js';

/** Length of a verdict-count array: index = verdict code (0 unused). */
export const VERDICT_SLOTS = V.MALFORMED + 1;

/** Per-instance counters. */
export interface InstanceCounters {
  /** Evaluations at this instance's interfaces, by verdict code. */
  readonly verdicts: number[];
  /** Most tracked connections alive at once (S17). */
  peakTracked: number;
  /** Tracked connections alive at the last virtual time. */
  trackedAtEnd: number;
  /** Packets dropped by S10.6 (S19). */
  conntrackAllowanceExceeded: number;
  /** Packets dropped by the link-local limit (S20). */
  linklocalAllowanceExceeded: number;
}

/** Counters of a whole run. */
export interface EngineCounters {
  /** Evaluations by verdict code; FOREIGN and MALFORMED count packets. */
  readonly verdicts: number[];
  readonly instances: InstanceCounters[];
}

/** Fresh zeroed counters for `instances` instances. */
export function emptyCounters(instances: number): EngineCounters {
  return {
    verdicts: new Array<number>(VERDICT_SLOTS).fill(0),
    instances: Array.from({ length: instances }, () => ({
      verdicts: new Array<number>(VERDICT_SLOTS).fill(0),
      peakTracked: 0,
      trackedAtEnd: 0,
      conntrackAllowanceExceeded: 0,
      linklocalAllowanceExceeded: 0,
    })),
  };
}
