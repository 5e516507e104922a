/**
 * Metrics of a simulation, for the portfolio and per ticker (each ticker's sleeve on its own).
 * Daily returns (session close to close) drive Sharpe, Sortino and the annualized return,
 * annualized with 252 sessions a year; drawdowns use the minute equity.
 */
import type { SimulationResult } from './bar-types.js';
import type { PortfolioSeries } from './portfolio.js';
import { drawdown, mean, sharpeRatio, sortinoRatio, TRADING_DAYS_PER_YEAR } from './stats.js';

export interface StrategyMetrics {
  /** Final equity / starting equity − 1. */
  totalReturn: number;
  /** (1 + totalReturn)^(252 / sessions) − 1. */
  annualizedReturn: number;
  /** mean / std(n − 1) of daily returns · √252. */
  sharpe: number;
  /** mean / downside deviation of daily returns · √252 (NaN without a losing day). */
  sortino: number;
  /** Largest peak-to-trough fall of the minute equity, positive fraction. */
  maxDrawdown: number;
  /** Longest time under a previous peak, in bars (minutes of session time). */
  maxDrawdownBars: number;
  /** Share of completed trades with a net return > 0 (NaN without trades). */
  hitRate: number;
  /** Mean net return of a trade on its sleeve (NaN without trades). */
  avgTrade: number;
  trades: number;
  tradesPerDay: number;
  /** Mean daily traded notional as a multiple of equity (a round trip of the whole book = 2). */
  turnover: number;
  /** Share of ticker-bars with a position held. */
  exposure: number;
  /** Costs paid, as a fraction of the starting capital (of the sleeve for a ticker). */
  costs: number;
  sessions: number;
}

export interface TickerMetrics extends StrategyMetrics {
  ticker: string;
}

interface TradeStats {
  trades: number;
  wins: number;
  sum: number;
}

function tradeStats(sim: SimulationResult): TradeStats[] {
  const out = Array.from({ length: sim.N }, () => ({ trades: 0, wins: 0, sum: 0 }));
  const { ticker, ret, count } = sim.trades;
  for (let k = 0; k < count; k++) {
    const s = out[ticker[k]];
    s.trades++;
    if (ret[k] > 0) s.wins++;
    s.sum += ret[k];
  }
  return out;
}

function annualize(total: number, sessions: number): number {
  return sessions > 0 ? Math.pow(1 + total, TRADING_DAYS_PER_YEAR / sessions) - 1 : NaN;
}

export function portfolioMetrics(sim: SimulationResult, series: PortfolioSeries): StrategyMetrics {
  const D = sim.D;
  const stats = tradeStats(sim);
  const trades = stats.reduce((s, x) => s + x.trades, 0);
  const wins = stats.reduce((s, x) => s + x.wins, 0);
  const sum = stats.reduce((s, x) => s + x.sum, 0);
  const total = D > 0 ? series.dayEquity[D - 1] - 1 : 0;
  const dd = drawdown(series.equity);
  let inMarket = 0;
  for (let n = 0; n < sim.N; n++) inMarket += sim.barsInMarket[n];
  return {
    totalReturn: total,
    annualizedReturn: annualize(total, D),
    sharpe: sharpeRatio(series.dayReturn),
    sortino: sortinoRatio(series.dayReturn),
    maxDrawdown: dd.max,
    maxDrawdownBars: dd.longest,
    hitRate: trades > 0 ? wins / trades : NaN,
    avgTrade: trades > 0 ? sum / trades : NaN,
    trades,
    tradesPerDay: D > 0 ? trades / D : NaN,
    turnover: mean(series.dayTurnover),
    exposure: sim.T * sim.N > 0 ? inMarket / (sim.T * sim.N) : NaN,
    costs: series.dayCost.reduce((s, x) => s + x, 0),
    sessions: D,
  };
}

export function tickerMetrics(sim: SimulationResult, tickers: readonly string[]): TickerMetrics[] {
  const { N, D, T } = sim;
  const stats = tradeStats(sim);
  const daily = new Float64Array(D);
  return Array.from({ length: N }, (_, n) => {
    let equity = 1;
    let costs = 0;
    let turnover = 0;
    for (let d = 0; d < D; d++) {
      const k = d * N + n;
      daily[d] = sim.dayReturn[k];
      // Day costs are relative to the sleeve's equity at the day's start.
      costs += sim.dayCost[k] * equity;
      turnover += sim.dayTurnover[k];
      equity *= 1 + sim.dayReturn[k];
    }
    const s = stats[n];
    const total = equity - 1;
    return {
      ticker: tickers[n],
      totalReturn: total,
      annualizedReturn: annualize(total, D),
      sharpe: sharpeRatio(daily),
      sortino: sortinoRatio(daily),
      maxDrawdown: sim.maxDrawdown[n],
      maxDrawdownBars: sim.maxDrawdownBars[n],
      hitRate: s.trades > 0 ? s.wins / s.trades : NaN,
      avgTrade: s.trades > 0 ? s.sum / s.trades : NaN,
      trades: s.trades,
      tradesPerDay: D > 0 ? s.trades / D : NaN,
      turnover: D > 0 ? turnover / D : NaN,
      exposure: T > 0 ? sim.barsInMarket[n] / T : NaN,
      costs,
      sessions: D,
    };
  });
}
