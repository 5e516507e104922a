/**
 * The executor: runs a plan's nodes on the scheduler. Per node: fingerprint (fingerprint.ts),
 * look up; a hit loads nothing until a dependent asks for the arrays, a miss runs the step and
 * stores the output atomically. Two nodes with one key run once and share the output. Batches
 * go depth-first (priority by batch) and outputs are dropped once every dependent is done, so
 * memory is bounded by the batches in flight, not by the universe. A failed node skips its
 * dependents and everything independent still finishes and is cached. Failures are data
 * (util/errors.ts `Failure`); each result is reported the moment it is settled.
 */
import type { ArtifactRecord, ArtifactStore } from '../cache/store-api.js';
import type { InputArtifact, RunEnvironment, StepContext, StepOutput } from '../steps/kind.js';
import type { Tensor } from '../tensor/tensor.js';
import { abortError, CacheDamagedError, CorruptEntryError, failureOf, isAbortError, type Failure } from '../util/errors.js';
import { collect } from '../util/memory.js';
import type { NodeStatus, Reporter } from './events.js';
import { contentIdOf, keyContextOf, keyOf } from './fingerprint.js';
import { outputEntry, stepContextOf } from './step-context.js';
import type { Plan, PlanNode } from './plan.js';
import type { NodeRef } from './node-ref.js';
import { Scheduler, type Priority } from './scheduler.js';

export interface ExecuteOptions {
  cache: ArtifactStore;
  env: RunEnvironment;
  concurrency: number;
  signal: AbortSignal;
  report: Reporter;
  /** Steps to run even on a cache hit. */
  refresh?: Set<string>;
  /**
   * Called as each node's result is settled (the run record writes it). A node's end is reported
   * only once the promise it returns is done, so a record never lags what was said.
   */
  onResult?: (result: NodeResult) => void | Promise<void>;
  /** Units of each named resource available at once (default: 1 of `mlx`). */
  resourceLimits?: Record<string, number>;
  /**
   * Runs missed nodes elsewhere (queue workers) instead of in this process. Keys, hits, skips and
   * records stay here; the output is read back from the store, which both sides share.
   */
  remote?: RemoteNodes;
}

/** Where a node's inputs are: what a worker needs to check the key and read them. */
export type InputRefs = Record<string, { key: string; contentId: string }>;

export interface RemoteNodes {
  /**
   * Runs `node` on a worker; resolves once its output is stored under `key`, rejects with the
   * node's failure. `force`: run even when the store already holds the key (refresh, always-run).
   */
  run(node: PlanNode, key: string, inputs: InputRefs, o: { force: boolean; signal: AbortSignal; report: Reporter; stored(key: string): Promise<boolean> }): Promise<void>;
}

export interface NodeResult {
  id: string;
  ref: NodeRef;
  step: string;
  batch?: number;
  status: NodeStatus;
  key?: string;
  ms: number;
  /** Why it did not produce an output (failed, skipped, cancelled). */
  failure?: Failure;
  /** The failure's message, for records and renderers. */
  error?: string;
  metrics?: Record<string, number>;
}

export interface ExecuteResult {
  results: Map<string, NodeResult>;
  /** Headline metrics by node id, from nodes that produced them (run or hit). */
  metrics: Record<string, Record<string, number>>;
}

/** One MLX training at a time: two would compete for the same cores and memory. */
export const DEFAULT_RESOURCE_LIMITS: Readonly<Record<string, number>> = { mlx: 1 };

/** A node's output as the executor keeps it: what dependents key on and read. */
interface Produced {
  key: string;
  contentId: string;
  meta: Record<string, any>;
  metrics?: Record<string, number>;
  /** Arrays when the node ran in this process (undefined after a hit: loaded on demand). */
  tensors?: Record<string, Tensor>;
  ran: boolean;
  /** Run by a worker: its side effects here (checkpoint files) are still owed, as for a hit. */
  remote?: boolean;
}

function describeNode(node: PlanNode): string {
  if (!node.batch) return `step \`${node.step.name}\``;
  const t = node.batch.tickers;
  const shown = t.length > 6 ? `${t.slice(0, 6).join(', ')} … (${t.length} tickers)` : t.join(', ');
  return `step \`${node.step.name}\`, batch ${node.batch.index + 1}/${node.batch.count} (${shown})`;
}

