/**
 * Runs: every point of a sweep in one plan (shared nodes computed once), one run record per
 * point (grouped by the sweep's id), each point's nodes recorded as they finish; a failed node
 * fails only the points it serves. A plain run is the sweep of one point without axes: one
 * record with the run's own id, and its report at the end.
 */
import { cpus } from 'node:os';
import { openLocalStore } from './cache/store.js';
import type { Reporter, RunEvent } from './dag/events.js';
import { execute, type NodeResult } from './dag/execute.js';
import { nodeLabel } from './dag/node-ref.js';
import type { Plan, PlanNode } from './dag/plan.js';
import { planSweep, type SweepPlanStats } from './dag/sweep.js';
import { makeEnvironment, newRunId, outputIds, PACKAGE_VERSION, preflight, type RunOptions } from './run-env.js';
import { reportAtRunEnd } from './report/from-run.js';
import type { Sweep } from './spec/sweep.js';
import { STEP_KIND_REGISTRY } from './steps/index.js';
import { gitBlobHash, gitCommit, gitDirty } from './util/gitinfo.js';
import { redactDeep } from './util/redact.js';
import { UsageError } from './util/errors.js';

export interface SweepPointOutcome {
  index: number;
  values: Record<string, unknown>;
  runId: string;
  status: 'ok' | 'failed' | 'interrupted';
  /** Metrics of the point's nodes, by the label they have in a plain run of that point. */
  metrics: Record<string, Record<string, number>>;
  error?: string;
}

export interface SweepOutcome {
  sweepId: string;
  status: 'ok' | 'failed' | 'interrupted';
  points: SweepPointOutcome[];
  results: Map<string, NodeResult>;
  stats: SweepPlanStats;
  ms: number;
  /** The report written at the end of a plain run with a backtest step. */
  report?: string;
}

/** The run id of a sweep's point: the sweep's id and the point's number. */
export function pointRunId(sweepId: string, index: number, total: number): string {
  return `${sweepId}-p${String(index + 1).padStart(String(total).length, '0')}`;
}

const pointsOf = (n: PlanNode) => n.points ?? [0];

export function planOfSweep(sweep: Sweep, opts: Pick<RunOptions, 'kinds'> = {}): Plan & { stats: SweepPlanStats } {
  const data = sweep.axes.find((a) => a.name === 'data' || a.name.startsWith('data.'));
  if (data) throw UsageError.one(`a sweep cannot vary the data settings (${data.name})`, 'run one sweep per data source', data.location);
  return planSweep(sweep, opts.kinds ?? STEP_KIND_REGISTRY);
}

