/**
 * What running one node takes, the same wherever it runs (the local executor or a queue
 * worker): the StepContext a kind's `run` sees, the entry its output is stored as, and an input
 * artifact read back from the store. Sharing these is what makes a distributed run's artifacts
 * identical to a local run's.
 */
import type { ArtifactRecord, ArtifactStore, StoreInput } from '../cache/store-api.js';
import type { InputArtifact, RunEnvironment, StepContext, StepOutput } from '../steps/kind.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Reporter } from './events.js';
import { contentIdOf, keyContextOf } from './fingerprint.js';
import type { Plan, PlanNode } from './plan.js';

export interface NodeRunContext {
  key: string;
  /** Input artifacts by node id. */
  inputOf: (id: string) => InputArtifact;
  env: RunEnvironment;
  signal: AbortSignal;
  report: Reporter;
  refresh: boolean;
}

/** The StepContext of `node`: its params, inputs by role, the uses it declared, and its reporters. */
export function stepContextOf(node: PlanNode, plan: Pick<Plan, 'spec'>, c: NodeRunContext): StepContext {
  const inputs: Record<string, InputArtifact | InputArtifact[]> = {};
  for (const [role, ref] of Object.entries(node.inputs)) inputs[role] = Array.isArray(ref) ? ref.map(c.inputOf) : c.inputOf(ref);
  const base = keyContextOf(node, plan, c.env);
  const { report } = c;
  return Object.defineProperties(
    {
      key: c.key,
      refresh: c.refresh,
      step: node.step,
      params: node.params,
      batch: node.batch,
      inputs,
      signal: c.signal,
      env: c.env,
      provider: base.provider,
      sessions: base.sessions,
      pipeline: { name: node.spec.name, batchSize: node.spec.batchSize, dataEndSet: typeof (node.spec.data as { end?: unknown }).end === 'string' },
      progress: (fraction: number, note?: string) => report({ type: 'node-progress', node: node.id, ref: node.ref, step: node.step.name, fraction, note }),
      warn: (message: string) => report({ type: 'warn', node: node.id, message }),
      info: (message: string) => report({ type: 'info', node: node.id, message }),
    },
    {
      seed: { get: () => base.seed, enumerable: true },
      universe: { get: () => base.universe, enumerable: true },
    },
  ) as StepContext;
}

/** The store entry of a node's output: what dependents key on (content id) and read (meta, arrays). */
export function outputEntry(node: PlanNode, key: string, out: StepOutput): StoreInput {
  const contentId = contentIdOf(node, key, out) ?? key;
  return { step: node.step.name, kind: node.kind.name, contentId, meta: { ...out.meta, metrics: out.metrics ?? null }, tensors: out.tensors };
}

/** An input read from the store (a hit, or a node another process ran): arrays loaded on demand. */
export function inputFromRecord(node: PlanNode, record: ArtifactRecord, store: ArtifactStore): InputArtifact {
  let loaded: Promise<Record<string, Tensor>> | undefined;
  return {
    step: node.step.name,
    kind: node.kind.name,
    key: record.key,
    contentId: record.contentId,
    batch: node.batch?.index,
    meta: record.meta,
    tensors: () =>
      (loaded ??= store.load(record.key).then((a) => {
        if (!a) throw new Error(`the store no longer holds the output of ${node.id} (key ${record.key.slice(0, 12)}); run again to recompute it`);
        return a.tensors;
      })),
  };
}