/**
 * Depth-first over batches: batch 1's chain (for every sweep point) before batch 5's fetch, so
 * a batch's arrays are dropped before the next batch's are made, however many points share
 * them; whole-universe steps last, point by point.
 */
function priorityOf(node: PlanNode): Priority {
  return [node.batch ? node.batch.index : Number.MAX_SAFE_INTEGER, node.ref.point ?? 0, -node.depth];
}

export async function execute(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const { cache, env, signal, report } = opts;
  const results = new Map<string, NodeResult>();
  const metrics: Record<string, Record<string, number>> = {};
  const contentIds = new Map<string, string>();
  /** Each settled node's key, by node id (what a worker loads an input by). */
  const keys = new Map<string, string>();
  // A gate's content id is a constant known before it runs: a sweep node shared by several
  // points keys the same whichever of their gates passed.
  for (const n of plan.nodes.values()) if (n.kind.contentIdMode === 'gate') contentIds.set(n.id, contentIdOf(n, '')!);
  const artifacts = new Map<string, InputArtifact>();
  /** Arrays kept in memory for dependents still to run; dropped when the last one is done. */
  const held = new Map<string, Record<string, Tensor>>();
  /** Work in flight by key: a second node with the same key waits for the first. */
  const inFlight = new Map<string, Promise<Produced>>();
  const pendingDependents = new Map<string, number>();
  const pendingDeps = new Map<string, number>();
  for (const n of plan.nodes.values()) {
    pendingDependents.set(n.id, n.dependents.length);
    pendingDeps.set(n.id, n.deps.length);
  }
  const scheduler = new Scheduler(opts.concurrency, { ...DEFAULT_RESOURCE_LIMITS, ...opts.resourceLimits });
  /** A damaged cache database stops the whole run: every node would fail the same way. */
  let fatal: CacheDamagedError | undefined;
  const onAbort = () => scheduler.clear();
  /**
   * A queued run's side effects here (a train node's checkpoint copied into models/), in the
   * order the nodes settled: done at the run's end, not per node, where they would take this
   * machine's cores from the workers' hand-overs (the same files a local run leaves).
   */
  const owed: { node: PlanNode; key: string }[] = [];
  signal.addEventListener('abort', onAbort, { once: true });

  const settle = (r: NodeResult): void | Promise<void> => {
    if (r.failure && r.error === undefined) r.error = r.failure.message;
    results.set(r.id, r);
    return opts.onResult?.(r);
  };

  const contextFor = (node: PlanNode, key: string): StepContext =>
    stepContextOf(node, plan, { key, inputOf: (id) => artifacts.get(id)!, env, signal, report, refresh: opts.refresh?.has(node.step.name) ?? false });

  /** Runs the node on a worker and reads back what it stored. */
  const computeRemotely = async (remote: RemoteNodes, node: PlanNode, key: string): Promise<Produced> => {
    const inputs: InputRefs = {};
    for (const dep of node.deps) inputs[dep] = { key: keys.get(dep)!, contentId: contentIds.get(dep)! };
    const force = (opts.refresh?.has(node.step.name) || node.kind.alwaysRun?.(keyContextOf(node, plan, env))) ?? false;
    await remote.run(node, key, inputs, { force, signal, report, stored: async (k) => (await cache.lookup(k)) !== undefined });
    if (signal.aborted) throw abortError();
    const record = await cache.lookup(key);
    if (!record) throw new Error(`the worker finished ${node.id} but the store holds no entry under its key ${key.slice(0, 12)}: the workers must use the same --store as this run`);
    const metrics = (record.meta.metrics ?? undefined) as Record<string, number> | undefined;
    return { key, contentId: record.contentId, meta: record.meta, metrics, ran: true, remote: true };
  };

  /** Runs the step and stores its output; never stores what an interrupted run produced. */
  const compute = async (node: PlanNode, key: string): Promise<Produced> => {
    if (opts.remote) return computeRemotely(opts.remote, node, key);
    const out: StepOutput = await node.kind.run(contextFor(node, key));
    if (signal.aborted) throw abortError();
    const entry = outputEntry(node, key, out);
    await cache.store(key, entry);
    return { key, contentId: entry.contentId, meta: entry.meta, metrics: out.metrics, tensors: out.tensors, ran: true };
  };

  /** The output of `key`: shared with a node already computing it, else computed now. */
  const computeOnce = (node: PlanNode, key: string): Promise<Produced> => {
    const running = inFlight.get(key);
    if (running) return running.then((p) => ({ ...p, ran: false }));
    const p = compute(node, key).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  };

  // Captures only key and meta: arrays stay reachable through `held` alone, so they are freed
  // as soon as the last dependent is done (memory bounded by the batch).
  const makeArtifact = (node: PlanNode, { key, contentId, meta }: Produced): InputArtifact => ({
    step: node.step.name,
    kind: node.kind.name,
    key,
    contentId,
    batch: node.batch?.index,
    meta,
    tensors: async () => {
      const inMemory = held.get(node.id);
      if (inMemory) return inMemory;
      let tensors: Record<string, Tensor> | undefined;
      try {
        tensors = (await cache.load(key))?.tensors;
        if (!tensors) report({ type: 'warn', node: node.id, message: `cache entry ${key.slice(0, 12)} of ${node.id} disappeared; recomputing it` });
      } catch (e) {
        if (!(e instanceof CorruptEntryError)) throw e;
        report({ type: 'warn', node: node.id, message: e.message });
      }
      // Recompute in place when the entry is gone or corrupt: the same key gives the same output.
      tensors ??= (await computeOnce(node, key)).tensors!;
      // Several dependents still to read it (fetch feeds indicators and sample): keep it once.
      if ((pendingDependents.get(node.id) ?? 0) > 1) held.set(node.id, tensors);
      return tensors;
    },
  });

  const release = (node: PlanNode) => {
    for (const dep of node.deps) {
      const left = (pendingDependents.get(dep) ?? 1) - 1;
      pendingDependents.set(dep, left);
      if (left <= 0) held.delete(dep);
    }
  };

  const failedOrSkipped = (id: string) => ['failed', 'skipped', 'cancelled'].includes(results.get(id)?.status ?? '');
  const skipDependents = (node: PlanNode) => {
    for (const id of node.dependents) {
      if (results.has(id)) continue;
      const d = plan.nodes.get(id)!;
      // A sweep node shared by several points runs while one of their gates may still pass.
      if (d.anyOfGates?.includes(node.id) && d.anyOfGates.some((g) => !failedOrSkipped(g))) {
        const left = (pendingDeps.get(id) ?? 1) - 1;
        pendingDeps.set(id, left);
        if (left === 0) enqueue(d);
        continue;
      }
      const failure: Failure = { reason: 'input-failed', message: `its input ${node.id} failed` };
      settle({ id, ref: d.ref, step: d.step.name, batch: d.batch?.index, status: 'skipped', ms: 0, failure });
      report({ type: 'node-skip', node: id, ref: d.ref, step: d.step.name, reason: failure.message });
      release(d); // its other inputs need not stay in memory for it
      skipDependents(d);
    }
  };

  const finish = (node: PlanNode) => {
    release(node);
    for (const id of node.dependents) {
      const left = (pendingDeps.get(id) ?? 1) - 1;
      pendingDeps.set(id, left);
      if (left === 0 && !results.has(id)) enqueue(plan.nodes.get(id)!);
    }
  };

  /** The cached record of `key`, or undefined; an entry that does not check out is a miss. */
  const lookup = async (node: PlanNode, key: string): Promise<ArtifactRecord | undefined> => {
    try {
      return await cache.lookup(key);
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e;
      report({ type: 'warn', node: node.id, message: e.message }); // removed: recomputed below
      return undefined;
    }
  };

  /** A hit's or a worker's node's side effects here: now, or owed till the end in a queued run. */
  const sideEffects = async (node: PlanNode, key: string) => {
    if (!node.kind.onHit) return;
    if (opts.remote) owed.push({ node, key });
    else await node.kind.onHit(contextFor(node, key), artifacts.get(node.id)!);
  };

  /** Pays what `owed` holds; a node whose side effect fails is failed (its file is missing). */
  const payOwed = async () => {
    for (const { node, key } of owed.splice(0)) {
      const prev = results.get(node.id);
      if (prev?.status !== 'ran' && prev?.status !== 'hit') continue; // it failed after owing it
      try {
        await node.kind.onHit!(contextFor(node, key), artifacts.get(node.id)!);
      } catch (e) {
        const failure = failureOf(e, `${describeNode(node)} failed writing its files at the end of the run: ${(e as Error)?.message ?? String(e)}`);
        delete metrics[node.id];
        await settle({ ...prev, status: 'failed', failure, error: undefined, metrics: undefined });
        // A warning, not a second end: the node's end was said when it settled.
        report({ type: 'warn', node: node.id, message: failure.hint ? `${failure.message} (${failure.hint})` : failure.message });
      }
    }
  };

  const processNode = async (node: PlanNode) => {
    if (signal.aborted || fatal) return;
    const t0 = performance.now();
    let key = '';
    let ran = false;
    try {
      // Inside the try: keying may build the provider, which can fail on bad settings.
      const kctx = keyContextOf(node, plan, env);
      key = keyOf(node, contentIds, kctx);
      report({ type: 'node-start', node: node.id, ref: node.ref, step: node.step.name, batch: node.batch?.index, key });
      const forced = opts.refresh?.has(node.step.name) || node.kind.alwaysRun?.(kctx);
      const record = forced ? undefined : await lookup(node, key);
      let produced: Produced;
      if (record) {
        await cache.touch(key);
        produced = { key, contentId: record.contentId, meta: record.meta, metrics: (record.meta.metrics ?? undefined) as Record<string, number> | undefined, ran: false };
        artifacts.set(node.id, makeArtifact(node, produced));
        await sideEffects(node, key);
      } else {
        produced = await computeOnce(node, key);
        ran = produced.ran;
        artifacts.set(node.id, makeArtifact(node, produced));
        if (node.dependents.length > 0 && produced.tensors) held.set(node.id, produced.tensors);
        // A node that shared another's work still owes its own side effects (a checkpoint file).
        if (!ran || produced.remote) await sideEffects(node, key);
      }
      contentIds.set(node.id, produced.contentId);
      keys.set(node.id, key);
      if (produced.metrics) metrics[node.id] = produced.metrics;
      const ms = performance.now() - t0;
      const status = ran ? 'ran' : 'hit';
      await settle({ id: node.id, ref: node.ref, step: node.step.name, batch: node.batch?.index, status, key, ms, metrics: produced.metrics });
      report({ type: 'node-end', node: node.id, ref: node.ref, step: node.step.name, batch: node.batch?.index, status, key, ms, metrics: produced.metrics });
      finish(node);
    } catch (e) {
      const ms = performance.now() - t0;
      if (e instanceof CacheDamagedError) {
        fatal ??= e;
        scheduler.clear();
      }
      if (fatal || signal.aborted || isAbortError(e)) {
        settle({ id: node.id, ref: node.ref, step: node.step.name, batch: node.batch?.index, status: 'cancelled', key: key || undefined, ms, failure: { reason: 'cancelled', message: 'the run was interrupted' } });
        return;
      }
      const failure = failureOf(e, `${describeNode(node)} failed: ${(e as Error)?.message ?? String(e)}`);
      await settle({ id: node.id, ref: node.ref, step: node.step.name, batch: node.batch?.index, status: 'failed', key: key || undefined, ms, failure });
      report({ type: 'node-fail', node: node.id, ref: node.ref, step: node.step.name, batch: node.batch?.index, tickers: node.batch?.tickers, error: failure.message, hint: failure.hint });
      release(node);
      skipDependents(node);
    } finally {
      // A node that ran may have left MLX arrays for the GC to free (see util/memory.ts); a hit
      // made none, and a forced GC per hit would be most of a warm run's time.
      if ((ran && !opts.remote) || results.get(node.id)?.status === 'failed') await collect();
    }
  };

  function enqueue(node: PlanNode) {
    if (signal.aborted || fatal) return;
    // Workers own their cores and MLX: resources are limited there, not here.
    scheduler.add({ priority: priorityOf(node), resources: opts.remote ? undefined : node.kind.resources, run: () => processNode(node) });
  }

  for (const id of plan.order) if (pendingDeps.get(id) === 0) enqueue(plan.nodes.get(id)!);
  await scheduler.idle();
  signal.removeEventListener('abort', onAbort);
  if (!fatal) await payOwed(); // also after an interruption: those nodes did finish
  for (const id of plan.order) {
    if (!results.has(id)) {
      const n = plan.nodes.get(id)!;
      settle({ id, ref: n.ref, step: n.step.name, batch: n.batch?.index, status: 'cancelled', ms: 0, failure: { reason: 'cancelled', message: 'the run stopped before this node started' } });
    }
  }
  if (fatal) throw fatal;
  return { results, metrics };
}
