/** The step kinds, by name. */
import type { KindRegistry } from './kind.js';
import { backtestKind } from './backtest.js';
import { fetchKind } from './fetch.js';
import { indicatorsKind } from './indicators.js';
import { precheckKind } from './precheck.js';
import { sampleKind } from './sample.js';
import { trainKind } from './train.js';

export const STEP_KIND_REGISTRY: KindRegistry = {
  precheck: precheckKind,
  fetch: fetchKind,
  indicators: indicatorsKind,
  sample: sampleKind,
  train: trainKind,
  backtest: backtestKind,
};

export type { StepKind, StepContext, StepOutput, InputArtifact, RunEnvironment } from './kind.js';
