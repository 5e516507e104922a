/**
 * `npm run bench -- distributed`: the 27-point sweep of pipelines/sweep.yaml run three ways on
 * this machine, each on an empty shared-folder store and an empty models folder of its own:
 * the local executor (no queue), then through Redis with one worker process, then with two
 * (each `worker --concurrency 1`, spawned from source). All three must give the same train
 * metrics per point and the same artifact checksum for every node key (checked here).
 *
 * MLX_INTRADAY_BENCH_QUICK=1: a 4-point variant (pipelines/quickstart.yaml with
 * --sweep train.epochs=1,2 --sweep sample_interval=5,10) to try the bench in a minute or two.
 *
 * Queue overhead per node (what the queue costs on top of the node's own work, never the
 * time a job waited because every worker was busy), summed over jobs and divided by their count:
 *   pickup      processedAt − max(addedAt, when a worker slot became free for it): a worker
 *               was idle and the job was there, yet not taken yet;
 *   notice      seenAt − finishedAt: the worker finished, the submitter had not learnt it yet;
 *   enqueue     enqueueMs / jobs: the submitter's wall time with an add in flight (its own
 *               Redis round trips; overlapping adds of a fan-out counted once);
 *   processor   (finishedAt − processedAt) − workerMs − gcMs: the job's wall in the worker
 *               process less the node's own work in its job process and the forced GC after it
 *               (IPC both ways, BullMQ's calls around the job).
 * The GC after each node (gc ms) is memory release the local executor does after every node it
 * runs as well; it is shown beside the overhead, not in it.
 * Which slot ran which job is not recorded, so slots are rebuilt: jobs in pickup order, each
 * given the slot that became free last before it was taken (the smallest pickup it can have).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, parseStoreLocation } from '../../src/cache/open-store.js';
import type { Store } from '../../src/cache/store-api.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { parseQueueUrl } from '../../src/queue/connection.js';
import { QueueClient, type JobTimeline } from '../../src/queue/submit.js';
import { ChildPool } from '../../src/queue/child-pool.js';
import type { NodeJobData } from '../../src/queue/protocol.js';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { runSweep, type SweepOutcome } from '../../src/run-sweep.js';
import { loadSweep, type SweepLoadOptions } from '../../src/spec/sweep.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { startRedis } from '../support/redis-server.js';
import type { BenchSection } from './run.js';

const QUICK = process.env.MLX_INTRADAY_BENCH_QUICK === '1';
const SPEC = join(PACKAGE_ROOT, 'pipelines', QUICK ? 'quickstart.yaml' : 'sweep.yaml');
const LOAD: SweepLoadOptions = QUICK ? { sweep: ['train.epochs=1,2', 'sample_interval=5,10'] } : {};
const TSX = join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const CLI = join(PACKAGE_ROOT, 'src', 'cli.ts');

interface Way {
  run: string;
  wallMs: number;
  outcome: SweepOutcome;
  store: Store;
  stats?: QueueClient['stats'];
  workers?: number;
}

/** Per-job overhead parts in ms (see the header), summed over the finished jobs. */
function overhead(stats: QueueClient['stats'], workers: number) {
  const jobs = [...stats.finished].sort((a, b) => a.processedAt - b.processedAt);
  const slots: number[] = Array(workers).fill(-Infinity); // when each slot became free
  let pickup = 0;
  let notice = 0;
  let processor = 0;
  let gc = 0;
  const procs: { ms: number; node: string }[] = [];
  for (const j of jobs) {
    // The slot free latest before the job was taken (jobs on one slot never overlap).
    let best = -1;
    for (let s = 0; s < slots.length; s++) if (slots[s] <= j.processedAt && (best < 0 || slots[s] > slots[best])) best = s;
    if (best < 0) best = slots.indexOf(Math.min(...slots)); // clock skew of a few ms: the earliest-free slot
    pickup += Math.max(0, j.processedAt - Math.max(j.addedAt, slots[best]));
    slots[best] = j.finishedAt;
    notice += Math.max(0, j.seenAt - j.finishedAt);
    const proc = Math.max(0, j.finishedAt - j.processedAt - j.workerMs - j.gcMs);
    processor += proc;
    procs.push({ ms: proc, node: j.node });
    gc += j.gcMs;
  }
  const n = Math.max(1, jobs.length);
  return { n: jobs.length, pickup: pickup / n, notice: notice / n, enqueue: stats.enqueueMs / Math.max(1, stats.jobs), processor: processor / n, processorSpread: spread(procs), gc: gc / n, work: jobs.reduce((s, j: JobTimeline) => s + j.workerMs, 0) / n };
}

