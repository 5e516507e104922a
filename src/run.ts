/**
 * One pipeline run: plan the spec, open the cache, execute, and keep a run record of it all.
 * The CLI and the library (tests, embedding programs) both call this.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openLocalStore } from './cache/store.js';
import type { ArtifactStore, Store } from './cache/store-api.js';
import { createProvider, type DataConfig } from './data/index.js';
import type { Provider } from './data/provider.js';
import type { Reporter, RunEvent } from './dag/events.js';
import { execute, type NodeResult } from './dag/execute.js';
import { planSpec, type Plan } from './dag/plan.js';
import type { Spec } from './spec/types.js';
import { STEP_KIND_REGISTRY } from './steps/index.js';
import type { KindRegistry, RunEnvironment } from './steps/kind.js';
import { gitBlobHash, gitCommit, gitDirty } from './util/gitinfo.js';
import { PACKAGE_ROOT } from './util/paths.js';
import { UsageError } from './util/errors.js';
import { redactDeep } from './util/redact.js';
import { reportAtRunEnd } from './report/from-run.js';
import { cpus } from 'node:os';

export const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

export interface RunOptions {
  /** Folder of the local store (SQLite + blobs); ignored when `store` is given. */
  cacheDir: string;
  /** Where artifacts and run records go (default: the local store in cacheDir). */
  store?: Store;
  modelsDir: string;
  concurrency?: number;
  refresh?: string[];
  report?: Reporter;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** The step kinds the spec may use (default: the shipped ones). A program adding kinds of its own passes them here and to loadSpec (docs/architecture.md, "How to add a step kind"). */
  kinds?: KindRegistry;
  /** Folder the run's report goes in (`<dir>/<run-id>/index.html`); default $MLX_INTRADAY_REPORTS or ./reports. */
  reportsDir?: string;
}

export interface RunOutcome {
  runId: string;
  status: 'ok' | 'failed' | 'interrupted';
  results: Map<string, NodeResult>;
  metrics: Record<string, Record<string, number>>;
  ms: number;
  /** The report written at the end (runs with a backtest step). */
  report?: string;
}

export function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

/** The environment steps see: models folder and a provider created once, on first use. */
export function makeEnvironment(spec: Spec, opts: { modelsDir: string; env?: NodeJS.ProcessEnv; cache?: ArtifactStore }): RunEnvironment {
  let provider: Provider | undefined;
  return {
    cache: opts.cache,
    modelsDir: resolve(opts.modelsDir),
    specHash: spec.textHash,
    provider: () => (provider ??= createProvider(spec.data as DataConfig, { baseDir: spec.dir, env: opts.env ?? process.env, cache: opts.cache })),
  };
}

/**
 * What a finished node's output is known by, for its run record: the content id (for fetch, the
 * data fingerprint that `rerun` and `diff` compare) and the trained weights' sha256. Read from the
 * entry's row (no arrays); a node without an entry gets neither.
 */
export function outputIds(cache: ArtifactStore, r: NodeResult): { contentId?: string; weightsHash?: string } {
  if (!r.key || (r.status !== 'ran' && r.status !== 'hit')) return {};
  try {
    const rec = cache.lookup(r.key);
    if (!rec) return {};
    const wh = rec.meta.weightsHash;
    return { contentId: rec.contentId, ...(typeof wh === 'string' ? { weightsHash: wh } : {}) };
  } catch {
    return {}; // a corrupt entry is the executor's to report; the record just lacks the ids
  }
}

export function planFor(spec: Spec, kinds: KindRegistry = STEP_KIND_REGISTRY): Plan {
  return planSpec(spec, kinds);
}

/** Each kind's checks before any node runs (e.g. the train step's models folder). */
export function preflight(plan: Plan, modelsDir: string): void {
  for (const node of plan.nodes.values()) node.kind.preflight?.({ modelsDir: resolve(modelsDir), params: node.params });
}

