/**
 * A replay worker thread (piscina, one single-thread pool per shard): runs
 * the tasks of its shard (shard.ts). The resolved config, the compiled
 * module and the shared memory arrive with the thread.
 */
import { workerData } from 'piscina';
import type { FinishResult, StepResult, WorkerInit, WorkerTask } from './protocol.js';
import { ShardRunner } from './shard.js';

const runner = new ShardRunner(workerData as WorkerInit);

/** Runs one task. */
export default function run(task: WorkerTask): StepResult | FinishResult {
  return runner.run(task);
}
