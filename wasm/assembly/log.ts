// The change log of a sharded run: every admission, expiry and allowance drop,
// keyed by the batch row at which it happens, so the coordinator can merge the
// logs of all workers into exact per-instance tracked counts at every packet.
// Record, 8 bytes: row u32 | instance u16 | kind u16 (LOG_*).
import { alloc, release } from './alloc';

export const LOG_ADMIT: u32 = 0;
export const LOG_EXPIRE: u32 = 1;
export const LOG_DROP: u32 = 2;

/** The batch row being processed (expiries found while processing it are logged at it). */
export let curRow: u32 = 0;
let logPtr: usize = 0;
let logLen: u32 = 0;
let logCap: u32 = 0;

export function setCurRow(r: u32): void {
  curRow = r;
}

export function logEnable(): void {
  if (logPtr == 0) {
    logCap = 65536;
    logPtr = alloc(<usize>logCap << 3);
  }
}

// @ts-ignore: decorator
@inline export function logging(): bool {
  return logPtr != 0;
}

export function logRecord(inst: u32, kind: u32): void {
  if (logPtr == 0) return;
  if (logLen == logCap) {
    const bigger = alloc(<usize>logCap << 4);
    memory.copy(bigger, logPtr, <usize>logCap << 3);
    release(logPtr, <usize>logCap << 3);
    logPtr = bigger;
    logCap <<= 1;
  }
  store<u32>(logPtr + (<usize>logLen << 3), curRow);
  store<u32>(logPtr + (<usize>logLen << 3), inst | (kind << 16), 4);
  logLen++;
}

export function logPointer(): usize {
  return logPtr;
}

export function logLength(): u32 {
  return logLen;
}

export function logClear(): void {
  logLen = 0;
}

// ---------------------------------------------------------------- context (sharded runs, see context.ts)

export function logSave(p: usize): void {
  store<u32>(p, <u32>logPtr);
  store<u32>(p, logLen, 4);
  store<u32>(p, logCap, 8);
}

export function logLoad(p: usize): void {
  logPtr = <usize>load<u32>(p);
  logLen = load<u32>(p, 4);
  logCap = load<u32>(p, 8);
}
