/**
 * The sandboxed processor BullMQ runs node jobs in: a child process of the worker, so a
 * CPU-bound step (training, indicators) never starves the worker's lock renewals, and a crash
 * takes only the child. The parent passes its settings in the environment (see worker.ts).
 */
import type { SandboxedJob } from 'bullmq';
import { runNodeJob } from './node-job.js';
import type { NodeJobData, NodeJobResult } from './protocol.js';

// The worker that forked this child died (SIGKILL, OOM): stop at once instead of finishing a
// node nobody will report; its job is handed to another worker, and the store never shows
// what this process had not finished writing.
process.on('disconnect', () => process.exit(1));

export default async function processNodeJob(job: SandboxedJob<NodeJobData, NodeJobResult>): Promise<NodeJobResult> {
  let last = 0;
  return runNodeJob(job.data, {
    modelsDir: process.env.MLX_INTRADAY_WORKER_MODELS ?? 'models',
    store: process.env.MLX_INTRADAY_WORKER_STORE || undefined,
    cacheDir: process.env.MLX_INTRADAY_CACHE || 'cache',
    progress: (p) => {
      // At most a few updates a second: each is a Redis round trip.
      const now = Date.now();
      if (p.fraction !== undefined && now - last < 250 && p.fraction < 1) return;
      if (p.fraction !== undefined) last = now;
      void job.updateProgress(p as unknown as object).catch(() => {});
    },
    log: (line) => process.stderr.write(`${line}\n`),
  });
}
