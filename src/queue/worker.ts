/**
 * `mlx-intraday worker --queue redis://…`: takes node jobs off the queue and runs each in one of
 * its job processes (child-pool.ts: forked and loaded at start, one per slot, kept warm). BullMQ
 * keeps the job locked while the child works (this process only waits on IPC, so its lock
 * renewals never stall);
 * a worker killed mid-node stops renewing the lock, the job is found stalled after `lockMs`
 * and handed to another worker, which recomputes it from the same inputs (the store never shows
 * a half-written entry). A failing node is retried `attempts` times (the submitter's setting).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type Job } from 'bullmq';
import { ChildPool } from './child-pool.js';
import { redactSecrets } from '../util/redact.js';
import { QUEUE_NAME, type QueueTarget } from './connection.js';
import { failureOfReason, type NodeJobData, type NodeJobResult } from './protocol.js';

export interface WorkerOptions {
  target: QueueTarget;
  /** Jobs at once, each in its own job process (default 1: one MLX training per machine core pair). */
  concurrency?: number;
  /** A --store of this machine's own for every job (default: the store each job names). */
  store?: string;
  cacheDir?: string;
  modelsDir: string;
  /** How long a job stays locked without a renewal before another worker may take it (default 30 s). */
  lockMs?: number;
  log?: (line: string) => void;
}

/** The processor file next to this one: processor.js in the build, processor.ts under tsx. */
function processorFile(): string {
  for (const ext of ['.js', '.ts']) {
    const path = fileURLToPath(new URL(`./processor${ext}`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('the queue processor file (src/queue/processor) is missing from this installation');
}

/** How long a stopping worker with nothing running waits for Redis to acknowledge. */
const CLOSE_GRACE_MS = 5000;

export async function startWorker(o: WorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }> {
  const log = (line: string) => (o.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(redactSecrets(line));
  const concurrency = o.concurrency ?? 1;
  const name = `${hostname()}:${process.pid}`;
  // The job processes read their settings from the environment.
  const env: NodeJS.ProcessEnv = { ...process.env, MLX_INTRADAY_WORKER_MODELS: o.modelsDir, MLX_INTRADAY_WORKER_NAME: name };
  if (o.store) env.MLX_INTRADAY_WORKER_STORE = o.store;
  if (o.cacheDir) env.MLX_INTRADAY_CACHE = o.cacheDir;
  const pool = await ChildPool.start(concurrency, processorFile(), env, log);
  const lockDuration = o.lockMs ?? 30_000;
  const worker = new Worker<NodeJobData, NodeJobResult>(
    QUEUE_NAME,
    (job: Job<NodeJobData>, _token: string | undefined, signal?: AbortSignal) => pool.run(job.data, { signal, progress: (p) => void job.updateProgress(p as unknown as object).catch(() => {}) }),
    {
      connection: o.target.connection,
      concurrency,
      lockDuration,
      // Check for stalled jobs (a dead worker's) as often as a lock can expire.
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: 3,
    },
  );
  const nodeOf = (job: Job<NodeJobData> | undefined) => (job ? `${job.data.node} (key ${job.data.key.slice(0, 12)})` : 'a job');
  worker.on('active', (job) => log(`start ${nodeOf(job)}${job.attemptsMade ? ` — attempt ${job.attemptsMade + 1}` : ''}`));
  worker.on('completed', (job, r) => log(`done  ${nodeOf(job)} in ${(r.ms / 1000).toFixed(2)} s${r.cached ? ' (already in the store)' : ''}`));
  worker.on('failed', (job, err) => log(`fail  ${nodeOf(job)}: ${failureOfReason(err.message).message}`));
  worker.on('error', (err) => log(`queue error: ${err.message}`));
  try {
    await worker.waitUntilReady();
  } catch (e) {
    await pool.close();
    throw e;
  }
  log(`worker ${name} on ${o.target.shown} (${QUEUE_NAME}), ${concurrency} job(s) at once in job processes ${pool.pids.join(', ')}, store ${o.store ?? 'as each job names it'}`);
  return {
    worker,
    close: async () => {
      // BullMQ waits for the jobs in hand, then says goodbye to Redis; with Redis away that
      // goodbye never comes, so once no job runs here it gets a few seconds, then the
      // connection is dropped (a job it could not report is handed on when Redis is back).
      const closed = worker.close().then(() => true);
      const idle = (async () => {
        while (pool.busy > 0) await new Promise((r) => setTimeout(r, 100));
        await new Promise((r) => setTimeout(r, CLOSE_GRACE_MS));
        return false;
      })();
      if (!(await Promise.race([closed, idle]))) {
        log(`the queue's Redis did not answer within ${CLOSE_GRACE_MS / 1000} s of the last job: stopping without it`);
        // disconnect() itself waits for the connection to settle: do not wait on it either.
        void worker.disconnect().catch(() => {});
      }
      await pool.close();
    },
  };
}
