/**
 * The model library: time split + scaler, the indicator transformer and an MLP baseline on
 * MLX, training, prediction, indicator importance and checkpoints. Usable without the runner.
 * See docs/model.md.
 */
export type {
  SampleSet,
  TrainParams,
  EpochStats,
  TrainResult,
  TrainState,
  TrainedModel,
  ModelConfig,
  ModelKind,
  Preset,
  Scaler,
  SplitInfo,
  TrainMetrics,
  TransformerSizes,
  MlpSizes,
} from './types.js';
export { splitByTime, type SplitOptions, type TimeSplit } from './split.js';
export { fitScaler, applyScaler, scaleTargets } from './scaler.js';
export { TRANSFORMER_PRESETS, MLP_PRESETS, makeConfig, initWeights } from './nets.js';
export { trainModel, TRAIN_DEFAULTS, pearson, directionalAccuracy, type TrainOptions } from './train.js';
export { predict, indicatorImportance, gateScores, rankIndicators } from './predict.js';
export { withContext, modelInputs, CONTEXT_COLUMNS } from './inputs.js';
export { canonicalOrder, canonicalize } from './order.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  encodeCheckpoint,
  decodeCheckpoint,
  writeFileAtomic,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointModel,
} from './checkpoint.js';
export {
  computeRegimes,
  regimeAgreement,
  hiddenOf,
  REGIME_NAMES,
  REGIME_DEFINITION,
  REGIME_VERSION,
  HIDDEN_REGIME_NAMES,
  type RegimeName,
  type RegimeDefinition,
  type RegimeResult,
  type Agreement,
  type HiddenRegime,
} from './regime.js';
export { computeContext, CONTEXT_NAMES, CONTEXT_DEFINITION, CONTEXT_SIZE, CONTEXT_VERSION, type ContextDefinition } from './context.js';
export { syntheticOracle, hiddenRegimeIndex, oracleAvailable } from './oracle.js';
export { predictionMetrics, rankIC, ranks, baseRate, oneSignShare, ONE_SIGN_WARNING, type PredictionMetrics } from './metrics.js';
export { fitRidge, ridgePredict, RIDGE_ALPHAS, type RidgeModel } from './ridge.js';
export { evaluate, type Evaluation } from './evaluate.js';
export { loadModel, wrapModel, unknownIndicators, type LoadedModel, type Selection, type OptimalSelection, type IndicatorScore, type SelectOptions, type OptimalOptions } from './select.js';
export { buildSidecar, writeSidecar, sidecarPath, samplesFingerprint, DEFAULT_CHECKPOINT_NAME, SIDECAR_FORMAT, SIDECAR_VERSION, type Sidecar, type SidecarProvenance } from './sidecar.js';
export { degenerateColumns, degenerateMessage, nanLossMessage, type DegenerateColumns } from './checks.js';