export async function runPipeline(spec: Spec, opts: RunOptions): Promise<RunOutcome> {
  const plan = planFor(spec, opts.kinds);
  preflight(plan, opts.modelsDir);
  const store = opts.store ?? openLocalStore(opts.cacheDir);
  const { artifacts: cache, runs } = store;
  const runId = newRunId();
  const env = makeEnvironment(spec, { modelsDir: opts.modelsDir, env: opts.env, cache });
  const commit = gitCommit(spec.dir);
  const dirty = commit ? gitDirty(spec.dir, spec.path) : Promise.resolve(undefined);
  const t0 = performance.now();
  // Every event passes the one redaction point before any renderer, log or --json line sees it.
  const sink: Reporter = opts.report ?? (() => {});
  const report: Reporter = (e) => sink(redactDeep(e));
  const signal = opts.signal ?? new AbortController().signal;

  runs.begin({
    id: runId,
    startedAt: Date.now(),
    specPath: spec.path,
    specName: spec.name,
    specHash: spec.textHash,
    specText: spec.text,
    specBlob: gitBlobHash(spec.text),
    resolved: { ...spec.resolved, overrides: spec.overrides, tickers: spec.universe.tickers },
    seed: spec.seed,
    packageVersion: PACKAGE_VERSION,
    gitCommit: commit,
  });
  report({
    type: 'run-start',
    runId,
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

  for (const message of spec.notes) report({ type: 'warn', message });
  if (store.migrated) report({ type: 'info', message: `cache database brought up to date: ${store.migrated}` });

  // A second Ctrl-C exits at once: close the record on the way out rather than leave it running.
  const closeOnExit = () => {
    try {
      runs.finish(runId, 'interrupted', {}, 'the run was stopped before it finished');
    } catch {
      /* the next command marks it interrupted (its pid is gone) */
    }
  };
  process.once('exit', closeOnExit);

  let outcome: RunOutcome;
  try {
    const { results, metrics } = await execute(plan, {
      cache,
      env,
      concurrency: opts.concurrency ?? spec.concurrency ?? Math.max(1, cpus().length),
      signal,
      refresh: new Set(opts.refresh ?? []),
      report: (e: RunEvent) => report(e),
      onResult: (r) => runs.recordNode(runId, { ...r, point: r.ref.point, ...outputIds(cache, r) }),
    });
    const failed = [...results.values()].some((r) => r.status === 'failed' || r.status === 'skipped');
    const status = signal.aborted ? 'interrupted' : failed ? 'failed' : 'ok';
    const firstError = [...results.values()].find((r) => r.status === 'failed')?.error;
    runs.finish(runId, status, metrics, firstError, await dirty);
    const reportPath = await reportAtRunEnd(store, runId, opts.reportsDir ?? (opts.env?.MLX_INTRADAY_REPORTS || undefined), (message) => report({ type: 'warn', message }));
    outcome = { runId, status, results, metrics, ms: performance.now() - t0, report: reportPath };
  } catch (e) {
    process.removeListener('exit', closeOnExit);
    try {
      runs.finish(runId, signal.aborted ? 'interrupted' : 'failed', {}, (e as Error).message, await dirty);
    } catch {
      /* a damaged database cannot take the record either; the error below says how to repair it */
    }
    if (!opts.store) store.close();
    throw e;
  }
  process.removeListener('exit', closeOnExit);
  const counts = { hit: 0, ran: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const r of outcome.results.values()) counts[r.status]++;
  const headline: Record<string, Record<string, number>> = {};
  const batchMetrics: Record<string, Record<string, number>> = {};
  for (const [id, m] of Object.entries(outcome.metrics)) (plan.nodes.get(id)?.batch ? batchMetrics : headline)[id] = m;
  report({ type: 'run-end', runId, status: outcome.status, ms: outcome.ms, counts, metrics: headline, batchMetrics });
  if (!opts.store) store.close();
  return outcome;
}
