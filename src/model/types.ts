/** Public types of the model library (see docs/model.md). */
import type { Tensor } from '../tensor/tensor.js';

/** Samples produced by the `sample` step. X is row-major [S, F]; X may hold NaN. */
export interface SampleSet {
  X: Float32Array;
  /** Forward log return over `horizonMinutes` from the sample bar. */
  y: Float32Array;
  /** Epoch ms of the sample bar. */
  time: Float64Array;
  /** Index into `tickers`. */
  ticker: Int32Array;
  tickers: string[];
  featureNames: string[];
  S: number;
  F: number;
  horizonMinutes: number;
  /** [S] regime id at the sample bar (index into REGIME_NAMES, src/model/regime.ts). */
  regime?: Uint8Array;
  /** [S, 10] market context at the sample bar (CONTEXT_NAMES, src/model/context.ts). */
  context?: Float32Array;
  /** [S] synthetic data: the generator's hidden regime (index into HIDDEN_REGIME_NAMES); 255 unknown. */
  hiddenRegime?: Uint8Array;
  /** [S] synthetic data: the oracle's expected forward return (src/model/oracle.ts); NaN unknown. */
  oracle?: Float32Array;
}

export type ModelKind = 'indicator-transformer' | 'mlp';
export type Preset = 'small' | 'reference';

export interface TrainParams {
  model: ModelKind;
  preset: Preset;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Decoupled (AdamW) weight decay. Default 0. */
  weightDecay?: number;
  seed: number;
  valFraction: number;
  testFraction: number;
  /** Default: the horizon. */
  embargoMinutes?: number;
  /** Default 'mse'. Huber uses delta 1 on standardized targets. */
  loss?: 'mse' | 'huber';
  /** Gradient-norm clip (global L2). Default 1. 0 disables. */
  gradClip?: number;
  /** Weight of the L1 penalty on the indicator gates (mean gate). Default 1e-3. */
  gatePenalty?: number;
  /** Feed the market context and regime (when the samples have them). Default true. */
  useContext?: boolean;
  /** K of the selection ablation (top-K per regime vs all vs K random). Default 10. */
  ablationK?: number;
  /** 'return' (default): learn y. 'vol-scaled': learn y / (σ̂·√h) when context is fed (target.ts). */
  target?: 'vol-scaled' | 'return';
  /** Compile the loss-and-gradient step with mx.compile (see docs/model.md, "Speed"). */
  compile?: boolean;
  /** Run `collect()` at least every this many steps (and after any step slower than 150 ms). Default 4. */
  collectEvery?: number;
}

export interface TransformerSizes {
  dModel: number;
  heads: number;
  layers: number;
  dFF: number;
}

export interface MlpSizes {
  hidden: number[];
}

export interface ModelConfig {
  kind: ModelKind;
  preset: Preset;
  /** All input columns: indicators, then `contextF` context columns. */
  F: number;
  featureNames: string[];
  horizonMinutes: number;
  /** The last contextF columns of the input are the context (inputs.ts); default 0. */
  contextF?: number;
  /** Present when the model learned volatility-scaled targets (target.ts). */
  targetScale?: import('./target.js').TargetScale;
  /** Indicator transformer: a linear path Σ g_i·w_i·x_i on the gated indicators beside the head. */
  gatedLinear?: boolean;
  transformer?: TransformerSizes;
  mlp?: MlpSizes;
}

/** Fitted on the train split only. JSON-friendly. */
export interface Scaler {
  /** Per-feature NaN-aware mean (0 when a feature has no finite train value). */
  mean: number[];
  /** Per-feature NaN-aware population std (1 when degenerate). */
  std: number[];
  /** Target mean/std on the train split: the model predicts (y - yMean) / yStd. */
  yMean: number;
  yStd: number;
  /** After scaling, |x| is clipped to this. */
  clip: number;
}

export interface EpochStats {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  seconds: number;
}

export interface SplitInfo {
  /** First val sample time (epoch ms); train samples have time + embargo < trainEnd. */
  trainEnd: number;
  /** First test sample time (epoch ms). */
  valEnd: number;
  counts: { train: number; val: number; test: number; embargoed: number; droppedNonFiniteY: number };
}

export interface TrainMetrics {
  bestValLoss: number;
  bestEpoch: number;
  /** Pearson IC of the best epoch's predictions on the validation split (return units). */
  bestValIc?: number;
  testLoss: number;
  /** Pearson correlation of prediction vs y on the test split. */
  testCorr: number;
  /** Share of test samples with y ≠ 0 where sign(prediction) = sign(y). */
  directionalAccuracy: number;
  /** Model, ridge and (synthetic) oracle on the test split, beside the base rate (evaluate.ts). */
  evaluation?: import('./evaluate.js').Evaluation;
}

/** What `predict` and `saveCheckpoint` need. */
export interface TrainedModel {
  weights: Record<string, Tensor>;
  config: ModelConfig;
  scaler: Scaler;
}

export interface TrainResult extends TrainedModel {
  history: EpochStats[];
  split: SplitInfo;
  metrics: TrainMetrics;
  params: TrainParams;
  /** Everything needed to continue this training exactly (when asked for with keepState). */
  state?: TrainState;
}

/**
 * A training after some epochs, exactly: weights, AdamW moments and step, the shuffling RNG,
 * and the best-so-far (by validation loss). Training E epochs from the state after e < E gives
 * the same bits as training E epochs at once: the schedule does not depend on the epoch count.
 */
export interface TrainState {
  epoch: number;
  weights: Record<string, import('../tensor/tensor.js').Tensor>;
  adamM: Record<string, import('../tensor/tensor.js').Tensor>;
  adamV: Record<string, import('../tensor/tensor.js').Tensor>;
  adamT: number;
  rng: { s: number; spare: number | null };
  best: Record<string, import('../tensor/tensor.js').Tensor>;
  bestValLoss: number;
  bestEpoch: number;
  bestValIc?: number;
  history: EpochStats[];
}

/** Top indicators of one regime by mean gate on validation rows (ablation.ts). */
export interface RegimeTop {
  regime: string;
  /** Validation rows of the regime the scores come from. */
  n: number;
  indicators: { name: string; score: number }[];
}

export interface Ablation {
  k: number;
  /** Test IC with only the top-K of each regime (chosen on validation). */
  topK: number;
  /** Test IC with every indicator. */
  all: number;
  /** Mean test IC with K random indicators per regime, over `draws` draws. */
  randomK: number;
  draws: number;
}
