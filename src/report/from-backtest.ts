/**
 * The backtest part of a ReportInput from a runVectorizedBacktest result: sessions, settings, per
 * strategy the metrics, per-ticker table and a downsampled equity/drawdown curve, and the A − B
 * comparison. Typed arrays become plain arrays, NaN becomes null (JSON-serialisable).
 */
import type { VectorizedBacktestResult } from '../backtest/vectorized.js';
import { downsampleEquity, finiteOrNull } from './downsample.js';
import type { ComparisonSection, ReportInput, ReportMetrics, StrategySection } from './types.js';

/** Default roles of the A/B/C strategies. */
export const STRATEGY_ROLES: Readonly<Record<string, string>> = Object.freeze({
  model: 'A',
  avwap: 'B',
  'model-all': 'C',
  'buy-and-hold': 'baseline',
});

function plainMetrics(m: object): ReportMetrics {
  const out: ReportMetrics = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number') out[k] = finiteOrNull(v);
  return out;
}

export interface FromBacktestOptions {
  /** Minutes per curve point (default: the smallest of 1, 5, 15, 30, 60, per session that keeps ≤ maxPoints). */
  stepMinutes?: number;
  maxPoints?: number;
  roles?: Record<string, string>;
}

export function reportFromBacktest(
  r: VectorizedBacktestResult,
  opts: FromBacktestOptions = {},
): Pick<ReportInput, 'symbols' | 'sessions' | 'settings' | 'strategies' | 'comparison'> {
  const roles = { ...STRATEGY_ROLES, ...opts.roles };
  const strategies: StrategySection[] = r.strategies.map((s) => ({
    name: s.name,
    role: roles[s.name],
    metrics: plainMetrics(s.overall),
    perTicker: s.perTicker.map(({ ticker, ...m }) => ({ ticker, metrics: plainMetrics(m) })),
    curve: downsampleEquity(s.equity, r.sessions, { stepMinutes: opts.stepMinutes, maxPoints: opts.maxPoints }),
  }));
  let comparison: ComparisonSection | undefined;
  if (r.comparison) {
    const c = r.comparison;
    comparison = {
      a: c.a,
      b: c.b,
      sharpeA: finiteOrNull(c.sharpeA),
      sharpeB: finiteOrNull(c.sharpeB),
      difference: finiteOrNull(c.difference),
      lower: finiteOrNull(c.lower),
      upper: finiteOrNull(c.upper),
      confidence: c.confidence,
      verdict: c.verdict,
      shareAtOrBelowZero: finiteOrNull(c.shareAtOrBelowZero),
      samples: c.samples,
      blockDays: c.blockDays,
      method: c.method,
      days: c.days,
      seed: c.seed,
    };
  }
  return {
    symbols: [...r.symbols],
    sessions: r.sessions.map((s) => ({ date: s.date, bars: s.bars })),
    settings: { ...r.settings, annualization: r.annualization },
    strategies,
    comparison,
  };
}
