/**
 * The backtest library, usable without the runner (docs/backtest.md): the bar-level backtester
 * (runVectorizedBacktest; the `backtest` step calls it), its layers, a trained model as its
 * BarModel (barModelFrom), and the older sample-window scorer (runBacktest).
 */
export {
  runBacktest,
  evaluatePositions,
  positionsFromSignal,
  periodsPerSession,
  timeIndex,
  SESSIONS_PER_YEAR,
  type BacktestInput,
  type BacktestParams,
  type BacktestResult,
  type Metrics,
} from './backtest.js';

/**
 * The bar-level backtester: strategies' target positions over a [T, N] panel, filled at the next
 * bar's open, with costs, sizing, flat-at-close, per-ticker and portfolio metrics and a block
 * bootstrap for A − B. See docs/backtest.md ("Bar-level backtester").
 */
export {
  runVectorizedBacktest,
  panelFromRow,
  type VectorizedBacktestOptions,
  type VectorizedBacktestResult,
  type StrategyReport,
  type BacktestBatch,
} from './vectorized.js';
export { barModelFrom, selectionFromMetrics, type ModelBarOptions, type ModelBarModel, type RegimeSelection, type GateUsefulness } from './model-bars.js';
export { simulate, resolveSimulationOptions, COST_DEFAULTS } from './simulate.js';
export {
  FILL_NONE,
  FILL_OPEN,
  FILL_CLOSE,
  type CostModel,
  type Sizing,
  type SimulationOptions,
  type SimulationResult,
  type TradeColumns,
} from './bar-types.js';
export {
  strategyFromSpec,
  avwapStrategy,
  rsiReversionStrategy,
  emaCrossStrategy,
  buyAndHoldStrategy,
  modelStrategy,
  BUILTIN_STRATEGIES,
  type Strategy,
  type StrategyContext,
  type StrategySpec,
  type BuiltinStrategyName,
  type BarModel,
  type AvwapParams,
  type RsiParams,
} from './strategies.js';
export { indicatorPlanes, planesFrom, mergePlanes, type IndicatorPlanes } from './indicator-planes.js';
export { mergeSimulations, portfolioSeries, type PortfolioSeries } from './portfolio.js';
export { portfolioMetrics, tickerMetrics, type StrategyMetrics, type TickerMetrics } from './metrics.js';
export { bootstrapSharpeDifference, resampleDays, verdictText, type BootstrapOptions, type SharpeComparison } from './bootstrap.js';
export { sharpeRatio, sortinoRatio, drawdown, quantileSorted, TRADING_DAYS_PER_YEAR } from './stats.js';
