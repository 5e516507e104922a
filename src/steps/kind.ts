/**
 * StepKind: what one kind of step does, and everything the runner needs to know to plan,
 * key and cache it. Kinds only wire a library (data/, indicators/, model/, backtest/) to the DAG.
 */
import type { ArtifactStore } from '../cache/store-api.js';
import type { Provider } from '../data/provider.js';
import type { SharedParams, Spec, StepKindName, StepSpec } from '../spec/types.js';
import type { Tensor } from '../tensor/tensor.js';

/** An upstream node's output as a step sees it: its meta at once, its arrays on demand. */
export interface InputArtifact {
  step: string;
  kind: StepKindName;
  key: string;
  contentId: string;
  batch?: number;
  meta: Record<string, any>;
  /** Loads (and verifies) the arrays; cheap when the upstream node ran in this process. */
  tensors(): Promise<Record<string, Tensor>>;
}

export interface BatchInfo {
  index: number;
  count: number;
  tickers: string[];
}

export interface RunEnvironment {
  /** The run's cache, for steps that keep partial results of their own (remote downloads). */
  cache?: ArtifactStore;
  /** Where checkpoints go (default models/ beside the package, or --models-dir). */
  modelsDir: string;
  /** The provider configured by the spec's `data` block (created once per run). */
  provider(): Provider;
  runId: string;
}

export interface StepContext {
  /** This node's cache key (e.g. to name files it writes beside the cache). */
  key: string;
  /** True when the user asked to run this step again (`--refresh`), not just on a cache miss. */
  refresh: boolean;
  spec: Spec;
  step: StepSpec;
  /** The step's resolved params: its own, then shared ones it reads, with defaults. */
  params: Record<string, any>;
  batch?: BatchInfo;
  /** Inputs by step name; an input that runs per batch read by a whole-universe step is a list, in batch order. */
  inputs: Record<string, InputArtifact | InputArtifact[]>;
  signal: AbortSignal;
  env: RunEnvironment;
  /** Reports progress within the node, 0..1, with an optional note. */
  progress(fraction: number, note?: string): void;
  warn(message: string): void;
  info(message: string): void;
}

export interface StepOutput {
  tensors: Record<string, Tensor>;
  meta: Record<string, unknown>;
  /**
   * What downstream keys name this output by. Default: the node's key (the output is a pure
   * function of it). Fetch uses the data fingerprint, so an unchanged refetch keeps downstream
   * hits; a gate such as precheck uses a constant, so its own params never invalidate data.
   */
  contentId?: string;
  /** Headline numbers for run records and the run summary. */
  metrics?: Record<string, number>;
}

export interface StepKind {
  name: StepKindName;
  /** Bump when the kind's logic changes, so old cache entries stop matching. */
  version: number;
  /**
   * How downstream keys name this kind's output: 'key' (a pure function of its key, known
   * before running), 'output' (the step says, e.g. a data fingerprint: known once it ran or hit),
   * or 'gate' (a check that passes or fails; it never changes downstream keys).
   */
  contentIdMode: 'key' | 'output' | 'gate';
  /** One node per batch of tickers (true), or one for the whole universe. */
  perBatch: boolean;
  /** Shared params (spec.params) this kind reads when the step does not set them itself. */
  sharedParams: (keyof SharedParams)[];
  /** Units of named resources a node holds while it runs (`{ mlx: 1 }`: one MLX training at a time). */
  resources?: Readonly<Record<string, number>>;
  /** Kinds this kind may read; the first group lists what it must read. */
  inputs: { required: StepKindName[]; optional?: StepKindName[] };
  /** Extra key material outside params and inputs (e.g. provider identity, session dates). */
  keyData?(ctx: KeyContext): unknown;
  /** True when the node must run even on a cache hit (e.g. re-reading local files that may have changed). */
  alwaysRun?(ctx: KeyContext): boolean;
  /** Called on a cache hit, e.g. to put a checkpoint file back in place. */
  onHit?(ctx: StepContext, artifact: InputArtifact): Promise<void>;
  run(ctx: StepContext): Promise<StepOutput>;
}

/** The step kinds a plan may use, by name. */
export type KindRegistry = Record<string, StepKind>;

export interface KeyContext {
  spec: Spec;
  step: StepSpec;
  params: Record<string, any>;
  batch?: BatchInfo;
  env: RunEnvironment;
}

/** The inputs of a kind, flattened over batches (in batch order). */
export function inputsOfKind(inputs: StepContext['inputs'], kind: StepKindName): InputArtifact[] {
  return Object.values(inputs)
    .flatMap((a) => (Array.isArray(a) ? a : [a]))
    .filter((a) => a.kind === kind);
}

/** The single input of a kind (the planner guarantees required inputs exist). */
export function inputOfKind(inputs: StepContext['inputs'], kind: StepKindName): InputArtifact {
  const [first] = inputsOfKind(inputs, kind);
  if (!first) throw new Error(`no ${kind} input`);
  return first;
}
