/**
 * The executor: runs a plan's nodes on a p-queue. A node's key is computed from its kind,
 * params, batch and its inputs' content ids; a hit loads nothing until a dependent asks for
 * the arrays, a miss runs the step and stores the output atomically. Batches go depth-first
 * (priority by batch) and outputs are dropped once every dependent is done, so memory is
 * bounded by the batches in flight, not by the universe. A failed node skips its dependents
 * and everything independent still finishes and is cached.
 */
import PQueue from 'p-queue';
import { ArtifactCache, CorruptEntryError } from '../cache/store.js';
import { nodeKey } from '../cache/key.js';
import type { InputArtifact, RunEnvironment, StepContext, StepOutput } from '../steps/kind.js';
import type { Tensor } from '../tensor/tensor.js';
import { abortError, CacheDamagedError, isAbortError } from '../util/errors.js';
import { collect } from '../util/memory.js';
import type { NodeStatus, Reporter } from './events.js';
import type { Plan, PlanNode } from './plan.js';

export interface ExecuteOptions {
  cache: ArtifactCache;
  env: RunEnvironment;
  concurrency: number;
  signal: AbortSignal;
  report: Reporter;
  /** Steps to run even on a cache hit. */
  refresh?: Set<string>;
  /** Called as each node's result is settled (the run record writes it at once). */
  onResult?: (result: NodeResult) => void;
}

export interface NodeResult {
  id: string;
  step: string;
  batch?: number;
  status: NodeStatus;
  key?: string;
  ms: number;
  error?: string;
  metrics?: Record<string, number>;
}

export interface ExecuteResult {
  results: Map<string, NodeResult>;
  /** Headline metrics by node id, from nodes that produced them (run or hit). */
  metrics: Record<string, Record<string, number>>;
}

/** Content id of a node's output once its key is known, by its kind's rule. */
export function contentIdFor(node: PlanNode, key: string, output?: { contentId?: string }): string | undefined {
  switch (node.kind.contentIdMode) {
    case 'key':
      return key;
    case 'gate':
      return `gate:${node.kind.name}`;
    case 'output':
      return output?.contentId;
  }
}

/** The key of a node given its inputs' content ids (by node id). */
export function keyForNode(node: PlanNode, contentIds: Map<string, string>, env: RunEnvironment, plan: Plan): string {
  const inputs: Record<string, string | string[]> = {};
  for (const [name, ref] of Object.entries(node.inputs)) {
    inputs[name] = Array.isArray(ref) ? ref.map((id) => contentIds.get(id)!) : contentIds.get(ref)!;
  }
  const data = node.kind.keyData?.({ spec: plan.spec, step: node.step, params: node.params, batch: node.batch, env });
  return nodeKey({
    kind: node.kind.name,
    kindVersion: node.kind.version,
    params: node.params,
    inputs,
    tickers: node.batch?.tickers ?? [],
    data: data ?? null,
  });
}

function describeNode(node: PlanNode): string {
  if (!node.batch) return `step \`${node.step.name}\``;
  const t = node.batch.tickers;
  const shown = t.length > 6 ? `${t.slice(0, 6).join(', ')} … (${t.length} tickers)` : t.join(', ');
  return `step \`${node.step.name}\`, batch ${node.batch.index + 1}/${node.batch.count} (${shown})`;
}