/**
 * The queue's parts with nothing else running (same Redis, this process): a PING, one enqueue
 * as QueueClient does it (getJobState, add), a whole no-op job through BullMQ, and one
 * job-process round trip (ChildPool with a stand-in child that answers at once): what the
 * overhead above is made of, each on an idle machine and in one process.
 */
async function floors(url: string, n = 200): Promise<{ ping: number; enqueue: number; ipc: number; bullmqJob: number }> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('mlxi-bench-floor', { connection });
  try {
    await queue.waitUntilReady();
    const data = { spec: 'x'.repeat(2000), inputs: { a: { key: 'k'.repeat(64), contentId: 'c'.repeat(64) } } };
    const mean = async (f: (i: number) => Promise<unknown>) => {
      for (let i = 0; i < 20; i++) await f(-i - 1); // warm up (scripts loaded, JIT)
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await f(i);
      return (performance.now() - t0) / n;
    };
    const ping = await mean(() => connection.ping());
    const enqueue = await mean(async (i) => {
      const jobId = `floor-${i}`;
      if ((await queue.getJobState(jobId)) === 'unknown') await queue.add('n', data, { jobId, attempts: 3, removeOnComplete: true });
    });
    // A whole no-op job through BullMQ, one after another (add → a worker in this process →
    // completed event): the engine's own cost per job, without our processes around it. The
    // jobs the enqueue measure left waiting go first, or the worker would start on them.
    await queue.drain();
    const events = new QueueEvents('mlxi-bench-floor', { connection: new Redis(url, { maxRetriesPerRequest: null }) });
    const worker = new Worker('mlxi-bench-floor', async () => ({ ok: true }), { connection: new Redis(url, { maxRetriesPerRequest: null }), concurrency: 1 });
    const pool = await ChildPool.start(1, join(PACKAGE_ROOT, 'test', 'distributed', 'fixtures', 'echo-child.mjs'), process.env, () => {}, []);
    try {
      await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
      const bullmqJob = await mean(async (i) => {
        const jobId = `floor-rt-${i}`;
        const done = new Promise<void>((resolve) => {
          const on = ({ jobId: id }: { jobId: string }) => id === jobId && (events.off('completed', on), resolve());
          events.on('completed', on);
        });
        if ((await queue.getJobState(jobId)) === 'unknown') await queue.add('n', data, { jobId, attempts: 3, removeOnComplete: true });
        await done;
      });
      const ipc = await mean(() => pool.run({ node: 'floor', source: { specText: data.spec } } as unknown as NodeJobData));
      return { ping, enqueue, ipc, bullmqJob };
    } finally {
      await pool.close();
      await worker.close();
      await events.close();
    }
  } finally {
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    connection.disconnect();
  }
}

/** Median and the largest few of per-job values (a mean hides a single slow job). */
function spread(v: { ms: number; node: string }[]): string {
  if (!v.length) return 'no jobs';
  const sorted = [...v].sort((a, b) => a.ms - b.ms);
  const top = sorted.slice(-3).reverse();
  return `median ${sorted[Math.floor(sorted.length / 2)].ms.toFixed(1)} ms, largest ${top.map((x) => `${x.ms.toFixed(0)} (${x.node})`).join(', ')}`;
}