export async function runSweep(sweep: Sweep, opts: RunOptions): Promise<SweepOutcome> {
  const plan = planOfSweep(sweep, opts);
  preflight(plan, opts.modelsDir);
  const spec = sweep.base;
  const store = opts.store ?? openLocalStore(opts.cacheDir);
  const { artifacts: cache, runs } = store;
  const sweepId = newRunId();
  const total = sweep.points.length;
  const plain = sweep.axes.length === 0 && total === 1;
  const runIds = plain ? [sweepId] : sweep.points.map((p) => pointRunId(sweepId, p.index, total));
  const env = makeEnvironment(spec, { modelsDir: opts.modelsDir, env: opts.env, cache });
  const commit = gitCommit(spec.dir);
  const dirty = commit ? gitDirty(spec.dir, spec.path) : Promise.resolve(undefined);
  const t0 = performance.now();
  const sink: Reporter = opts.report ?? (() => {});
  const report: Reporter = (e) => sink(redactDeep(e));
  const signal = opts.signal ?? new AbortController().signal;

  for (const [i, p] of sweep.points.entries()) {
    await runs.begin({
      id: runIds[i],
      startedAt: Date.now(),
      specPath: p.spec.path,
      specName: p.spec.name,
      specHash: p.spec.textHash,
      specText: p.spec.text,
      specBlob: gitBlobHash(p.spec.text),
      resolved: { ...p.spec.resolved, overrides: p.spec.overrides, tickers: p.spec.universe.tickers },
      seed: p.spec.seed,
      packageVersion: PACKAGE_VERSION,
      gitCommit: commit,
      ...(plain ? {} : { sweepId, sweepPoint: p.index, sweepValues: p.values }),
    });
  }
  report({
    type: 'run-start',
    runId: sweepId,
    spec: spec.path,
    nodes: plan.nodes.size,
    steps: plan.stepOrder.map((name) => ({
      name,
      kind: spec.steps.find((s) => s.name === name)!.kind,
      nodes: [...plan.nodes.values()].filter((n) => n.step.name === name).length,
    })),
    batches: plan.batches.length,
    tickers: spec.universe.tickers.length,
  });
  if (!plain) report({ type: 'info', message: `sweep ${sweepId}: ${total} points (${sweep.axes.map((a) => `${a.name} × ${a.values.length}`).join(', ')}, ${sweep.mode}); ${plan.stats.shared} nodes for what would be ${plan.stats.unshared} run one by one` });
  for (const message of spec.notes) report({ type: 'warn', message });
  if (store.migrated) report({ type: 'info', message: `cache database brought up to date: ${store.migrated}` });

  const pointFailed = new Map<number, string>();
  // A second Ctrl-C exits at once: close the records on the way out rather than leave them running.
  const closeOnExit = () => {
    for (const id of runIds) {
      try {
        // Local stores write at once; a remote one may not finish before exit (it is then reaped as interrupted).
        void runs.finish(id, 'interrupted', {}, 'the run was stopped before it finished').catch(() => {});
      } catch {
        /* the next command marks it interrupted */
      }
    }
  };
  process.once('exit', closeOnExit);

  const pointMetrics = sweep.points.map(() => ({}) as Record<string, Record<string, number>>);
  let results: Map<string, NodeResult>;
  // Node records are written in the order nodes settle, one after another; the run waits for them.
  let recording: Promise<void> = Promise.resolve();
  let recordError: unknown;
  try {
    ({ results } = await execute(plan, {
      cache,
      env,
      // Queued: every ready node is enqueued at once; the workers' own concurrency bounds the work.
      concurrency: opts.remote ? 100_000 : (opts.concurrency ?? spec.concurrency ?? Math.max(1, cpus().length)),
      remote: opts.remote,
      signal,
      refresh: new Set(opts.refresh ?? []),
      report: (e: RunEvent) => {
        report(e);
        // A failed point is said when it fails, not at the end.
        if (e.type === 'node-fail') {
          for (const p of pointsOf(plan.nodes.get(e.node)!)) {
            if (pointFailed.has(p) || total === 1) continue;
            pointFailed.set(p, e.error);
            report({ type: 'warn', message: `sweep point ${p + 1} (${shownValues(sweep.points[p].values)}) failed at ${e.node}: ${e.error}` });
          }
        }
      },
      onResult: (r) => {
        const node = plan.nodes.get(r.id)!;
        const local = nodeLabel({ step: node.ref.step, batch: node.ref.batch });
        for (const p of pointsOf(node)) if (r.metrics) pointMetrics[p][local] = r.metrics;
        // One write at a time (a remote store's record is read-modify-write), in settle order.
        recording = recording
          .then(async () => {
            const ids = await outputIds(cache, r);
            for (const p of pointsOf(node)) await runs.recordNode(runIds[p], { ...r, id: local, point: node.ref.point, ...ids });
          })
          .catch((e) => {
            recordError ??= e;
          });
        return recording;
      },
    }));
    await recording;
    if (recordError) throw recordError;
  } catch (e) {
    await recording;
    process.removeListener('exit', closeOnExit);
    for (const id of runIds) {
      try {
        await runs.finish(id, signal.aborted ? 'interrupted' : 'failed', {}, (e as Error).message, await dirty);
      } catch {
        /* a damaged database cannot take the record either */
      }
    }
    if (!opts.store) store.close();
    throw e;
  }
  process.removeListener('exit', closeOnExit);

  const isDirty = await dirty;
  const points: SweepPointOutcome[] = await Promise.all(sweep.points.map(async (p, i) => {
    const mine = [...plan.nodes.values()].filter((n) => pointsOf(n).includes(i)).map((n) => results.get(n.id));
    const bad = mine.find((r) => !r || r.status === 'failed' || r.status === 'skipped' || r.status === 'cancelled');
    const status = signal.aborted ? 'interrupted' : bad ? 'failed' : 'ok';
    const error = mine.find((r) => r?.status === 'failed')?.error ?? (bad ? `${bad.id}: ${bad.status}` : undefined);
    await runs.finish(runIds[i], status, pointMetrics[i], error, isDirty);
    return { index: p.index, values: p.values, runId: runIds[i], status: status as SweepPointOutcome['status'], metrics: pointMetrics[i], error };
  }));
  const status = signal.aborted ? 'interrupted' : points.some((p) => p.status !== 'ok') ? 'failed' : 'ok';
  // A plain run with a backtest leaves its report (a report that cannot be written is a warning).
  const reportPath = plain ? await reportAtRunEnd(store, sweepId, opts.reportsDir ?? (opts.env?.MLX_INTRADAY_REPORTS || undefined), (message) => report({ type: 'warn', message })) : undefined;
  const ms = performance.now() - t0;
  const counts = { hit: 0, ran: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const r of results.values()) counts[r.status]++;
  if (plain) {
    // Headline metrics (whole-universe nodes) apart from per-batch ones: the summary parses no labels.
    const headline: Record<string, Record<string, number>> = {};
    const batchMetrics: Record<string, Record<string, number>> = {};
    for (const [id, m] of Object.entries(points[0].metrics)) (plan.nodes.get(id)?.batch ? batchMetrics : headline)[id] = m;
    report({ type: 'run-end', runId: sweepId, status, ms, counts, metrics: headline, batchMetrics });
  } else {
    report({
      type: 'run-end',
      runId: sweepId,
      status,
      ms,
      counts,
      metrics: {},
      batchMetrics: {},
      sweep: { id: sweepId, axes: sweep.axes.map((a) => a.name), points: points.map(({ index, values, runId, status, metrics, error }) => ({ index, values, runId, status, metrics, error })) },
    });
  }
  if (!opts.store) store.close();
  return { sweepId, status, points, results, stats: plan.stats, ms, report: reportPath };
}

export function shownValues(values: Record<string, unknown>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}
