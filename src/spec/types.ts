import type { SourceLocation } from '../util/errors.js';

/** A step kind's name; the kinds themselves live in src/steps/ (one file each). */
export type StepKindName = string;

/** Knobs shared by several steps (the seed script's flags map onto these). */
export interface SharedParams {
  days: number;
  sample_interval: number;
  warmup: number;
  horizon: number;
  epochs: number;
  min_samples: number;
}

export interface StepSpec {
  name: string;
  kind: StepKindName;
  /** Names of the steps it reads, in spec order. */
  inputs: string[];
  /** Roles given in the spec's map form (`inputs: {model: train_a}`), by input step name. */
  roles: Record<string, string>;
  /** The step's own params as written (defaults of its kind applied; shared params not merged). */
  params: Record<string, unknown>;
}

export interface Universe {
  tickers: string[];
  /** Where the list came from, for messages: the spec itself or a tickers file. */
  source: string;
}

/** A parsed, validated, defaults-applied pipeline spec. */
export interface Spec {
  path: string;
  dir: string;
  /** The spec file's text as read (before overrides). */
  text: string;
  /** sha256 of the text. */
  textHash: string;
  name: string;
  description?: string;
  seed: number;
  batchSize: number;
  concurrency?: number;
  /** The spec's `store:` (a --store value; a relative folder made absolute), if it names one. */
  store?: string;
  universe: Universe;
  data: Record<string, unknown>;
  params: SharedParams;
  steps: StepSpec[];
  /** Overrides applied from the command line, as given. */
  overrides: string[];
  /** Things the loader corrected that the user should know (e.g. duplicate tickers dropped). */
  notes: string[];
  /** The resolved document (after overrides and defaults), for run records. */
  resolved: Record<string, unknown>;
  /** Where a path of the document was written (file:line:col), or the override that set it. */
  locate(path: (string | number)[]): SourceLocation;
}
