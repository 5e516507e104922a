/**
 * The queue on the command line: `mlx-intraday worker --queue redis://…` (runs node jobs until
 * SIGTERM/SIGINT, finishing the ones in hand), and what `run --queue` needs to hand its nodes to
 * workers. See docs/architecture.md ("Queue and stores") and the README's "Many machines".
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
// The queue's modules (BullMQ, ioredis, the job runner) load only when a command uses the queue:
// they are about half of the CLI's start-up time, which every other command would pay.
import type { QueueClient } from '../queue/submit.js';
import type { StoreLocation } from '../cache/open-store.js';
import type { SweepLoadOptions } from '../spec/sweep.js';
import type { Spec } from '../spec/types.js';
import { UsageError } from '../util/errors.js';

/** A --store value a worker on this machine opens to reach the same store (paths made absolute). */
export function storeValueFor(loc: StoreLocation): string {
  return loc.backend === 's3' ? loc.url : loc.backend === 'folder' ? `folder:${loc.dir}` : `local:${loc.dir}`;
}

/** Opens the queue for `run --queue`: checks Redis keeps jobs, then a client for the executor. */
export async function openRunQueue(url: string, spec: Spec, load: SweepLoadOptions, store: StoreLocation, warn: (m: string) => void): Promise<QueueClient> {
  const [{ checkQueueServer, parseQueueUrl }, { QueueClient }] = await Promise.all([import('../queue/connection.js'), import('../queue/submit.js')]);
  const target = parseQueueUrl(url);
  await checkQueueServer(target);
  if (store.backend === 'local') warn(`the store is this machine's local cache (${store.dir}); workers on other machines cannot reach it: use --store folder:PATH or s3://… for them`);
  const { kinds: _kinds, ...rest } = load;
  return QueueClient.open({ target, store: storeValueFor(store), source: { specPath: resolve(spec.path), specText: spec.text, load: { ...rest, cwd: rest.cwd ?? process.cwd() } } });
}

export function registerWorkerCommand(program: Command, globals: () => { cacheDir: string; modelsDir: string; store?: string }): void {
  program
    .command('worker')
    .description('run pipeline nodes from a queue (each in a job process of its own, kept warm) until stopped; start one or more per machine')
    .requiredOption('--queue <url>', 'the Redis the runs enqueue on, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'jobs at once on this machine (default 1)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw UsageError.one(`--concurrency takes a whole number from 1 to 64, got "${v}"`, 'e.g. --concurrency 2', { file: `--concurrency ${v}` });
      return n;
    })
    .option('--lock-ms <ms>', 'how long a job stays locked without renewal before another worker may take it over (default 30000)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1000) throw UsageError.one(`--lock-ms takes a whole number of milliseconds ≥ 1000, got "${v}"`, 'e.g. --lock-ms 30000', { file: `--lock-ms ${v}` });
      return n;
    })
    .action(async (o: { queue: string; concurrency?: number; lockMs?: number }) => {
      const g = globals();
      const [{ checkQueueServer, parseQueueUrl }, { startWorker }, { closeJobStores }] = await Promise.all([import('../queue/connection.js'), import('../queue/worker.js'), import('../queue/node-job.js')]);
      const target = parseQueueUrl(o.queue);
      await checkQueueServer(target);
      const w = await startWorker({ target, concurrency: o.concurrency, store: g.store, cacheDir: resolve(g.cacheDir), modelsDir: resolve(g.modelsDir), lockMs: o.lockMs });
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) process.exit(130);
          stopping = true;
          process.stderr.write(`${sig}: finishing the jobs in hand, then stopping (again to quit at once; the queue hands unfinished jobs to other workers)\n`);
          void w.close().then(closeJobStores).then(done, done);
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      });
      process.exit(0); // nothing left to do; a reconnect timer must not keep the process up
    });
}
