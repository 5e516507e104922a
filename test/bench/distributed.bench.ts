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
 * Queue overhead per node: what the queue adds to the run's time on top of the nodes' own
 * work, never the time a job waited because every job process was busy with other nodes. Each
 * job's timeline (epoch ms, one machine's clock) gives it one of two costs:
 *   slot gap    the job was waiting when its job process answered the previous one: the time
 *               from that answer until this job reached the job process (the IPC back, the
 *               finishing call that also takes the next job, the IPC out) — what each node
 *               costs in throughput when there is more work than workers;
 *   chain       it was not: its dispatch (from the executor handing it over until its job
 *               process had it: the add, the worker waking and taking it, the IPC) plus its
 *               return (from the job process answering until the executor knew: the IPC back,
 *               the finishing call, the completed event) — what each link of a chain of
 *               dependent nodes costs in latency.
 * overhead ms/node is the mean of those costs over all jobs. Beside them: enqueue (the add alone,
 * part of a dispatch: the submitter's wall time with an add in flight ÷ jobs) and gc ms (the
 * forced GC after each node, which the local executor does after every node too: not queue
 * overhead).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, parseStoreLocation } from '../../src/cache/open-store.js';
import type { Store } from '../../src/cache/store-api.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { parseQueueUrl } from '../../src/queue/connection.js';
import { QueueClient, type JobTimeline } from '../../src/queue/submit.js';
import { ChildPool } from '../../src/queue/child-pool.js';
import type { NodeJobData } from '../../src/queue/protocol.js';
import { Queue, QueueEvents } from 'bullmq';
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
  /** This process's CPU time over the queued run (user + system: keying, records, events, GC). */
  submitterCpuMs?: number;
}

/** The queue's cost per job in ms (see the header), from the finished jobs' timelines. */
function overhead(stats: QueueClient['stats']) {
  const jobs = [...stats.finished].sort((a, b) => a.startedAt - b.startedAt);
  const freeSince = new Map<string, number>(); // per job process: when it answered its last job
  const gaps: { ms: number; node: string }[] = [];
  const chains: { ms: number; node: string }[] = [];
  for (const j of jobs) {
    const free = freeSince.get(j.slot);
    freeSince.set(j.slot, j.doneAt);
    if (free !== undefined && j.decidedAt <= free) gaps.push({ ms: Math.max(0, j.startedAt - free), node: j.node });
    else chains.push({ ms: Math.max(0, j.startedAt - j.decidedAt) + Math.max(0, j.seenAt - j.doneAt), node: j.node });
  }
  const mean = (v: { ms: number }[]) => (v.length ? v.reduce((s, x) => s + x.ms, 0) / v.length : NaN);
  const n = Math.max(1, jobs.length);
  return {
    n: jobs.length,
    perNode: mean([...gaps, ...chains]),
    gap: mean(gaps),
    gaps: gaps.length,
    chain: mean(chains),
    chains: chains.length,
    enqueue: stats.enqueueMs / Math.max(1, stats.jobs),
    spread: `slot gap ${spread(gaps)}; chain ${spread(chains)}`,
    gc: jobs.reduce((s, j) => s + j.gcMs, 0) / n,
    work: jobs.reduce((s, j) => s + j.workerMs, 0) / n,
  };
}

/** How long each floor job keeps its job process busy (a short real node). */
const BUSY_MS = 300;

/**
 * The queue's floor on this machine, measured after the runs with nothing else going on (same
 * Redis): a PING and one add from this process; one job-process round trip (ChildPool with a
 * stand-in child that answers at once); and whole no-op jobs through the runs' own shape of four
 * processes (this one submitting, Redis, a worker process, its job process answering at once):
 * one after another with 50 ms idle between (the processes asleep, as between real nodes: the
 * floor of the chain latency), 200 enqueued at once, and 20 enqueued at once that each keep
 * their job process busy BUSY_MS, alone and with this process working on each completed event
 * (the floor of the slot gap, under the conditions real nodes give it).
 */
