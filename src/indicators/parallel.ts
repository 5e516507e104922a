/**
 * computeIndicatorsParallel: the same cube as computeIndicators, with the tickers split into
 * contiguous slices over threads. The calling thread computes the first slice itself while
 * worker threads compute the others; every slice is written straight into one
 * SharedArrayBuffer-backed [T, N, F] output at its column offset, so nothing is copied back.
 *
 * Every kernel is per ticker (no cross-ticker state), so a slice's values are bit-identical to
 * the same tickers' values in a one-thread run.
 *
 * Workers are started on first use, kept in a small pool (unref'd: they never keep the process
 * alive) and reused. They load ./worker.js next to this module: the compiled file under dist/, or
 * ./worker.ts through tsx's loader when this module itself runs from TypeScript sources (tsx,
 * vitest).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { selectTickers, type Panel } from '../data/panel.js';
import { checkPanel, computeIndicators, resolveIndicatorNames } from './compute.js';
import type { IndicatorResult, ParallelOptions } from './types.js';

/** One slice job for a worker (see worker.ts). */
export interface SliceJob {
  id: number;
  panel: Panel;
  names: string[];
  out: SharedArrayBuffer;
  outOffset: number;
  outLength: number;
  nOffset: number;
  nTotal: number;
  countNaN: boolean;
}

export type SliceReply = { id: number; ok: true; nanCount: number } | { id: number; ok: false; message: string; stack?: string };

interface PoolWorker {
  worker: Worker;
  pending: Map<number, { resolve: (nanCount: number) => void; reject: (e: Error) => void }>;
}

const pool: PoolWorker[] = [];

/** URL of the ESM build of tsx/esm/api (a dev dependency), resolved from this module. */
function tsxEsmApi(from: string): string {
  const pkgPath = createRequire(from).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const rel = pkg.exports['./esm/api']?.import?.default;
  if (!rel) throw new Error('indicators: cannot locate tsx/esm/api to start a TypeScript worker');
  return pathToFileURL(path.join(path.dirname(pkgPath), rel)).href;
}
let nextId = 1;

