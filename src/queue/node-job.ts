/**
 * Runs one node job on a worker: rebuild the submitter's plan from the job's spec text (kept per
 * source, so a sweep's hundreds of jobs parse it once), check the node's key comes out the same,
 * read the inputs from the shared store, run the kind, store the output under the key. The
 * same code as the local executor (dag/step-context.ts), so the artifacts are identical. A job
 * whose output is already stored (redelivered, or raced by another worker) returns at once.
 */
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { openStore, parseStoreLocation } from '../cache/open-store.js';
import type { Store } from '../cache/store-api.js';
import type { RunEvent } from '../dag/events.js';
import { contentIdOf, keyContextOf, keyOf } from '../dag/fingerprint.js';
import type { Plan } from '../dag/plan.js';
import { inputFromRecord, outputEntry, stepContextOf } from '../dag/step-context.js';
import { makeEnvironment, PACKAGE_VERSION } from '../run-env.js';
import { planOfSweep } from '../run-sweep.js';
import { parseSweep } from '../spec/sweep.js';
import type { InputArtifact, RunEnvironment } from '../steps/kind.js';
import { abortError, failureOf } from '../util/errors.js';
import { failureError, type NodeJobData, type NodeJobProgress, type NodeJobResult } from './protocol.js';

export interface NodeJobOptions {
  /** Where checkpoints a step writes go on this machine. */
  modelsDir: string;
  /** A --store of this worker's own, instead of the one the job names (another mount point). */
  store?: string;
  /** Folder the job's `local` store resolves against when it names no path. */
  cacheDir?: string;
  progress?: (p: NodeJobProgress) => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** The worker this job process belongs to (worker.ts names it), as progress notes show it. */
export const WORKER_NAME = process.env.MLX_INTRADAY_WORKER_NAME || `${hostname()}:${process.pid}`;

const plans = new Map<string, { plan: Plan; env: (store: Store) => RunEnvironment }>();
const stores = new Map<string, Promise<Store>>();

function planFor(data: NodeJobData, modelsDir: string) {
  const id = createHash('sha256').update(JSON.stringify(data.source)).digest('hex');
  let entry = plans.get(id);
  if (!entry) {
    const sweep = parseSweep(data.source.specText, data.source.specPath, data.source.load);
    const plan = planOfSweep(sweep);
    entry = { plan, env: (store) => makeEnvironment(sweep.base, { modelsDir, cache: store.artifacts }) };
    if (plans.size > 16) plans.clear(); // a long-lived worker serves many runs
    plans.set(id, entry);
  }
  return entry;
}

function storeFor(location: string, cacheDir: string): Promise<Store> {
  let s = stores.get(location);
  if (!s) {
    s = openStore(parseStoreLocation(location, cacheDir));
    stores.set(location, s);
    s.catch(() => stores.delete(location));
  }
  return s;
}

/** Closes the stores this process opened (a worker shutting down). */
export async function closeJobStores(): Promise<void> {
  for (const s of stores.values()) (await s.catch(() => undefined))?.close();
  stores.clear();
}

/** Runs the job; throws `failureError(...)` (the node's Failure) when it cannot. */
export async function runNodeJob(data: NodeJobData, o: NodeJobOptions): Promise<NodeJobResult> {
  const t0 = performance.now();
  const signal = o.signal ?? new AbortController().signal;
  try {
    if (data.v !== 1 || data.packageVersion !== PACKAGE_VERSION) {
      throw new Error(`this worker runs mlx-intraday ${PACKAGE_VERSION}, the job was made by ${data.packageVersion}: run the same version on every machine`);
    }
    const store = await storeFor(o.store ?? data.store, o.cacheDir ?? 'cache');
    if (!data.force && (await store.artifacts.lookup(data.key))) return { cached: true, ms: performance.now() - t0, worker: WORKER_NAME };

    o.progress?.({ fraction: 0, note: 'started', worker: WORKER_NAME });
    const { plan, env: envOf } = planFor(data, o.modelsDir);
    const node = plan.nodes.get(data.node);
    if (!node) throw new Error(`the spec as this worker loads it has no node ${data.node}: the worker runs other code or reads other files than the submitter`);
    const env = envOf(store);
    const contentIds = new Map<string, string>();
    for (const n of plan.nodes.values()) if (n.kind.contentIdMode === 'gate') contentIds.set(n.id, contentIdOf(n, '')!);
    for (const [id, ref] of Object.entries(data.inputs)) contentIds.set(id, ref.contentId);
    const key = keyOf(node, contentIds, keyContextOf(node, plan, env));
    if (key !== data.key) {
      throw new Error(`${node.id} keys to ${key.slice(0, 12)} on this worker but ${data.key.slice(0, 12)} on the submitter: the worker runs other code, or reads other data or tickers files, than the submitting machine`);
    }

    const inputs = new Map<string, InputArtifact>();
    for (const [id, ref] of Object.entries(data.inputs)) {
      const record = await store.artifacts.lookup(ref.key);
      if (!record) throw new Error(`the input ${id} of ${node.id} (key ${ref.key.slice(0, 12)}) is not in the store ${data.store.split('?')[0]}: it was removed while the run went on; run again`);
      inputs.set(id, inputFromRecord(plan.nodes.get(id)!, record, store.artifacts));
    }
    const report = (e: RunEvent) => {
      if (e.type === 'node-progress') o.progress?.({ fraction: e.fraction, note: e.note, worker: WORKER_NAME });
      else if (e.type === 'warn' || e.type === 'info') {
        o.log?.(`${node.id}: ${e.message}`);
        o.progress?.({ [e.type]: e.message, worker: WORKER_NAME });
      }
    };
    const ctx = stepContextOf(node, plan, { key, inputOf: (id) => inputs.get(id)!, env, signal, report, refresh: data.refresh });
    const out = await node.kind.run(ctx);
    if (signal.aborted) throw abortError();
    await store.artifacts.store(key, outputEntry(node, key, out));
    return { cached: false, ms: performance.now() - t0, worker: WORKER_NAME };
  } catch (e) {
    throw failureError(failureOf(e, (e as Error)?.message ?? String(e)));
  }
}