async function floors(url: string, n = 200): Promise<{ ping: number; enqueue: number; ipc: number; chain: number; backToBack: number; busy: number; busySubmitter: number }> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const eventsConnection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('mlxi-bench-floor', { connection });
  // Connections handed in are not closed by BullMQ: each is disconnected below, or this
  // process would keep reconnecting to the stopped server and never exit.
  const events = new QueueEvents('mlxi-bench-floor', { connection: eventsConnection });
  const pool = await ChildPool.start(1, join(PACKAGE_ROOT, 'test', 'distributed', 'fixtures', 'echo-child.mjs'), process.env, () => {}, []);
  let worker: ChildProcess | undefined;
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const data = { node: 'floor', source: { specText: 'x'.repeat(2000) }, inputs: { a: { key: 'k'.repeat(64), contentId: 'c'.repeat(64) } } };
    const mean = async (f: (i: number) => Promise<unknown>, idleMs = 0, count = n) => {
      for (let i = 0; i < 20; i++) await f(-i - 1); // warm up (scripts loaded, JIT)
      let busy = 0;
      for (let i = 0; i < count; i++) {
        if (idleMs) await new Promise((r) => setTimeout(r, idleMs));
        const t0 = performance.now();
        await f(i);
        busy += performance.now() - t0;
      }
      return busy / count;
    };
    const ping = await mean(() => connection.ping());
    const enqueue = await mean((i) => queue.add('n', data, { jobId: `floor-add-${i}`, removeOnComplete: true }));
    const ipc = await mean(() => pool.run(data as unknown as NodeJobData));
    await queue.obliterate({ force: true }); // the adds above, before a worker could take them
    worker = fork(join(PACKAGE_ROOT, 'test', 'bench', 'fixtures', 'noop-worker.ts'), [url, 'mlxi-bench-floor'], { execArgv: ['--import', TSX], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => (worker!.once('message', () => resolve()), worker!.once('exit', (c) => reject(new Error(`the floor's no-op worker exited (${c})`)))));
    const completed = new Map<string, () => void>();
    events.on('completed', ({ jobId }) => completed.get(jobId)?.());
    const job = (jobId: string, extra: object = {}) => {
      const done = new Promise<void>((resolve) => completed.set(jobId, resolve));
      return queue.add('n', { ...data, ...extra }, { jobId, removeOnComplete: true }).then(() => done);
    };
    const chain = await mean((i) => job(`floor-chain-${i}`), 50, 60);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => job(`floor-b2b-${i}`)));
    const backToBack = (performance.now() - t0) / n;
    // As between real nodes: each job keeps its job process busy 300 ms (sweeping 64 MB), so
    // the others sleep and the caches are cold at the hand-over; then the same with this process
    // busy for 15 ms on each completed event, as the executor is recording a node (run record,
    // checkpoint, the next keys). Per job: the wall less the jobs' own 300 ms.
    const busyGap = async (tag: string, burnMs: number) => {
      const onDone = ({ jobId }: { jobId: string }) => {
        if (!jobId.startsWith(tag)) return;
        const end = performance.now() + burnMs;
        while (performance.now() < end); // CPU, not a sleep: what the executor's work is
      };
      events.on('completed', onDone);
      const count = 20;
      const t1 = performance.now();
      await Promise.all(Array.from({ length: count }, (_, i) => job(`${tag}-${i}`, { spinMs: BUSY_MS })));
      events.off('completed', onDone);
      return (performance.now() - t1 - count * BUSY_MS) / count;
    };
    const busy = await busyGap('floor-busy', 0);
    const busySubmitter = await busyGap('floor-busy-sub', 15);
    return { ping, enqueue, ipc, chain, backToBack, busy, busySubmitter };
  } finally {
    worker?.disconnect();
    await pool.close();
    await events.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    eventsConnection.disconnect();
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

/** The nice value of the bench's workers: a worker started from a shell. */
const WORKER_NICE = 0;

/**
 * A worker process; `ready` resolves on its start line (its job processes loaded). Its log goes
 * to a file, as a service's would: a pipe into this process would wake the submitter for every
 * line the worker writes, at the very moments a job starts and ends.
 */
function spawnWorker(url: string, dir: string, i: number): ChildProcess & { ready: Promise<void> } {
  const args = ['--expose-gc', '--import', TSX, CLI, '--models-dir', join(dir, 'models'), '--cache-dir', join(dir, `worker-${i}-cache`), 'worker', '--queue', url, '--concurrency', '1'];
  const logFile = join(dir, `worker-${i}.log`);
  const fd = openSync(logFile, 'w');
  const p = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', fd], env: { ...process.env } });
  closeSync(fd);
  // A worker as started from a shell (nice 0), not at the nice this process took when it first
  // submitted (QueueClient.open); before it forks its job processes, which take theirs from it.
  try {
    setPriority(p.pid!, WORKER_NICE);
  } catch {
    console.error(`could not give worker ${i} nice ${WORKER_NICE} (not permitted here): it runs at this process's ${getPriority()}`);
  }
  const said = () => readFileSync(logFile, 'utf8');
  const ready = new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => /^worker \S+ on /m.test(said()) && (clearInterval(poll), resolve()), 50);
    p.once('exit', (code, sig) => {
      clearInterval(poll);
      if (code !== 0 && code !== null && sig === null) console.error(`worker ${i} exited with ${code}:\n${said().slice(-4000)}`);
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
        const cpu0 = process.cpuUsage();
        const outcome = await runSweep(sweep, { ...opts, remote: client });
        const wallMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        return { run: `Redis, ${nWorkers} worker${nWorkers > 1 ? 's' : ''} × concurrency 1`, wallMs, outcome, store, stats: client.stats, workers: nWorkers, submitterCpuMs: (cpu.user + cpu.system) / 1000 };
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
        const o = overhead(w.stats);
        Object.assign(row, {
          jobs: o.n,
          'overhead ms/node': o.perNode,
          'slot gap ms': o.gaps ? `${o.gap.toFixed(2)} (${o.gaps})` : '–',
          'chain ms': o.chains ? `${o.chain.toFixed(2)} (${o.chains})` : '–',
          'enqueue ms': o.enqueue,
          'submitter cpu ms/node': (w.submitterCpuMs ?? 0) / Math.max(1, o.n),
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
        ...ways.filter((w) => w.stats).map((w) => `Per job, ${w.run}: ${overhead(w.stats!).spread}.`),
        ...ways.filter((w) => w.stats).map((w) => `Node work by step, ${w.run} (mean workerMs: the node's own work in the child): ${stepMeans(w.stats!.finished)}.`),
        `Outcome: ${ways.map((w) => `${w.run}: ${w.outcome.status}`).join('; ')}.`,
        'Overhead per node: the mean over all jobs of each job\'s cost. A job waiting when its job process answered the previous one costs its slot gap (from that answer until it reached the job process: the IPC back, the finishing call that also takes the next job, the IPC out); any other job costs its chain latency (dispatch: from the executor handing it over until its job process had it — the add, the worker waking and taking it, the IPC — plus return: from its job process answering until the executor knew — the IPC back, the finishing call, the completed event). The wait while every job process was busy is not counted. enqueue ms: the add alone (part of a dispatch). submitter cpu ms/node: this process\'s CPU time over the queued run (keying, hits, records, the queue events, GC) ÷ jobs: what it takes from the cores the workers share on one machine. gc ms: the forced GC after each node (MLX frees memory only then), which the local executor does after every node too, so it is not queue overhead. Times are Date.now() in the submitter and the job processes (one clock on one machine; whole ms, so each job\'s figure is off by under 1 ms either way, not biased).',
        `The floor on this machine, measured after the runs with nothing else going on (same Redis): Redis PING ${floor.ping.toFixed(3)} ms; one add ${floor.enqueue.toFixed(3)} ms; one job-process round trip (IPC both ways, a stand-in child answering at once) ${floor.ipc.toFixed(3)} ms. No-op jobs through the runs' shape of four processes (this one submitting, Redis, a worker process, its job process answering at once): one after another with 50 ms idle between, the processes asleep as between real nodes (the chain floor) ${floor.chain.toFixed(2)} ms each; 200 enqueued at once ${floor.backToBack.toFixed(2)} ms each; 20 enqueued at once, each keeping its job process busy ${BUSY_MS} ms as a real node does (the slot-gap floor: the hand-over after the processes slept, caches cold) ${floor.busy.toFixed(2)} ms each beyond their ${BUSY_MS} ms, and ${floor.busySubmitter.toFixed(2)} ms when this process also works 15 ms on each completed event (as the executor does, recording the node and keying the next).`,
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