function spawn(): PoolWorker {
  const here = import.meta.url;
  const fromTs = /\.[cm]?ts$/.test(new URL(here).pathname);
  let worker: Worker;
  if (!fromTs) {
    worker = new Worker(new URL('./worker.js', here));
  } else {
    // TypeScript sources (tsx / vitest): register tsx's ESM loader in the worker (its `register`
    // from the ESM build of tsx/esm/api), then import worker.ts.
    const entry = new URL('./worker.ts', here).href;
    const boot = `import(${JSON.stringify(tsxEsmApi(here))}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    worker = new Worker(boot, { eval: true });
  }
  worker.unref();
  const pw: PoolWorker = { worker, pending: new Map() };
  const failAll = (err: Error) => {
    const i = pool.indexOf(pw);
    if (i >= 0) pool.splice(i, 1);
    for (const p of pw.pending.values()) p.reject(err);
    pw.pending.clear();
  };
  worker.on('message', (m: SliceReply) => {
    const p = pw.pending.get(m.id);
    if (!p) return;
    pw.pending.delete(m.id);
    if (pw.pending.size === 0) worker.unref();
    if (m.ok) p.resolve(m.nanCount);
    else {
      const e = new Error(m.message);
      if (m.stack) e.stack = m.stack;
      p.reject(e);
    }
  });
  worker.on('error', (e) => failAll(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => failAll(new Error(`indicators: worker exited (code ${code})`)));
  return pw;
}

function runOnWorker(slot: number, job: Omit<SliceJob, 'id'>): Promise<number> {
  while (pool.length <= slot) pool.push(spawn());
  const pw = pool[slot];
  const id = nextId++;
  return new Promise<number>((resolve, reject) => {
    pw.pending.set(id, { resolve, reject });
    pw.worker.ref();
    const full: SliceJob = { id, ...job };
    const p = job.panel;
    // the slice panel is a private copy: hand its buffers over instead of cloning them
    const transfer = [p.open, p.high, p.low, p.close, p.volume, p.mask, p.time, p.minuteOfSession, p.sessionOfRow].map((a) => a.buffer as ArrayBuffer);
    pw.worker.postMessage(full, transfer);
  });
}

/** Stops the pooled worker threads (they are unref'd, so this is only needed to free them early). */
export async function shutdownIndicatorWorkers(): Promise<void> {
  const ws = pool.splice(0, pool.length);
  await Promise.all(ws.map((w) => w.worker.terminate()));
}

/** Splits n items into k contiguous ranges, sizes differing by at most one. */
function splitRange(n: number, k: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) out.push([Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)]);
  return out;
}

/**
 * computeIndicators over `threads` threads (default os.availableParallelism()). Same result
 * (bit-identical); `values` is backed by a SharedArrayBuffer unless opts.out is given (an
 * opts.out on a plain ArrayBuffer is filled through a shared scratch buffer and a copy).
 * Small panels (fewer than opts.minCellsPerThread T·N cells per thread) are computed
 * synchronously.
 */
export async function computeIndicatorsParallel(panel: Panel, opts: ParallelOptions = {}): Promise<IndicatorResult> {
  checkPanel(panel);
  const names = resolveIndicatorNames(opts.names);
  const { T, N } = panel;
  const F = names.length;
  const minCells = opts.minCellsPerThread ?? 50_000;
  const want = Math.max(1, Math.floor(opts.threads ?? os.availableParallelism()));
  const threads = Math.min(want, N, Math.floor((T * N) / Math.max(1, minCells)));
  const sync = () => computeIndicators(panel, { names, out: opts.out, nOffset: opts.nOffset, nTotal: opts.nTotal, countNaN: opts.countNaN });
  if (threads <= 1 || opts.nOffset !== undefined || opts.nTotal !== undefined || F === 0) return sync();
  // workers that cannot even be started (e.g. TypeScript sources without tsx installed): compute here
  try {
    while (pool.length < threads - 1) pool.push(spawn());
  } catch {
    return sync();
  }
  const size = T * N * F;
  if (opts.out && opts.out.length !== size) throw new Error(`indicators: opts.out has ${opts.out.length} values, expected T*N*F = ${size}`);
  const direct = opts.out && opts.out.buffer instanceof SharedArrayBuffer ? opts.out : undefined;
  const values = direct ?? new Float32Array(new SharedArrayBuffer(size * 4));
  const sab = values.buffer as SharedArrayBuffer;
  const ranges = splitRange(N, threads);
  const idx = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const countNaN = opts.countNaN === true;
  const jobs: Promise<number>[] = [];
  for (let k = 1; k < threads; k++) {
    const [a, b] = ranges[k];
    jobs.push(
      runOnWorker(k - 1, {
        panel: selectTickers(panel, idx(a, b)),
        names,
        out: sab,
        outOffset: values.byteOffset,
        outLength: values.length,
        nOffset: a,
        nTotal: N,
        countNaN,
      }),
    );
  }
  // the calling thread's share; collect worker results even if it throws, so none is left dangling
  let mainError: unknown;
  let nan = 0;
  try {
    const [a, b] = ranges[0];
    nan = computeIndicators(selectTickers(panel, idx(a, b)), { names, out: values, nOffset: a, nTotal: N, countNaN }).nanCount ?? 0;
  } catch (e) {
    mainError = e;
  }
  const settled = await Promise.allSettled(jobs);
  if (mainError) throw mainError;
  for (const s of settled) {
    if (s.status === 'rejected') throw s.reason;
    nan += s.value;
  }
  if (opts.out && !direct) opts.out.set(values);
  const result: IndicatorResult = { values: opts.out && !direct ? opts.out : values, names, T, N, F };
  if (countNaN) result.nanCount = nan;
  return result;
}
