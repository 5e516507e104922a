/**
 * Distributed runs on loopback, against a real redis-server and real worker processes (the CLI,
 * each job in a job process): a sweep run by 2 workers equals the same sweep run locally
 * (same keys, same artifact checksums, same metrics); a worker killed with SIGKILL mid-node and
 * a Redis restart mid-sweep still end with identical results; a poisoned node fails once per
 * attempt, is reported with its step, batch and tickers, and blocks nothing independent of it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openStore, parseStoreLocation } from '../../src/cache/open-store.js';
import type { Store } from '../../src/cache/store-api.js';
import type { RunEvent } from '../../src/dag/events.js';
import { parseQueueUrl } from '../../src/queue/connection.js';
import { QueueClient, SUBMITTER_NICE } from '../../src/queue/submit.js';
import { getPriority } from 'node:os';
import { runSweep, type SweepOutcome } from '../../src/run-sweep.js';
import { loadSweep } from '../../src/spec/sweep.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import { tempDir, waitFor } from '../runner/helpers.js';

const TSX = join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const CLI = join(PACKAGE_ROOT, 'src', 'cli.ts');
const REAL = resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'real-1min');

// Two batches, a shared fetch/indicators/samples chain and two train points: long enough per
// train node (8 epochs) to kill a worker in the middle of one.
const SPEC = `name: dist
universe: {tickers: [AAA, BBB, CCC]}
batch_size: 2
data: {provider: synthetic, seed: 3, end: "2026-10-30"}
params: {days: 5, sample_interval: 10, epochs: 8, min_samples: 50}
steps:
  precheck: {kind: precheck}
  bars: {kind: fetch, inputs: [precheck]}
  indicators: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [indicators, bars]}
  train: {kind: train, inputs: [samples], params: {model: mlp, batch_size: 64}}
sweep:
  grid:
    train.learning_rate: [0.001, 0.003]
`;

interface WorkerProc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<void>;
}

const workers: WorkerProc[] = [];

/** A worker process; it opens the store each job names (the submitter's). */
function startWorker(redisUrl: string, modelsDir: string, lockMs = 3000): WorkerProc {
  const child = spawn(process.execPath, ['--expose-gc', '--import', TSX, CLI, '--models-dir', modelsDir, 'worker', '--queue', redisUrl, '--lock-ms', String(lockMs)], {
    // Its own process group: SIGKILL to the group is a machine dying (the worker and its children).
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const take = (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const w = { child, lines, exited };
  workers.push(w);
  return w;
}

/** Running (a zombie waiting for its new parent to reap it has exited). */
const alive = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

const ready = (w: WorkerProc) => w.lines.some((l) => l.startsWith('worker '));

function killGroup(w: WorkerProc, sig: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-w.child.pid!, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Meta as compared: without wall-clock timings (an epoch's seconds, a precheck's elapsed ms:
 * they differ between any two runs, local or not) and with the machine's models folder named
 * alike (the checkpoint path is where that machine wrote it).
 */
const TIMINGS = new Set(['seconds', 'elapsedMs']);
const withoutTimings = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(withoutTimings)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).filter(([k]) => !TIMINGS.has(k)).map(([k, x]) => [k, withoutTimings(x)]))
      : typeof v === 'string'
        ? v.replace(/^.*\/mlxi-dist-[^/]+\/models(-w)?\//, '<models>/')
        : v;

/** sha256 of an entry's arrays: names, dtypes, shapes and bytes. */
async function arraysHash(store: Store, key: string): Promise<string> {
  const a = (await store.artifacts.load(key, { touch: false }))!;
  const h = createHash('sha256');
  for (const name of Object.keys(a.tensors).sort()) {
    const t = a.tensors[name];
    h.update(`${name}:${t.dtype}:${t.shape.join('x')}:`).update(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

/** The sweep's keys per point and node, the arrays and meta stored under each key, and the metrics. */
async function fingerprint(store: Store, out: SweepOutcome) {
  const points = [];
  for (const p of out.points) {
    const rec = (await store.runs.get(p.runId))!;
    const nodes: Record<string, { key?: string; contentId?: string; arrays?: string; meta?: unknown }> = {};
    for (const n of rec.nodes ?? []) {
      const entry = n.key ? await store.artifacts.lookup(n.key) : undefined;
      nodes[n.node] = { key: n.key, contentId: entry?.contentId, arrays: entry ? await arraysHash(store, n.key!) : undefined, meta: withoutTimings(entry?.meta) };
    }
    points.push({ values: p.values, status: p.status, nodes, metrics: rec.metrics });
  }
  return points;
}

function writeSpec(dir: string, text = SPEC): string {
  const path = join(dir, 'spec.yaml');
  writeFileSync(path, text);
  return path;
}

async function runQueued(redis: RedisServer, dir: string, specPath: string, opts: { onEvent?: (e: RunEvent) => void } = {}) {
  const storeDir = join(dir, 'store');
  const store = await openStore(parseStoreLocation(`folder:${storeDir}`, dir));
  const sweep = loadSweep(specPath);
  const queue = await QueueClient.open({ target: parseQueueUrl(redis.url), store: `folder:${storeDir}`, source: { specPath, specText: sweep.base.text, load: { cwd: dir } }, pollMs: 300 });
  const events: RunEvent[] = [];
  try {
    const out = await runSweep(sweep, { store, cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), remote: queue, report: (e) => (events.push(e), opts.onEvent?.(e)) });
    return { out, store, events, queue };
  } finally {
    await queue.close();
  }
}

describe.skipIf(!redisAvailable())('distributed runs (BullMQ on a real redis-server, worker processes)', () => {
  let redis: RedisServer;
  let local: Awaited<ReturnType<typeof fingerprint>>;
  /** The files the local run left in its models folder (keyed checkpoints, sidecars, the published ones). */
  let localModels: string[];

  beforeAll(async () => {
    redis = await startRedis();
    // The same sweep run by the local executor: what every queued run must reproduce.
    const dir = tempDir('mlxi-dist-local-');
    const store = await openStore(parseStoreLocation(`folder:${join(dir, 'store')}`, dir));
    const out = await runSweep(loadSweep(writeSpec(dir)), { store, cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), concurrency: 2 });
    expect(out.status).toBe('ok');
    local = await fingerprint(store, out);
    localModels = readdirSync(join(dir, 'models')).sort();
    store.close();
  }, 300_000);

  // Every test's workers are gone before the next starts (a failed test must not leave a worker taking its jobs).
  afterEach(async () => {
    const live = workers.splice(0);
    for (const w of live) killGroup(w);
    await Promise.all(live.map((w) => w.exited));
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('a sweep run by 2 worker processes gives the local run\'s keys, stored arrays and meta, and metrics; both workers took nodes; checkpoints appear on the submitter', async () => {
    const dir = tempDir('mlxi-dist-2w-');
    const ws = [startWorker(redis.url, join(dir, 'models-w')), startWorker(redis.url, join(dir, 'models-w'))];
    await waitFor('the workers to start', () => ws.every(ready));
    const { out, store, events } = await runQueued(redis, dir, writeSpec(dir));
    expect(out.status).toBe('ok');
    expect(await fingerprint(store, out)).toEqual(local);
    for (const w of ws) expect(w.lines.some((l) => l.startsWith('done ')), w.lines.join('\n')).toBe(true);
    // Worker notes reach the submitter; the submitter keeps the checkpoint (onHit) as a local run does.
    expect(events.some((e) => e.type === 'info' || e.type === 'warn')).toBe(true);
    expect(existsSync(join(dir, 'models', 'indicator_transformer_mlx_best.safetensors'))).toBe(true);
    // All of them, copied at the run's end rather than per node: the same files a local run leaves.
    expect(readdirSync(join(dir, 'models')).sort()).toEqual(localModels);
    expect(localModels.filter((f) => /-[0-9a-f]{12}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    // The submitter gave its workers on this machine the cores first.
    expect(getPriority()).toBeGreaterThanOrEqual(SUBMITTER_NICE);
    store.close();
    for (const w of ws) killGroup(w, 'SIGTERM');
    await Promise.all(ws.map((w) => w.exited));
  }, 300_000);

  it('a worker killed with SIGKILL in the middle of a node: its job process stops too, the job is retried on the other worker and the sweep ends identical', async () => {
    const dir = tempDir('mlxi-dist-kill-');
    const ws = [startWorker(redis.url, join(dir, 'models-w')), startWorker(redis.url, join(dir, 'models-w'))];
    await waitFor('the workers to start', () => ws.every(ready));
    let victim: WorkerProc | undefined;
    const run = runQueued(redis, dir, writeSpec(dir));
    // The first worker seen starting a train node dies with it (worker and job process).
    await waitFor('a worker to start a train node', () => (victim = ws.find((w) => w.lines.some((l) => /^start train/.test(l)))) !== undefined);
    // The worker process alone, as the OOM killer would; its child (the node's work) must not linger.
    const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(victim!.child.pid)], { encoding: 'utf8' }).stdout.split('\n').map(Number).filter(Boolean);
    expect(children.length).toBeGreaterThan(0);
    process.kill(victim!.child.pid!, 'SIGKILL');
    await victim!.exited;
    // At once (the child sees its parent's channel close), not when its node would have finished.
    // Soon (the child sees its parent's channel close: ~0.25 s here), not when or if its node finishes
    // (without that, an orphan outlives this 3 s wait).
    await waitFor("the killed worker's children to exit", () => children.every((pid) => !alive(pid)), 3000);
    const { out, store } = await run;
    expect(out.status).toBe('ok');
    expect(await fingerprint(store, out)).toEqual(local);
    const survivor = ws.find((w) => w !== victim)!;
    expect(survivor.lines.filter((l) => /^done  train/.test(l)).length).toBe(2); // it ran the killed one too
    store.close();
    killGroup(survivor, 'SIGTERM');
    await survivor.exited;
  }, 300_000);

  it('Redis restarted in the middle of the sweep: workers and submitter reconnect and the sweep ends identical', async () => {
    const dir = tempDir('mlxi-dist-redis-');
    const ws = [startWorker(redis.url, join(dir, 'models-w'))];
    await waitFor('the worker to start', () => ws.every(ready));
    let restarted: Promise<void> | undefined;
    const { out, store } = await runQueued(redis, dir, writeSpec(dir), {
      onEvent: (e) => {
        // Once the first batch's samples are done, while the rest is queued or running.
        if (!restarted && e.type === 'node-end' && e.step === 'samples') restarted = redis.restart();
      },
    });
    await restarted;
    expect(restarted).toBeDefined();
    expect(out.status).toBe('ok');
    expect(await fingerprint(store, out)).toEqual(local);
    store.close();
    killGroup(ws[0], 'SIGTERM');
    await ws[0].exited;
  }, 300_000);

  it('jobs lost from Redis (a restart without its data): the submitter enqueues them again and the sweep ends identical', async () => {
    const dir = tempDir('mlxi-dist-lost-');
    const ws = [startWorker(redis.url, join(dir, 'models-w'))];
    await waitFor('the worker to start', () => ws.every(ready));
    const admin = new Redis(redis.url, { maxRetriesPerRequest: null });
    let flushed: Promise<unknown> | undefined;
    const { out, store, events, queue } = await runQueued(redis, dir, writeSpec(dir), {
      onEvent: (e) => {
        // Mid-training (a progress message from the worker): that job is certainly in Redis.
        if (!flushed && e.type === 'node-progress' && e.step === 'train') flushed = admin.flushall();
      },
    });
    await flushed;
    admin.disconnect();
    expect(flushed).toBeDefined();
    expect(out.status).toBe('ok');
    expect(queue.stats.requeued).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'info' && /not in the queue any more; enqueued again/.test(e.message))).toBe(true);
    expect(await fingerprint(store, out)).toEqual(local);
    store.close();
  }, 300_000);

  it('an entry removed after its job completed (gc) is computed again by the next queued run, not taken as done', async () => {
    const dir = tempDir('mlxi-dist-gc-');
    startWorker(redis.url, join(dir, 'models-w'));
    await waitFor('the worker to start', () => workers.every(ready));
    const specPath = writeSpec(dir);
    const first = await runQueued(redis, dir, specPath);
    expect(first.out.status).toBe('ok');
    const train = [...first.out.results.values()].find((r) => r.id === 'train@1')!;
    await first.store.artifacts.remove(train.key!);
    first.store.close();
    const again = await runQueued(redis, dir, specPath);
    expect(again.out.status).toBe('ok');
    expect(again.out.results.get('train@1')!.status).toBe('ran');
    expect(again.out.results.get('train@2')!.status).toBe('hit');
    expect(await fingerprint(again.store, again.out)).toEqual(local);
    again.store.close();
  }, 300_000);

    it('a rerun gives a job that failed in an earlier run its attempts anew: a cause fixed since (here a worker that could not write checkpoints) is not reported again', async () => {
      const dir = tempDir('mlxi-dist-rerun-');
      const spec = SPEC.replace('epochs: 8', 'epochs: 2').replace(/sweep:[\s\S]*$/, '');
      // A file where the worker's models folder should be: every train attempt fails on it.
      writeFileSync(join(dir, 'blocker'), '');
      const broken = startWorker(redis.url, join(dir, 'blocker', 'models'));
      await waitFor('the worker to start', () => ready(broken));
      const first = await runQueued(redis, dir, writeSpec(dir, spec));
      expect(first.out.status).toBe('failed');
      expect(first.events.filter((e) => e.type === 'node-fail').map((e) => (e as Extract<RunEvent, { type: 'node-fail' }>).step)).toEqual(['train']);
      expect(broken.lines.filter((l) => /^fail  train/.test(l))).toHaveLength(3);
      killGroup(broken, 'SIGTERM');
      await broken.exited;

      // The failed job is still in Redis under the node's key; a healthy worker now runs it.
      const healthy = startWorker(redis.url, join(dir, 'models-w'));
      await waitFor('the worker to start', () => ready(healthy));
      const again = await runQueued(redis, dir, writeSpec(dir, spec));
      expect(again.out.status).toBe('ok');
      const status = Object.fromEntries([...again.out.results.values()].map((r) => [r.id, r.status]));
      expect(status).toMatchObject({ train: 'ran', 'samples[1/2]': 'hit', 'samples[2/2]': 'hit' });
      expect(healthy.lines.filter((l) => /^done  train/.test(l))).toHaveLength(1);
      killGroup(healthy, 'SIGTERM');
      await healthy.exited;
    }, 300_000);

  describe.skipIf(!existsSync(REAL))('a poisoned node', () => {
    it('fails once per attempt, is reported with its step, batch and tickers, and the independent batches finish', async () => {
      const dir = tempDir('mlxi-dist-poison-');
      const bars = join(dir, 'bars');
      mkdirSync(bars);
      for (const t of ['AAPL', 'MSFT', 'NVDA']) copyFileSync(join(REAL, `${t}.csv`), join(bars, `${t}.csv`));
      // A timestamp no parser takes: every attempt at NVDA's batch fails the same way.
      const file = join(bars, 'NVDA.csv');
      const lines = readFileSync(file, 'utf8').split('\n');
      lines[5] = lines[5].replace(/^[^,]+/, 'not-a-time');
      writeFileSync(file, lines.join('\n'));
      const spec = `name: poison
universe: {tickers: [AAPL, MSFT, NVDA]}
batch_size: 1
data: {provider: folder, end: 2026-03-20, folder: {path: bars}}
params: {days: 3, sample_interval: 30, min_samples: 10}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars], params: {names: [AVWAP_SESSION, EMA_9, RSI_14]}}
  samples: {kind: sample, inputs: [indicators, bars]}
`;
      const ws = [startWorker(redis.url, join(dir, 'models-w'))];
      await waitFor('the worker to start', () => ws.every(ready));
      const { out, events } = await runQueued(redis, dir, writeSpec(dir, spec));
      expect(out.status).toBe('failed');
      const fails = events.filter((e) => e.type === 'node-fail');
      expect(fails).toHaveLength(1);
      const f = fails[0] as Extract<RunEvent, { type: 'node-fail' }>;
      expect(f).toMatchObject({ step: 'bars', batch: 2, tickers: ['NVDA'] });
      expect(f.error).toMatch(/batch 3\/3 \(NVDA\) failed: .*NVDA\.csv:6: cannot parse timestamp .*failed on each of 3 attempts/);
      expect(events.filter((e) => e.type === 'warn' && /attempt \d of 3 failed/.test(e.message)).length).toBeGreaterThanOrEqual(1);
      // Three attempts on the worker, then no more.
      expect(ws[0].lines.filter((l) => /^fail  bars\[3\/3\]/.test(l))).toHaveLength(3);
      const status = Object.fromEntries([...out.results.values()].map((r) => [r.id, r.status]));
      expect(status).toMatchObject({ 'bars[1/3]': 'ran', 'bars[2/3]': 'ran', 'indicators[1/3]': 'ran', 'indicators[2/3]': 'ran', 'samples[1/3]': 'ran', 'samples[2/3]': 'ran', 'bars[3/3]': 'failed', 'indicators[3/3]': 'skipped', 'samples[3/3]': 'skipped' });

      killGroup(ws[0], 'SIGTERM');
      await ws[0].exited;
    }, 300_000);
  });
});
