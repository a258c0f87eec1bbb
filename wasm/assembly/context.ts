// The shard state of an engine instance, saved to and loaded from memory, so
// that one instance can decide the rows of every shard in trace order (the
// rows during which an allowance may bind: see engine.ts processSerial).
// Rule tables are not part of it: every instance compiles the same config.
//
// Context, CTX_BYTES bytes:
//   0   flows    (flows.ts flowsSave: tables, sizes)
//   32  timers   (timers.ts timersSave: nodes, wheel, heap; nextDue at 32 + CTX_NEXT_DUE)
//   88  frags    (frags.ts fragsSave)
//   100 log      (log.ts logSave)
//   112 counters (config.ts countersSave; ctrInst at 112 + CTX_CTR_INST)
import { countersLoad, countersSave, CTX_CTR_INST } from './config';
import { flowsLoad, flowsSave } from './flows';
import { fragsLoad, fragsSave } from './frags';
import { logLoad, logSave } from './log';
import { CTX_NEXT_DUE, timersLoad, timersSave } from './timers';

export const CTX_BYTES: usize = 128;
const FLOWS: usize = 0;
const TIMERS: usize = 32;
const FRAGS: usize = 88;
/** Where a saved context keeps its log: pointer u32, then length u32 (log.ts logSave). */
export const LOG: usize = 100;
const COUNTERS: usize = 112;
/** Where a saved context keeps nextDue (i64) and the per-instance counters' address (u32). */
export const CTX_AT_NEXT_DUE: usize = TIMERS + CTX_NEXT_DUE;
export const CTX_AT_CTR_INST: usize = COUNTERS + CTX_CTR_INST;

export function ctxSave(p: usize): void {
  flowsSave(p + FLOWS);
  timersSave(p + TIMERS);
  fragsSave(p + FRAGS);
  logSave(p + LOG);
  countersSave(p + COUNTERS);
}

export function ctxLoad(p: usize): void {
  flowsLoad(p + FLOWS);
  timersLoad(p + TIMERS);
  fragsLoad(p + FRAGS);
  logLoad(p + LOG);
  countersLoad(p + COUNTERS);
}
