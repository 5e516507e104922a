/**
 * Number formatting for the report's tables: each known metric has a unit; unknown ones get three
 * significant digits. null / non-finite → an em dash.
 */
import type { MetricValue } from './types.js';

export const DASH = '—';

function finite(x: MetricValue | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export function fixed(x: MetricValue | undefined, digits = 2): string {
  if (!finite(x)) return DASH;
  if (Math.abs(x) >= 1e6) return x.toExponential(2);
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function percent(x: MetricValue | undefined, digits = 2): string {
  if (!finite(x)) return DASH;
  const p = x * 100;
  if (Math.abs(p) >= 1e5) return `${p.toExponential(2)}%`;
  return `${fixed(p, digits)}%`;
}

export function integer(x: MetricValue | undefined): string {
  return finite(x) ? Math.round(x).toLocaleString('en-US') : DASH;
}

export function general(x: MetricValue | undefined): string {
  if (!finite(x)) return DASH;
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return String(+x.toPrecision(3));
}

export interface MetricFormat {
  label: string;
  format: (x: MetricValue | undefined) => string;
  /** Whether the sign matters (negative shown in red). */
  signed?: boolean;
  title?: string;
}

export const METRIC_FORMATS: Readonly<Record<string, MetricFormat>> = {
  totalReturn: { label: 'Total return', format: (x) => percent(x), signed: true },
  annualizedReturn: { label: 'Annualized', format: (x) => percent(x, 1), signed: true, title: '(1 + total)^(252 / sessions) − 1' },
  sharpe: { label: 'Sharpe', format: (x) => fixed(x), signed: true, title: 'daily returns, × √252' },
  sortino: { label: 'Sortino', format: (x) => fixed(x), signed: true, title: 'daily returns, × √252' },
  maxDrawdown: { label: 'Max drawdown', format: (x) => percent(x) },
  maxDrawdownBars: { label: 'DD length (bars)', format: integer, title: 'longest time under a previous peak, in session minutes' },
  hitRate: { label: 'Hit rate', format: (x) => percent(x, 1) },
  avgTrade: { label: 'Avg trade', format: (x) => percent(x, 3), signed: true },
  trades: { label: 'Trades', format: integer },
  tradesPerDay: { label: 'Trades/day', format: (x) => fixed(x, 1) },
  turnover: { label: 'Turnover', format: (x) => (finite(x) ? `${fixed(x)}×` : DASH), title: 'mean daily traded notional ÷ equity' },
  exposure: { label: 'Exposure', format: (x) => percent(x, 1) },
  costs: { label: 'Costs', format: (x) => percent(x, 3), title: 'fraction of the starting capital' },
  sessions: { label: 'Sessions', format: integer },
};

export function metricFormat(key: string): MetricFormat {
  return METRIC_FORMATS[key] ?? { label: key, format: general };
}
