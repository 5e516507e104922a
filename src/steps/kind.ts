/**
 * StepKind: one kind of step, declaring everything about itself — its params (JSON Schema with
 * defaults, from which the pipeline schema is generated), the inputs it reads by role, its
 * cardinality, the resources it holds, what outside the spec shapes its output (`uses`, keyed
 * automatically) and optional hooks. Kinds only wire a library (data/, indicators/, model/,
 * backtest/) to the DAG. docs/architecture.md, "How to add a step kind", walks through one.
 */
import type { ArtifactStore } from '../cache/store-api.js';
import type { SessionInfo } from '../data/panel.js';
import type { Provider } from '../data/provider.js';
import type { SharedParams, StepSpec, Universe } from '../spec/types.js';
import type { Tensor } from '../tensor/tensor.js';

/** An upstream node's output as a step sees it: its meta at once, its arrays on demand. */
export interface InputArtifact {
  step: string;
  kind: string;
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
  /** The run's store, for steps that keep partial results of their own (remote downloads). */
  cache?: ArtifactStore;
  /** Where checkpoints go (default models/ beside the package, or --models-dir). */
  modelsDir: string;
  /** The provider configured by the spec's `data` block (created once per run). */
  provider(): Provider;
  /** sha256 of the spec text, for provenance files beside outputs (never part of an output). */
  specHash?: string;
}

/**
 * What outside its params and inputs shapes a kind's output. Each use is put in the node's key
 * by the fingerprint, and the matching context field is readable only when declared, so a kind
 * cannot read something its key does not cover.
 */
export type KindUse = 'provider' | 'sessions' | 'seed' | 'universe';

/** A role a kind reads an input in: which kind fills it, whether it must, whether several may. */
export interface InputRole {
  role: string;
  kind: string;
  required?: boolean;
  /** Several steps may fill it (a list in spec order). */
  many?: boolean;
}

/**
 * 'per-batch': one node per batch of tickers; 'whole-universe': one node that sees every batch
 * of a per-batch input (fan-in, in batch order).
 */
export type Cardinality = 'per-batch' | 'whole-universe';

/** A JSON Schema fragment (draft-07), as the pipeline schema holds it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface StepContext<P = Record<string, any>> {
  /** This node's cache key (e.g. to name files it writes beside the cache). */
  key: string;
  /** True when the user asked to run this step again (`--refresh`), not just on a cache miss. */
  refresh: boolean;
  step: StepSpec;
  /** The step's resolved params: its own, then the shared ones it reads, with defaults. */
  params: P;
  batch?: BatchInfo;
  /** Inputs by role; a per-batch input read by a whole-universe step (or a `many` role) is a list. */
  inputs: Record<string, InputArtifact | InputArtifact[]>;
  signal: AbortSignal;
  env: RunEnvironment;
  /** The data provider (declare `uses: ['provider']`). */
  provider(): Provider;
  /** The sessions `days` covers, ending at data.end or the provider's default (declare 'sessions'). */
  sessions(days: number): SessionInfo[];
  /** The spec's seed (declare 'seed'). */
  readonly seed: number;
  /** Every ticker of the run, and where the list came from (declare 'universe'). */
  readonly universe: Universe;
  /** Facts about the pipeline for messages and file names only; never part of an output. */
  pipeline: { name: string; batchSize: number; dataEndSet: boolean };
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

/** What key hooks see: no arrays, no run. */
export type KeyContext = Pick<StepContext, 'step' | 'params' | 'batch' | 'env' | 'provider' | 'sessions' | 'seed' | 'universe'>;

export interface StepKind<P = Record<string, any>> {
  name: string;
  /** Bump when the kind's logic changes, so old cache entries stop matching. */
  version: number;
  /** One line for the schema and `--help`. */
  description: string;
  /** The params it takes itself, as JSON Schema by name (defaults included). */
  paramsSchema: Readonly<Record<string, JsonSchema>>;
  /** Shared params (spec.params) it reads when the step does not set them itself. */
  sharedParams: readonly (keyof SharedParams)[];
  inputs: readonly InputRole[];
  cardinality: Cardinality;
  /** What outside params and inputs shapes its output; keyed automatically. */
  uses?: readonly KindUse[];
  /** Versions of libraries its output depends on (e.g. the indicator formulas); keyed. */
  libraryVersions?: Readonly<Record<string, number>>;
  /**
   * How downstream keys name its output: 'key' (a pure function of its key, known before
   * running), 'output' (the step says, e.g. a data fingerprint: known once it ran or hit), or
   * 'gate' (a check that passes or fails; it never changes downstream keys).
   */
  contentIdMode: 'key' | 'output' | 'gate';
  /** Units of named resources a node holds while it runs (`{ mlx: 1 }`: one MLX training at a time). */
  resources?: Readonly<Record<string, number>>;
  /** True when the node must run even on a cache hit (its data may change between runs). */
  alwaysRun?(ctx: KeyContext): boolean;
  /** Checks before any node runs (e.g. a folder that must be writable); throw a UsageError. */
  preflight?(ctx: { modelsDir: string; params: P }): void;
  /** Called on a cache hit (and when it shared another node's work), e.g. to put a checkpoint back. */
  onHit?(ctx: StepContext<P>, artifact: InputArtifact): Promise<void>;
  run(ctx: StepContext<P>): Promise<StepOutput>;
}

/** Declares a kind with typed params (a kind file exports `defineKind<MyParams>({...})`). */
export function defineKind<P>(kind: StepKind<P>): StepKind<P> {
  return kind;
}

/** The step kinds a plan may use, by name. */
export type KindRegistry = Record<string, StepKind<any>>;

/** The single input in `role` (the planner guarantees required roles are filled). */
export function inputIn(inputs: StepContext['inputs'], role: string): InputArtifact {
  const a = inputs[role];
  const first = Array.isArray(a) ? a[0] : a;
  if (!first) throw new Error(`no input in role ${role}`);
  return first;
}

/** The inputs in `role` as a list (fan-in over batches, or a `many` role), in order. */
export function inputsIn(inputs: StepContext['inputs'], role: string): InputArtifact[] {
  const a = inputs[role];
  return a === undefined ? [] : Array.isArray(a) ? a.flat() : [a];
}