/** The first path (a.b[2].c) where the values differ, and the values there. */
function firstDifference(values: unknown[], at: string): { at: string; values: unknown[] } {
  const [a] = values;
  if (a && typeof a === 'object' && values.every((v) => v && typeof v === 'object' && Array.isArray(v) === Array.isArray(a))) {
    const keys = [...new Set(values.flatMap((v) => Object.keys(v as object)))];
    for (const k of keys) {
      const sub = values.map((v) => (v as Record<string, unknown>)[k]);
      if (sub.some((x) => JSON.stringify(x) !== JSON.stringify(sub[0]))) return firstDifference(sub, Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`);
    }
  }
  return { at, values };
}

/** Mean node work (workerMs) per step, from the job timelines (node ids are `step[batch]@point`). */
function stepMeans(jobs: JobTimeline[]): string {
  const by = new Map<string, number[]>();
  for (const j of jobs) {
    const step = j.node.split(/[[@]/)[0];
    by.set(step, [...(by.get(step) ?? []), j.workerMs]);
  }
  return [...by].map(([s, ms]) => `${s} ${(ms.reduce((a, b) => a + b, 0) / ms.length / 1000).toFixed(2)} s × ${ms.length}`).join(', ');
}

/** A worker process; `ready` resolves on its start line (its job processes loaded). */
function spawnWorker(url: string, dir: string, i: number): ChildProcess & { ready: Promise<void> } {
  const args = ['--expose-gc', '--import', TSX, CLI, '--models-dir', join(dir, 'models'), '--cache-dir', join(dir, `worker-${i}-cache`), 'worker', '--queue', url, '--concurrency', '1'];
  const p = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env } });
  let err = '';
  const ready = new Promise<void>((resolve, reject) => {
    p.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString('utf8')).slice(-4000);
      if (/^worker \S+ on /m.test(err)) resolve();
    });
    p.once('exit', (code, sig) => {
      if (code !== 0 && code !== null && sig === null) console.error(`worker ${i} exited with ${code}:\n${err}`);
      reject(new Error(`worker ${i} exited at start (see its output above); run: node --import tsx src/cli.ts worker --queue ${url}`));
    });
  });
  ready.catch(() => {});
  return Object.assign(p, { ready });
}

async function stopWorker(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(t);
}

export default async function (): Promise<BenchSection> {
  const root = mkdtempSync(join(tmpdir(), 'mlxi-bench-distributed-'));
  const sweep = loadSweep(SPEC, LOAD);
  const redis = await startRedis();
  const workers: ChildProcess[] = [];
  const stores: Store[] = [];
  const ways: Way[] = [];
  try {
    const oneWay = async (name: string, nWorkers: number): Promise<Way> => {
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      const storeValue = `folder:${join(dir, 'store')}`;
      const store = await openStore(parseStoreLocation(storeValue, join(dir, 'cache')));
      stores.push(store);
      const opts = { store, cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), concurrency: 2 };
      if (nWorkers === 0) {
        const t0 = performance.now();
        const outcome = await runSweep(sweep, opts);
        return { run: 'local executor (concurrency 2)', wallMs: performance.now() - t0, outcome, store };
      }
      const mine: (ChildProcess & { ready: Promise<void> })[] = [];
      for (let i = 0; i < nWorkers; i++) mine.push(spawnWorker(redis.url, dir, i));
      workers.push(...mine);
      // Wait for the workers' start lines (their job processes loaded) so the wall time is the run's.
      await Promise.all(mine.map((p) => p.ready));
      const client = await QueueClient.open({ target: parseQueueUrl(redis.url), store: storeValue, source: { specPath: SPEC, specText: sweep.base.text, load: { ...LOAD, cwd: process.cwd() } } });
      try {
        const t0 = performance.now();
        const outcome = await runSweep(sweep, { ...opts, remote: client });
        const wallMs = performance.now() - t0;
        return { run: `Redis, ${nWorkers} worker${nWorkers > 1 ? 's' : ''} × concurrency 1`, wallMs, outcome, store, stats: client.stats, workers: nWorkers };
      } finally {
        await client.close();
        await Promise.all(mine.map(stopWorker));
      }
    };
    ways.push(await oneWay('local', 0));
    ways.push(await oneWay('queue-1', 1));
    ways.push(await oneWay('queue-2', 2));

    // Same results: train metrics per point, artifact checksums per node key.
    let metricMismatches = 0;
    for (const p of sweep.points) {
      const m = ways.map((w) => JSON.stringify(w.outcome.points[p.index].metrics.train));
      if (m.some((x) => x !== m[0])) metricMismatches++;
    }
    // Checksums are over the blob and the meta text, and the meta of some steps holds timings
    // (precheck's elapsedMs, train's per-epoch seconds) and the checkpoint path (each way has its
    // own models folder): where a checksum differs, the arrays are compared byte for byte and the
    // meta without those fields.
    const keysOf = async (w: Way) => {
      const keys = new Set<string>();
      for (const r of await w.store.runs.sweep(w.outcome.sweepId)) for (const n of r.nodes ?? []) if (n.key) keys.add(n.key);
      return keys;
    };
    const keySets = await Promise.all(ways.map(keysOf));
    const allKeys = new Set(keySets.flatMap((k) => [...k]));
    const VOLATILE = new Set(['seconds', 'elapsedMs', 'checkpoint']);
    const stable = (v: unknown): unknown => (Array.isArray(v) ? v.map(stable) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !VOLATILE.has(k)).map(([k, x]) => [k, stable(x)])) : v);
    const arraysHash = (t: Record<string, Tensor>) => {
      const h = createHash('sha256');
      for (const name of Object.keys(t).sort()) {
        h.update(`${name}:${t[name].dtype}:${t[name].shape.join('x')};`);
        h.update(new Uint8Array(t[name].data.buffer, t[name].data.byteOffset, t[name].data.byteLength));
      }
      return h.digest('hex');
    };
    let sameChecksum = 0;
    let sameButVolatile = 0;
    let metaOnly = 0;
    let arraysDiffer = 0;
    let missing = 0;
    const differingSteps = new Map<string, number>();
    const differingDetail: string[] = [];
    const volatileSteps = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    for (const k of allKeys) {
      const recs = await Promise.all(ways.map((w) => w.store.artifacts.lookup(k)));
      if (recs.some((r) => !r)) {
        missing++;
        continue;
      }
      if (recs.every((r) => r!.checksum === recs[0]!.checksum)) {
        sameChecksum++;
        continue;
      }
      const arrays = await Promise.all(ways.map(async (w) => arraysHash((await w.store.artifacts.load(k, { touch: false }))!.tensors)));
      const metas = recs.map((r) => JSON.stringify(stable(r!.meta)));
      if (arrays.every((a) => a === arrays[0]) && metas.every((m) => m === metas[0])) {
        sameButVolatile++;
        bump(volatileSteps, recs[0]!.step);
      } else {
        if (arrays.every((a) => a === arrays[0])) metaOnly++;
        else arraysDiffer++;
        bump(differingSteps, recs[0]!.step);
        // What differs, for the first few: which arrays, which meta fields (top level).
        if (differingDetail.length < 5) {
          const loaded = await Promise.all(ways.map(async (w) => (await w.store.artifacts.load(k, { touch: false }))!.tensors));
          const arraysDiffer = Object.keys(loaded[0]).filter((n) => loaded.some((t) => !t[n] || arraysHash({ [n]: t[n] }) !== arraysHash({ [n]: loaded[0][n] })));
          const metas = recs.map((r) => stable(r!.meta) as Record<string, unknown>);
          const metaDiffer = Object.keys(metas[0]).filter((f) => metas.some((m) => JSON.stringify(m[f]) !== JSON.stringify(metas[0][f])));
          const sample = metaDiffer.slice(0, 2).map((f) => {
            const path = firstDifference(metas.map((m) => m[f]), f);
            return `${path.at} = ${path.values.map((v) => JSON.stringify(v)?.slice(0, 120)).join(' | ')}`;
          });
          differingDetail.push(`${recs[0]!.step} ${k.slice(0, 12)}: arrays [${arraysDiffer.join(', ')}], meta [${metaDiffer.join(', ')}]${sample.length ? ` — ${sample.join('; ')}` : ''}`);
        }
      }
    }
    const byStep = (m: Map<string, number>) => [...m].map(([s, n]) => `${n} ${s}`).join(', ');

    const floor = await floors(redis.url);
    const ran = (o: SweepOutcome) => [...o.results.values()].filter((r) => r.status === 'ran').length;
    const local = ways[0];
    const rows = ways.map((w) => {
      const row: Record<string, string | number> = { run: w.run, 'wall s': w.wallMs / 1000, 'nodes run': ran(w.outcome), 'vs local': `${(w.wallMs / local.wallMs).toFixed(2)}×` };
      if (w.stats) {
        const o = overhead(w.stats, w.workers!);
        Object.assign(row, {
          jobs: o.n,
          'overhead ms/node': o.pickup + o.notice + o.enqueue + o.processor,
          'pickup ms': o.pickup,
          'notice ms': o.notice,
          'enqueue ms': o.enqueue,
          'processor ms': o.processor,
          'gc ms': o.gc,
          'node work ms': o.work,
          requeued: w.stats.requeued,
        });
      }
      return row;
    });
    return {
      title: `Distributed: ${sweep.points.length} points of ${QUICK ? 'pipelines/quickstart.yaml --sweep train.epochs=1,2 --sweep sample_interval=5,10 (QUICK)' : 'pipelines/sweep.yaml'} — local executor vs Redis with 1 and 2 workers on this machine (empty folder stores)`,
      rows,
      notes: [
        `Points whose train metrics differ between the three ways: ${metricMismatches} of ${sweep.points.length} (must be 0).`,
        `Node keys in the run records: ${allKeys.size} (the same set in all three stores: ${keySets.every((k) => k.size === allKeys.size) ? 'yes' : 'NO'}). Same artifact checksum in all three: ${sameChecksum}. Checksum differs only through timing/path meta (${[...VOLATILE].join(', ')}), arrays byte-identical: ${sameButVolatile}${volatileSteps.size ? ` (${byStep(volatileSteps)})` : ''}. Arrays byte-identical but other meta differs: ${metaOnly}${differingSteps.size ? ` (${byStep(differingSteps)}; details below)` : ''}. Arrays differ: ${arraysDiffer}; missing in some store: ${missing} (both must be 0).`,
        ...differingDetail.map((d) => `Differs (local | 1 worker | 2 workers): ${d}`),
        ...ways.filter((w) => w.stats).map((w) => `Processor ms per job, ${w.run}: ${overhead(w.stats!, w.workers!).processorSpread}.`),
        ...ways.filter((w) => w.stats).map((w) => `Node work by step, ${w.run} (mean workerMs: the node's own work in the child): ${stepMeans(w.stats!.finished)}.`),
        `Outcome: ${ways.map((w) => `${w.run}: ${w.outcome.status}`).join('; ')}.`,
        'Overhead per node = pickup (processedAt − max(addedAt, when a worker slot became free): an idle worker had not taken the job yet; the wait while every worker was busy is not counted) + notice (seenAt − finishedAt: the submitter learning the job finished) + enqueue (the submitter\'s wall time with an add in flight ÷ jobs) + processor (job wall in the worker process − the node\'s own work and the GC after it in the job process: IPC, BullMQ\'s calls around the job). gc ms: the forced GC after each node (MLX frees memory only then), which the local executor does after every node too, so it is not queue overhead. Slots are rebuilt from the timelines (each job on the slot freed last before it was taken). The parts can overlap: BullMQ\'s finishing script both completes a job and hands its worker the next waiting one, so with jobs back to back its time is in one job\'s notice and the next one\'s processor; along a chain of dependent nodes they add up. The sum is an upper bound.',
        `The floor, measured after the runs with nothing else going on (same Redis, ${200} of each): Redis PING ${floor.ping.toFixed(3)} ms; one enqueue as the submitter does it (getJobState + add) ${floor.enqueue.toFixed(3)} ms; one job-process round trip (IPC both ways, a stand-in child answering at once) ${floor.ipc.toFixed(3)} ms; a whole no-op job through BullMQ, one after another in this one process (enqueue as above, a worker takes it, completes it, the completed event arrives) ${floor.bullmqJob.toFixed(3)} ms. The overhead above is these across four processes (submitter, Redis, worker, job process) on 2 cores that MLX shares.`,
        `One machine (2 cores): the workers share the cores with the submitter and Redis, so 2 workers cannot show a scale-out here, only that the queue costs little per node. Each queued run started once its workers had said they were ready (their start is not counted).`,
      ],
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    for (const s of stores) s.close();
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
