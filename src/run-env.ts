/**
 * What every run needs around the executor: its options and outcome, the package version it
 * records, run ids, the environment steps see, and the ids a node's record keeps.
 */
import type { RemoteNodes } from './dag/execute.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ArtifactStore, Store } from './cache/store-api.js';
import type { Reporter } from './dag/events.js';
import { createProvider, type DataConfig } from './data/index.js';
import type { Provider } from './data/provider.js';
import type { NodeResult } from './dag/execute.js';
import { planSpec, type Plan } from './dag/plan.js';
import type { Spec } from './spec/types.js';
import { STEP_KIND_REGISTRY } from './steps/index.js';
import type { KindRegistry, RunEnvironment } from './steps/kind.js';
import { PACKAGE_ROOT } from './util/paths.js';

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
  /** Runs missed nodes on queue workers (`run --queue`) instead of in this process. */
  remote?: RemoteNodes;
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
export async function outputIds(cache: ArtifactStore, r: NodeResult): Promise<{ contentId?: string; weightsHash?: string }> {
  if (!r.key || (r.status !== 'ran' && r.status !== 'hit')) return {};
  try {
    const rec = await cache.lookup(r.key);
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

