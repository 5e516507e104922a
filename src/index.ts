/**
 * mlx-intraday as a library: `import { loadSpec, runPipeline } from 'mlx-intraday'`.
 *
 * One entry for each concern's public surface (see docs/architecture.md): specs, the runner,
 * market data, indicators, the model and the backtest. Deeper modules stay internal.
 */

// Specs and the runner.
export { loadSpec, parseSpec, parseSetArg, type LoadOptions, type Spec, type StepSpec, type StepKindName, type SharedParams, type Universe } from './spec/index.js';
export { runPipeline, planFor, PACKAGE_VERSION, type RunOptions, type RunOutcome } from './run.js';
export { runSweep, planOfSweep, type SweepOutcome, type SweepPointOutcome } from './run-sweep.js';
export { loadSweep, parseSweep, parseSweepArg, type Sweep, type SweepAxis, type SweepPoint, type SweepLoadOptions } from './spec/sweep.js';
export type { RunEvent, Reporter, NodeStatus } from './dag/events.js';

// Stores and the queue (docs/distributed.md): where artifacts and run records live, and workers.
export { openStore, parseStoreLocation, describeStore, type StoreLocation } from './cache/open-store.js';
export { openLocalStore } from './cache/store.js';
export { openSharedFolderStore } from './cache/shared-folder.js';
export { openS3Store, parseS3Url, type S3StoreOptions } from './cache/s3-store.js';
export type { Store, ArtifactStore, RunRecords, ArtifactRecord, LoadedArtifact, StoreInput } from './cache/store-api.js';
export type { RunRecord, NodeRecord, RunStatus } from './cache/runs.js';
export { QueueClient, RemoteNodeError, type QueueRunOptions } from './queue/submit.js';
export { startWorker, type WorkerOptions } from './queue/worker.js';
export { parseQueueUrl, checkQueueServer, type QueueTarget } from './queue/connection.js';
export type { RemoteNodes } from './dag/execute.js';
export { STEP_KIND_REGISTRY, defineKind, inputIn, inputsIn, schemaFor, schemaSources, type StepKind, type StepContext, type StepOutput, type InputArtifact, type InputRole, type KindUse, type KindRegistry, type Cardinality } from './steps/index.js';

// Market data.
export {
  createProvider,
  defaultEndDate,
  resolveSessions,
  sessionsEnding,
  sessionsBetween,
  fingerprintPanel,
  runPrecheck,
  samplePoints,
  regimeFor,
  tickerProfile,
  SyntheticProvider,
  FolderProvider,
  AlpacaProvider,
  PolygonProvider,
  DataError,
  type DataConfig,
  type Provider,
  type ProviderContext,
  type FetchRequest,
  type Panel,
  type SessionInfo,
} from './data/index.js';

// Indicators.
export {
  computeIndicators,
  computeIndicatorsParallel,
  shutdownIndicatorWorkers,
  listIndicators,
  INDICATOR_NAMES,
  INDICATORS_VERSION,
  type IndicatorInfo,
  type IndicatorResult,
  type ComputeOptions,
} from './indicators/index.js';

// Live (incremental) indicators, equal to the batch engine bar for bar.
export { createLiveState, createLiveModelState, LiveBarError, LIVE_INDICATORS, isLiveIndicator, type LiveState, type LiveStateOptions, type LiveUpdate, type LiveBar, type LiveSnapshot, type LiveBarErrorCode, type LiveModelOptions, type LiveModelState, type LiveModelUpdate, type LiveSelection, type RegimeChange } from './live/index.js';

// Model (from the modules whose declarations need no MLX types, so a consumer's tsc never
// reaches @frost-beta/mlx's shipped .ts sources).
export { trainModel, TRAIN_DEFAULTS, type TrainOptions } from './model/train.js';
export { pearson, rankIC, directionalAccuracy, baseRate, predictionMetrics, type PredictionMetrics } from './model/metrics.js';
export { fitRidge, ridgePredict } from './model/ridge.js';
export type { Evaluation } from './model/evaluate.js';
export { predict, indicatorImportance, gateScores, rankIndicators } from './model/predict.js';
export { modelInputs, withContext, CONTEXT_COLUMNS } from './model/inputs.js';
export { loadModel, wrapModel, type LoadedModel, type Selection, type OptimalSelection, type IndicatorScore, type SelectOptions, type OptimalOptions } from './model/select.js';
export { sidecarPath, DEFAULT_CHECKPOINT_NAME, type Sidecar } from './model/sidecar.js';
export { saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint, type CheckpointModel } from './model/checkpoint.js';
export { splitByTime, type SplitOptions, type TimeSplit } from './model/split.js';
export { fitScaler, applyScaler } from './model/scaler.js';
export { TRANSFORMER_PRESETS, MLP_PRESETS } from './model/presets.js';
export { computeRegimes, regimeAgreement, REGIME_NAMES, REGIME_DEFINITION, HIDDEN_REGIME_NAMES, type RegimeName, type RegimeDefinition, type Agreement } from './model/regime.js';
export { computeContext, CONTEXT_NAMES, CONTEXT_DEFINITION } from './model/context.js';
export { syntheticOracle, hiddenRegimeIndex } from './model/oracle.js';
export type { SampleSet, TrainParams, TrainResult, TrainState, TrainedModel, TrainMetrics, ModelConfig, Scaler, EpochStats } from './model/types.js';

// Backtest: the bar-level backtester, a trained model as its BarModel, and the run report.
export {
  runVectorizedBacktest,
  barModelFrom,
  strategyFromSpec,
  bootstrapSharpeDifference,
  BUILTIN_STRATEGIES,
  type VectorizedBacktestOptions,
  type VectorizedBacktestResult,
  type StrategyReport,
  type BacktestBatch,
  type ModelBarOptions,
  type ModelBarModel,
  type RegimeSelection,
  type Strategy,
  type StrategyContext,
  type StrategySpec,
  type BuiltinStrategyName,
  type BarModel,
  type IndicatorPlanes,
  type CostModel,
  type Sizing,
  type StrategyMetrics,
  type TickerMetrics,
  type SharpeComparison,
  type BootstrapOptions,
} from './backtest/index.js';
export { runBacktest, type BacktestInput, type BacktestParams, type BacktestResult, type Metrics as BacktestMetrics } from './backtest/index.js';
export { buildReport, renderReportHtml, reportFromBacktest, buildRunReport, reportInputFromRun, type ReportInput, type FromBacktestOptions } from './report/index.js';

// Errors.
export { UsageError, type Diagnostic, type SourceLocation } from './util/errors.js';
export { CorruptEntryError } from './cache/store.js';

// Typed arrays between steps, and their safetensors bytes.
export { tensor, type Tensor, type DType } from './tensor/tensor.js';
