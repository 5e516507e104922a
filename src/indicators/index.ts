/**
 * Indicators, usable without the runner: the 111 documented outputs (docs/indicators.md) for a
 * Panel, vectorized over tickers.
 *
 *   computeIndicators(panel, { names? }) → { values [T, N, F] float32, names, T, N, F }
 *   computeIndicatorsParallel(panel, opts) → the same, split over worker threads
 *   listIndicators() → metadata in the documented order
 */
export type { ComputeOptions, IndicatorGroup, IndicatorInfo, IndicatorResult, ParallelOptions, WarmupRule } from './types.js';
export { checkPanel, computeIndicators, INDICATOR_NAMES, INDICATORS_VERSION, listIndicators, resolveIndicatorNames, suggestIndicator } from './compute.js';
export { computeIndicatorsParallel, shutdownIndicatorWorkers } from './parallel.js';
export { AVWAP_SESSION_PLANES, computeAvwapSession, type AvwapSessionPlanes } from './avwap.js';
