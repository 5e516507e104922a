/**
 * ReportInput: everything the HTML report shows, as plain JSON (numbers, strings, arrays; NaN and
 * ±Infinity are written as null). Every section is optional: a missing one renders as "not
 * available in this run". Build it by hand, or from a bar-level backtest with
 * `reportFromBacktest` (from-backtest.ts).
 */

/** A metric value; null = not defined (e.g. a hit rate without trades). */
export type MetricValue = number | null;

/** The bar-level backtester's metrics (docs/backtest.md, "Metrics"); any subset, extra keys are shown too. */
export interface ReportMetrics {
  totalReturn?: MetricValue;
  annualizedReturn?: MetricValue;
  sharpe?: MetricValue;
  sortino?: MetricValue;
  maxDrawdown?: MetricValue;
  maxDrawdownBars?: MetricValue;
  hitRate?: MetricValue;
  avgTrade?: MetricValue;
  trades?: MetricValue;
  tradesPerDay?: MetricValue;
  turnover?: MetricValue;
  exposure?: MetricValue;
  costs?: MetricValue;
  sessions?: MetricValue;
  [extra: string]: MetricValue | undefined;
}

export interface TickerRow {
  ticker: string;
  metrics: ReportMetrics;
}

export interface ReportSession {
  /** YYYY-MM-DD (America/New_York session date). */
  date: string;
  /** Bars (minutes) in the session: 390, 210 on a half day. */
  bars: number;
}

/**
 * A downsampled equity curve, as columns of equal length. Point k sits at the close of minute
 * `minute[k]` of session `day[k]` (an index into ReportInput.sessions; minute 0 = the open, so
 * minute = bars is the session's close). The chart's x axis is session time: day + minute / bars.
 */
export interface EquityCurve {
  day: number[];
  minute: number[];
  /** Portfolio equity, starting at 1. */
  equity: MetricValue[];
  /** Fall from the running peak as a positive fraction (the worst within each downsampled step). */
  drawdown: MetricValue[];
  /** Minutes per point (390 or more = one point per session). */
  stepMinutes?: number;
}

export interface StrategySection {
  /** Shown as-is (escaped); e.g. 'model', 'avwap', 'model-all', 'buy-and-hold'. */
  name: string;
  /** A short role: 'A', 'B', 'C', 'baseline'… */
  role?: string;
  description?: string;
  metrics?: ReportMetrics;
  perTicker?: TickerRow[];
  curve?: EquityCurve;
}

/** The bootstrap CI on Sharpe(A) − Sharpe(B) (src/backtest/bootstrap.ts, SharpeComparison). */
export interface ComparisonSection {
  a: string;
  b: string;
  sharpeA: MetricValue;
  sharpeB: MetricValue;
  difference: MetricValue;
  lower: MetricValue;
  upper: MetricValue;
  confidence: number;
  verdict: string;
  shareAtOrBelowZero?: MetricValue;
  samples?: number;
  blockDays?: number;
  method?: string;
  days?: number;
  seed?: number;
}

/** Indicator usefulness per regime: scores[r][i] for regimes[r] × indicators[i]. */
export interface UsefulnessSection {
  regimes: string[];
  indicators: string[];
  scores: MetricValue[][];
  /** Indicators listed (and drawn) per regime, ranked by score. Default 10. */
  topN?: number;
  /** What the score is, e.g. 'mean gate on the test split'. */
  measure?: string;
  note?: string;
}

export interface EpochPoint {
  epoch: number;
  trainLoss: MetricValue;
  valLoss: MetricValue;
}

export interface TrainingCurve {
  /** e.g. the model's name or the batch it was trained on. */
  name: string;
  epochs: EpochPoint[];
  bestEpoch?: number;
  note?: string;
}

export interface ReportInput {
  runId: string;
  title?: string;
  /** ISO time the run was made. */
  createdAt?: string;
  /** The pipeline spec as written (YAML text). */
  specText?: string;
  /** Resolved parameters (defaults applied), any JSON. */
  params?: unknown;
  /** Content id of the data the run read, or an object of them (per batch). */
  dataFingerprint?: string | Record<string, string>;
  gitCommit?: string;
  gitDirty?: boolean;
  packageVersion?: string;
  symbols?: string[];
  sessions?: ReportSession[];
  /** Backtest settings (costs, sizing, flat at close…), any JSON. */
  settings?: unknown;
  strategies?: StrategySection[];
  comparison?: ComparisonSection;
  usefulness?: UsefulnessSection;
  training?: TrainingCurve[];
  /** Free-text notes shown at the top (escaped). */
  notes?: string[];
}
