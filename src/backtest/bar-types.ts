/**
 * Public types of the bar-level backtester (docs/backtest.md, "Bar-level backtester").
 */

/** Costs per side, charged on the traded notional at every fill. */
export interface CostModel {
  /** Commission in basis points of the traded notional. Default 0.5. */
  commissionBps?: number;
  /** Fixed slippage in basis points of the traded notional. Default 1. */
  slippageBps?: number;
  /**
   * Extra slippage as a fraction of the range of the last completed bar, (high − low) / close
   * (the bar before an open fill; the closing bar itself for a session-close exit). Default 0.
   */
  rangeSlippage?: number;
  /**
   * Extra slippage in basis points at 100 % participation, linear in the order's share of the
   * last completed bar's volume (capped at 100 %; a zero-volume bar counts as 100 %). Default 0.
   */
  volumeSlippageBps?: number;
  /** Starting capital in currency, only used to turn weights into shares for the volume share. Default 1e6. */
  capital?: number;
}

export interface Sizing {
  /**
   * Largest weight of one ticker, as a fraction of the portfolio. Each ticker's sleeve is 1/N of
   * the portfolio; a target of ±1 holds min(1/N, maxWeight) of the portfolio. Default 1 (no cap).
   */
  maxWeight?: number;
  /** `long-only` clips negative targets to 0; `long-short` takes them as shorts. Default long-only. */
  direction?: 'long-only' | 'long-short';
}

export interface SimulationOptions {
  costs?: CostModel;
  sizing?: Sizing;
  /**
   * Exit every position at the close of each session's last bar, and start each session flat with
   * the sleeves rebalanced to equal weights (free: everything is cash). Default true.
   */
  flatAtClose?: boolean;
  /** Number of tickers in the whole portfolio when simulating one batch of it. Default: panel.N. */
  portfolioN?: number;
  /** Keep the held target per bar ([T, N] `positions`) and the fill kind per bar (`fills`). Default false. */
  record?: boolean;
}

/** Completed trades as columns (a trade runs from flat/flip to flat/flip; resizes stay in it). */
export interface TradeColumns {
  count: number;
  ticker: Int32Array;
  /** Row of the entry fill (at that bar's open). */
  entryRow: Int32Array;
  /** Row of the exit fill: at that bar's open, or at its close for a session-close/end exit. */
  exitRow: Int32Array;
  /** +1 long, −1 short. */
  side: Int8Array;
  /** Net return of the ticker's sleeve over the trade (costs of the entry and the exit included). */
  ret: Float64Array;
  /** Costs paid over the trade, as a fraction of the sleeve's equity at the entry. */
  cost: Float64Array;
}

/** Fill kinds recorded in `fills`. */
export const FILL_NONE = 0;
export const FILL_OPEN = 1;
export const FILL_CLOSE = 2;

/**
 * What one simulation of a [T, N] panel produces. "Sleeve" = one ticker's share of the
 * portfolio; its equity is 1 at every reset (each session start with flatAtClose, else only the
 * start of the run).
 */
export interface SimulationResult {
  T: number;
  N: number;
  /** Number of sessions D. */
  D: number;
  flatAtClose: boolean;
  /** Σ over this panel's tickers of the sleeve equity (relative to its reset) at each row's close, after exits. [T] */
  rowEquitySum: Float64Array;
  /** Sleeve return per session, close to close. [D, N] */
  dayReturn: Float64Array;
  /** Costs paid per session as a fraction of the sleeve's equity at the session's start. [D, N] */
  dayCost: Float64Array;
  /** Traded notional per session as a multiple of the sleeve's equity at the session's start. [D, N] */
  dayTurnover: Float64Array;
  /** Per ticker: bars with a position held over the bar. [N] */
  barsInMarket: Float64Array;
  /** Per ticker: max drawdown (positive fraction) of the sleeve's compounded minute equity. [N] */
  maxDrawdown: Float64Array;
  /** Per ticker: longest time under a previous peak, in bars. [N] */
  maxDrawdownBars: Float64Array;
  trades: TradeColumns;
  /** Held target (after the open fill, before a close exit) per bar, when `record` was set. [T, N] */
  positions?: Float32Array;
  /** FILL_OPEN / FILL_CLOSE per bar when `record` was set. [T, N] */
  fills?: Uint8Array;
}
