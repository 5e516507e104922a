/**
 * From sleeves to the portfolio: joins the simulations of ticker batches and builds the
 * portfolio's minute equity and daily series. Each of the N sleeves starts with 1/N of the
 * capital; with flatAtClose they are rebalanced to equal weights at each session start (free:
 * all cash), otherwise they drift (buy-and-hold style).
 */
import type { SimulationResult } from './bar-types.js';
import { concatTrades } from './trade-buffer.js';

/** One simulation over all tickers from the simulations of consecutive ticker batches. */
export function mergeSimulations(parts: SimulationResult[]): SimulationResult {
  if (parts.length === 0) throw new Error('backtest: nothing to merge');
  if (parts.length === 1) return parts[0];
  const { T, D, flatAtClose } = parts[0];
  const N = parts.reduce((s, p) => s + p.N, 0);
  const rowEquitySum = new Float64Array(T);
  const dayReturn = new Float64Array(D * N);
  const dayCost = new Float64Array(D * N);
  const dayTurnover = new Float64Array(D * N);
  const barsInMarket = new Float64Array(N);
  const maxDrawdown = new Float64Array(N);
  const maxDrawdownBars = new Float64Array(N);
  let off = 0;
  const trades = [];
  for (const p of parts) {
    if (p.T !== T || p.D !== D || p.flatAtClose !== flatAtClose) throw new Error('backtest: batches differ in rows, sessions or flatAtClose');
    for (let t = 0; t < T; t++) rowEquitySum[t] += p.rowEquitySum[t];
    for (let d = 0; d < D; d++) {
      dayReturn.set(p.dayReturn.subarray(d * p.N, (d + 1) * p.N), d * N + off);
      dayCost.set(p.dayCost.subarray(d * p.N, (d + 1) * p.N), d * N + off);
      dayTurnover.set(p.dayTurnover.subarray(d * p.N, (d + 1) * p.N), d * N + off);
    }
    barsInMarket.set(p.barsInMarket, off);
    maxDrawdown.set(p.maxDrawdown, off);
    maxDrawdownBars.set(p.maxDrawdownBars, off);
    const tc = p.trades;
    if (off !== 0) {
      const shifted = { ...tc, ticker: tc.ticker.slice() };
      for (let k = 0; k < tc.count; k++) shifted.ticker[k] += off;
      trades.push(shifted);
    } else trades.push(tc);
    off += p.N;
  }
  return { T, N, D, flatAtClose, rowEquitySum, dayReturn, dayCost, dayTurnover, barsInMarket, maxDrawdown, maxDrawdownBars, trades: concatTrades(trades) };
}

export interface PortfolioSeries {
  /** Portfolio equity at each row's close (after exits), starting capital = 1. [T] */
  equity: Float64Array;
  /** Equity at each session's close. [D] */
  dayEquity: Float64Array;
  /** Close-to-close portfolio return per session (the first from the starting capital). [D] */
  dayReturn: Float64Array;
  /** Costs paid per session, as a fraction of the starting capital. [D] */
  dayCost: Float64Array;
  /** Traded notional per session as a multiple of the portfolio's equity at the session start. [D] */
  dayTurnover: Float64Array;
  /** Sleeve equity (fraction of the starting capital) at each session's start. [D, N] */
  sleeveStart: Float64Array;
}

/** `sessionEnds[d]` = last row of session d. */
export function portfolioSeries(sim: SimulationResult, sessionEnds: ArrayLike<number>): PortfolioSeries {
  const { T, N, D } = sim;
  const equity = new Float64Array(T);
  const dayEquity = new Float64Array(D);
  const dayReturn = new Float64Array(D);
  const dayCost = new Float64Array(D);
  const dayTurnover = new Float64Array(D);
  const sleeveStart = new Float64Array(D * N);
  const sleeveNow = new Float64Array(N).fill(1 / N); // drifting sleeves (no rebalancing)
  let prevE = 1;
  let row = 0;
  for (let d = 0; d < D; d++) {
    const last = sessionEnds[d];
    // Rebalanced sleeves are 1/N of yesterday's equity, drifting ones what they have become.
    const scale = sim.flatAtClose ? prevE / N : 1 / N;
    for (; row <= last; row++) equity[row] = scale * sim.rowEquitySum[row];
    let cost = 0;
    let turn = 0;
    for (let n = 0; n < N; n++) {
      const k = d * N + n;
      const start = sim.flatAtClose ? prevE / N : sleeveNow[n];
      sleeveStart[k] = start;
      cost += sim.dayCost[k] * start;
      turn += sim.dayTurnover[k] * start;
      sleeveNow[n] = start * (1 + sim.dayReturn[k]);
    }
    const E = equity[last];
    dayEquity[d] = E;
    dayReturn[d] = E / prevE - 1;
    dayCost[d] = cost;
    dayTurnover[d] = turn / prevE;
    prevE = E;
  }
  return { equity, dayEquity, dayReturn, dayCost, dayTurnover, sleeveStart };
}