export async function execute(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const { cache, env, signal, report } = opts;
  const results = new Map<string, NodeResult>();
  const settle = (r: NodeResult) => {
    results.set(r.id, r);
    opts.onResult?.(r);
  };
  /** A damaged cache database stops the whole run: every node would fail the same way. */
  let fatal: CacheDamagedError | undefined;
  const metrics: Record<string, Record<string, number>> = {};
  const contentIds = new Map<string, string>();
  const artifacts = new Map<string, InputArtifact>();
  /** Arrays kept in memory for dependents still to run; dropped when the last one is done. */
  const held = new Map<string, Record<string, Tensor>>();
  const pendingDependents = new Map<string, number>();
  const pendingDeps = new Map<string, number>();
  for (const n of plan.nodes.values()) {
    pendingDependents.set(n.id, n.dependents.length);
    pendingDeps.set(n.id, n.deps.length);
  }
  const nBatches = plan.batches.length;
  const queue = new PQueue({ concurrency: opts.concurrency });
  const onAbort = () => queue.clear();
  signal.addEventListener('abort', onAbort, { once: true });

  const makeArtifact = (node: PlanNode, key: string, contentId: string, meta: Record<string, any>): InputArtifact => ({
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
        tensors = cache.load(key)?.tensors;
        if (!tensors) report({ type: 'warn', node: node.id, message: `cache entry ${key.slice(0, 12)} of ${node.id} disappeared; recomputing it` });
      } catch (e) {
        if (!(e instanceof CorruptEntryError)) throw e;
        report({ type: 'warn', node: node.id, message: e.message });
      }
      // Recompute in place when the entry is gone or corrupt: the same key gives the same output.
      tensors ??= (await runNode(node, key)).tensors;
      // Several dependents still to read it (fetch feeds indicators and sample): keep it once.
      if ((pendingDependents.get(node.id) ?? 0) > 1) held.set(node.id, tensors);
      return tensors;
    },
  });

  const contextFor = (node: PlanNode, key: string): StepContext => {
    const inputs: Record<string, InputArtifact | InputArtifact[]> = {};
    for (const [name, ref] of Object.entries(node.inputs)) {
      inputs[name] = Array.isArray(ref) ? ref.map((id) => artifacts.get(id)!) : artifacts.get(ref)!;
    }
    return {
      key,
      refresh: opts.refresh?.has(node.step.name) ?? false,
      spec: plan.spec,
      step: node.step,
      params: node.params,
      batch: node.batch,
      inputs,
      signal,
      env,
      progress: (fraction, note) => report({ type: 'node-progress', node: node.id, step: node.step.name, fraction, note }),
      warn: (message) => report({ type: 'warn', node: node.id, message }),
      info: (message) => report({ type: 'info', node: node.id, message }),
    };
  };

  const runNode = async (node: PlanNode, key: string): Promise<StepOutput> => {
    const out = await node.kind.run(contextFor(node, key));
    if (signal.aborted) throw abortError(); // never store what an interrupted run produced
    const contentId = contentIdFor(node, key, out) ?? key;
    cache.store(key, { step: node.step.name, kind: node.kind.name, contentId, meta: { ...out.meta, metrics: out.metrics ?? null }, tensors: out.tensors });
    return { ...out, contentId };
  };

  const release = (node: PlanNode) => {
    for (const dep of node.deps) {
      const left = (pendingDependents.get(dep) ?? 1) - 1;
      pendingDependents.set(dep, left);
      if (left <= 0) held.delete(dep);
    }
  };

  const skipDependents = (node: PlanNode, reason: string) => {
    for (const id of node.dependents) {
      if (results.has(id)) continue;
      const d = plan.nodes.get(id)!;
      settle({ id, step: d.step.name, batch: d.batch?.index, status: 'skipped', ms: 0, error: reason });
      report({ type: 'node-skip', node: id, step: d.step.name, reason });
      release(d); // its other inputs need not stay in memory for it
      skipDependents(d, reason);
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

  const process = async (node: PlanNode) => {
    if (signal.aborted || fatal) return;
    const t0 = performance.now();
    let key = '';
    try {
      // Inside the try: computing a key may build the provider, which can fail on bad settings.
      key = keyForNode(node, contentIds, env, plan);
      report({ type: 'node-start', node: node.id, step: node.step.name, batch: node.batch?.index, key });
      let record: ReturnType<ArtifactCache['lookup']>;
      try {
        record = cache.lookup(key);
      } catch (e) {
        if (!(e instanceof CorruptEntryError)) throw e;
        report({ type: 'warn', node: node.id, message: e.message }); // removed: recomputed below
      }
      const forced = opts.refresh?.has(node.step.name) || node.kind.alwaysRun?.({ spec: plan.spec, step: node.step, params: node.params, batch: node.batch, env });
      if (record && !forced) {
        cache.touch(key);
        const artifact = makeArtifact(node, key, record.contentId, record.meta);
        artifacts.set(node.id, artifact);
        contentIds.set(node.id, record.contentId);
        await node.kind.onHit?.(contextFor(node, key), artifact);
        const m = (record.meta.metrics ?? undefined) as Record<string, number> | undefined;
        if (m) metrics[node.id] = m;
        const ms = performance.now() - t0;
        settle({ id: node.id, step: node.step.name, batch: node.batch?.index, status: 'hit', key, ms, metrics: m });
        report({ type: 'node-end', node: node.id, step: node.step.name, batch: node.batch?.index, status: 'hit', key, ms, metrics: m });
      } else {
        const out = await runNode(node, key);
        const artifact = makeArtifact(node, key, out.contentId!, { ...out.meta, metrics: out.metrics ?? null });
        artifacts.set(node.id, artifact);
        contentIds.set(node.id, out.contentId!);
        if (node.dependents.length > 0) held.set(node.id, out.tensors);
        if (out.metrics) metrics[node.id] = out.metrics;
        const ms = performance.now() - t0;
        settle({ id: node.id, step: node.step.name, batch: node.batch?.index, status: 'ran', key, ms, metrics: out.metrics });
        report({ type: 'node-end', node: node.id, step: node.step.name, batch: node.batch?.index, status: 'ran', key, ms, metrics: out.metrics });
      }
      finish(node);
    } catch (e) {
      const ms = performance.now() - t0;
      if (e instanceof CacheDamagedError) {
        fatal ??= e;
        queue.clear();
      }
      if (fatal || signal.aborted || isAbortError(e)) {
        settle({ id: node.id, step: node.step.name, batch: node.batch?.index, status: 'cancelled', key: key || undefined, ms });
        return;
      }
      const err = e as Error & { hint?: string };
      const message = `${describeNode(node)} failed: ${err.message}`;
      settle({ id: node.id, step: node.step.name, batch: node.batch?.index, status: 'failed', key: key || undefined, ms, error: message });
      report({ type: 'node-fail', node: node.id, step: node.step.name, batch: node.batch?.index, tickers: node.batch?.tickers, error: message, hint: err.hint });
      release(node);
      skipDependents(node, `its input ${node.id} failed`);
    } finally {
      // A node that ran may have left MLX arrays for the GC to free (see util/memory.ts); a hit
      // made none, and a forced GC per hit would be most of a warm run's time.
      if (results.get(node.id)?.status !== 'hit') await collect();
    }
  };

  function enqueue(node: PlanNode) {
    if (signal.aborted) return;
    // Depth-first over batches: finish batch 1's chain before starting batch 5's fetch.
    const batchRank = node.batch ? nBatches - node.batch.index : 0;
    void queue.add(() => process(node), { priority: batchRank * 1000 + node.depth });
  }

  for (const id of plan.order) if (pendingDeps.get(id) === 0) enqueue(plan.nodes.get(id)!);
  await queue.onIdle();
  signal.removeEventListener('abort', onAbort);
  for (const id of plan.order) {
    if (!results.has(id)) {
      const n = plan.nodes.get(id)!;
      settle({ id, step: n.step.name, batch: n.batch?.index, status: 'cancelled', ms: 0 });
    }
  }
  if (fatal) throw fatal;
  return { results, metrics };
}
