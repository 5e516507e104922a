/**
 * The backtest library: a vectorized sample backtest of a model's predictions against an
 * AVWAP baseline and buy-and-hold. Usable without the runner. See docs/backtest.md.
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
