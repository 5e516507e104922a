/**
 * The run report: one self-contained offline HTML file with static SVG charts (vega-lite + vega,
 * rendered headless). Usable without the runner: build a ReportInput (by hand, or the backtest part
 * with reportFromBacktest) and call buildReport; a run's report comes from its record and the cache
(buildRunReport). See docs/backtest.md ("Report").
 */
export { buildReport, renderReportHtml, defaultReportDir } from './build.js';
export { reportFromBacktest, STRATEGY_ROLES, type FromBacktestOptions } from './from-backtest.js';
export { reportInputFromRun, buildRunReport, reportsRoot, reportPathFor } from './from-run.js';
export { downsampleEquity, chooseStep, CURVE_STEPS, MAX_CURVE_POINTS } from './downsample.js';
export { escapeHtml } from './escape.js';
export type {
  ReportInput,
  ReportMetrics,
  MetricValue,
  TickerRow,
  ReportSession,
  EquityCurve,
  StrategySection,
  ComparisonSection,
  UsefulnessSection,
  TrainingCurve,
  EpochPoint,
} from './types.js';
