/**
 * A worker's job process (child-pool.ts forks it): loads the step kinds and MLX once, says
 * `ready`, then runs node jobs one at a time as the worker sends them. The worker passes its
 * settings in the environment (worker.ts).
 */
import type { FromChild, ToChild } from './child-pool.js';
import { runNodeJob, WORKER_NAME } from './node-job.js';
import { collect } from '../util/memory.js';

// The worker that forked this process died (SIGKILL, OOM): stop at once instead of finishing a
// node nobody will report; its job is handed to another worker, and the store never shows
// what this process had not finished writing.
process.on('disconnect', () => process.exit(1));
// Ctrl-C and a service manager's SIGTERM reach the whole process group: the worker decides
// (it finishes the jobs in hand, then disconnects this process), so a signal must not kill a
// node half-way here.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

const send = (m: FromChild) => process.connected && process.send!(m);
const slot = `${WORKER_NAME}/${process.pid}`;
const aborts = new Map<number, AbortController>();

async function runJob(id: number, data: Extract<ToChild, { type: 'run' }>['data']): Promise<void> {
  const startedAt = Date.now();
  const abort = new AbortController();
  aborts.set(id, abort);
  let last = 0;
  try {
    const result = await runNodeJob(data, {
      modelsDir: process.env.MLX_INTRADAY_WORKER_MODELS ?? 'models',
      store: process.env.MLX_INTRADAY_WORKER_STORE || undefined,
      cacheDir: process.env.MLX_INTRADAY_CACHE || 'cache',
      signal: abort.signal,
      progress: (p) => {
        // At most a few updates a second: each is a Redis round trip on the worker, and one
        // still in flight delays the job's completion behind it on the same connection. A node's
        // last "100 %" says nothing its completed event does not.
        const now = Date.now();
        if (p.fraction !== undefined && !p.warn && !p.info && (now - last < 250 || p.fraction >= 1)) return;
        if (p.fraction !== undefined) last = now;
        send({ type: 'progress', id, progress: p });
      },
      log: (line) => process.stderr.write(`${line}\n`),
    });
    // Before answering, so the next job finds this process ready: MLX frees native memory only
    // when its wrappers are collected (the local executor collects after each node it runs too).
    const g0 = performance.now();
    if (!result.cached) await collect();
    send({ type: 'done', id, result: { ...result, gcMs: performance.now() - g0, slot, startedAt, doneAt: Date.now() } });
  } catch (e) {
    await collect();
    send({ type: 'failed', id, message: (e as Error).message });
  } finally {
    aborts.delete(id);
  }
}

process.on('message', (m: ToChild) => {
  if (m.type === 'run') void runJob(m.id, m.data);
  else if (m.type === 'abort') aborts.get(m.id)?.abort();
});
send({ type: 'ready' });
