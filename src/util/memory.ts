/**
 * Memory helpers for MLX loops.
 *
 * MLX (@frost-beta/mlx 0.0.7) frees an array's native memory only when V8 collects its JS
 * wrapper, and V8 does not see that native memory, so it does not hurry. Long loops (training
 * steps, prediction batches, ticker batches) must be async and call `collect()` every few
 * iterations: a forced GC followed by one turn of the event loop, so the finalizers run.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = () => void;

let gcFn: GcFn | null | undefined;

/** The global `gc` (node --expose-gc), else one obtained at run time through the V8 flag. */
function getGc(): GcFn | null {
  if (gcFn !== undefined) return gcFn;
  const g = (globalThis as { gc?: GcFn }).gc;
  if (typeof g === 'function') {
    gcFn = g;
    return gcFn;
  }
  try {
    // Expose gc at run time: the flag makes a fresh context carry a `gc` global.
    setFlagsFromString('--expose-gc');
    const fromVm = runInNewContext('gc') as unknown;
    gcFn = typeof fromVm === 'function' ? (fromVm as GcFn) : null;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/** Yields one turn of the event loop (lets queued finalizers and I/O callbacks run). */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Forces a GC when possible and yields one event-loop turn so MLX finalizers free native
 * memory. Call every few steps of any loop that creates MLX arrays.
 */
export async function collect(): Promise<void> {
  const gc = getGc();
  if (gc) gc();
  await yieldTurn();
}

/** Resident set size of this process in MiB. */
export function rssMB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}
