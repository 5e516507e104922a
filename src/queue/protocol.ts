/**
 * What goes through the queue: one job per node. The job says how to rebuild the plan (the spec
 * text and load options, as the submitter loaded them), which node, its key and where its inputs
 * are; the worker checks it computes the same key before running anything. A failure travels as
 * the executor's `Failure` (reason, message, hint), so the submitter reports it like a local one.
 */
import type { InputRefs } from '../dag/execute.js';
import type { SweepLoadOptions } from '../spec/sweep.js';
import type { Failure } from '../util/errors.js';

/** How a worker rebuilds the submitter's plan. */
export interface PlanSource {
  specPath: string;
  specText: string;
  /** The load options without kinds (workers use the shipped kinds). */
  load: Omit<SweepLoadOptions, 'kinds'>;
}

export interface NodeJobData {
  v: 1;
  packageVersion: string;
  source: PlanSource;
  /** The store both sides use (a --store value). */
  store: string;
  node: string;
  key: string;
  inputs: InputRefs;
  /** Run even if the store holds the key (refresh, always-run kinds). */
  force: boolean;
  refresh: boolean;
}

export interface NodeJobResult {
  /** The output was already in the store (a redelivered job, or another worker was first). */
  cached: boolean;
  ms: number;
  /** The forced GC after the node (MLX frees native memory only then; the local executor does the same after each node it runs). */
  gcMs?: number;
  worker: string;
  /** Which job process ran it (`worker/pid`). */
  slot?: string;
  /** When the job process got the job and when it answered, epoch ms (its wall clock). */
  startedAt?: number;
  doneAt?: number;
}

/** A job's progress updates: the step's progress, or a warning/info line it said (shown on the submitting terminal). */
export interface NodeJobProgress {
  fraction?: number;
  note?: string;
  warn?: string;
  info?: string;
  worker: string;
}

const FAILURE_TAG = 'mlx-intraday failure: ';

/** The error a processor throws: BullMQ keeps its message as the job's failedReason. */
export function failureError(f: Failure): Error {
  return new Error(FAILURE_TAG + JSON.stringify(f));
}

/** The Failure in a failedReason (or the plain text of a crash that was not ours). */
export function failureOfReason(reason: string | undefined): Failure {
  if (reason?.startsWith(FAILURE_TAG)) {
    try {
      return JSON.parse(reason.slice(FAILURE_TAG.length)) as Failure;
    } catch {
      /* fall through */
    }
  }
  return { reason: "threw", message: reason || "the worker failed without a message" };
}
