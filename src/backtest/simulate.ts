/**
 * The bar-level simulator: target positions [T, N] → fills, sleeve equity, costs and trades, in
 * one pass over the rows with the tickers as the inner (contiguous) loop and per-ticker state in
 * Float64Arrays. See docs/backtest.md ("Bar-level backtester") for the rules:
 *
 *   - a target known at the close of row t fills at the OPEN of row t + 1, never on its own bar;
 *   - a masked (missing) bar never fills: the position is kept and the next observed bar fills the
 *     latest target (orders are replaced, not queued);
 *   - with flatAtClose, every position exits at the close of the session's last bar and targets
 *     never cross a session (the first bar of a session starts flat); the run always ends flat;
 *   - each ticker trades its own sleeve (1/N of the portfolio); a target q holds
 *     q · min(1, maxWeight · N) of the sleeve's equity at the fill, in shares held until the
 *     target changes (no free rebalancing);
 *   - costs = traded notional × (commission + slippage [+ range and volume terms]).
 */
import type { Panel } from '../data/panel.js';
import { FILL_CLOSE, FILL_OPEN, type SimulationOptions, type SimulationResult } from './bar-types.js';
import { TradeBuffer } from './trade-buffer.js';

export const COST_DEFAULTS = { commissionBps: 0.5, slippageBps: 1, rangeSlippage: 0, volumeSlippageBps: 0, capital: 1e6 } as const;

/** Resolved, validated costs and sizing. */
export function resolveSimulationOptions(opts: SimulationOptions, N: number) {
  const c = { ...COST_DEFAULTS, ...dropUndefined(opts.costs ?? {}) };
  for (const [k, v] of Object.entries(c)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`backtest: costs.${k} must be a finite number ≥ 0, got ${v}`);
  }
  const maxWeight = opts.sizing?.maxWeight ?? 1;
  if (!(maxWeight > 0 && maxWeight <= 1)) throw new Error(`backtest: sizing.maxWeight must be in (0, 1], got ${maxWeight}`);
  const direction = opts.sizing?.direction ?? 'long-only';
  if (direction !== 'long-only' && direction !== 'long-short') throw new Error(`backtest: sizing.direction must be long-only or long-short, got ${direction}`);
  const portfolioN = opts.portfolioN ?? N;
  if (!Number.isInteger(portfolioN) || portfolioN < N) throw new Error(`backtest: portfolioN (${portfolioN}) must be an integer ≥ the panel's N (${N})`);
  return {
    costs: c,
    maxWeight,
    direction,
    portfolioN,
    /** Gross fraction of a sleeve held at target ±1. */
    sleeveGross: Math.min(1, maxWeight * portfolioN),
    flatAtClose: opts.flatAtClose ?? true,
    record: opts.record ?? false,
  };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function simulate(panel: Panel, target: Float32Array, opts: SimulationOptions = {}): SimulationResult {
  const { T, N } = panel;
  if (target.length !== T * N) throw new Error(`backtest: target has ${target.length} values, expected T*N = ${T * N}`);
  const o = resolveSimulationOptions(opts, N);
  const { open, high, low, close, volume, mask } = panel;
  const flat = o.flatAtClose;
  const longOnly = o.direction === 'long-only';
  const g = o.sleeveGross;
  const baseRate = (o.costs.commissionBps + o.costs.slippageBps) / 1e4;
  const rangeK = o.costs.rangeSlippage;
  const volK = o.costs.volumeSlippageBps / 1e4;
  // Shares of real stock per share-unit of sleeve equity (sleeve capital in currency).
  const sharesPerUnit = o.costs.capital / o.portfolioN;
  const D = panel.sessions.length;

  const cash = new Float64Array(N).fill(1);
  const shares = new Float64Array(N);
  const held = new Float64Array(N);
  const cumBase = new Float64Array(N).fill(1); // compounded sleeve equity at the last reset
  const dayStart = new Float64Array(N).fill(1);
  const dayCostAcc = new Float64Array(N);
  const dayTurnAcc = new Float64Array(N);
  const entryEq = new Float64Array(N);
  const entryRow = new Int32Array(N);
  const tradeCost = new Float64Array(N);
  const peak = new Float64Array(N).fill(1);
  // Equity at the deepest drawdown so far, relative to the current peak (compare, don't divide).
  const floor = new Float64Array(N).fill(1);
  // Last row at the peak before the current stretch under it; NOT_UNDER when at a peak.
  const NOT_UNDER = -2;
  const underSince = new Int32Array(N).fill(NOT_UNDER);

  const rowEquitySum = new Float64Array(T);
  const dayReturn = new Float64Array(D * N);
  const dayCost = new Float64Array(D * N);
  const dayTurnover = new Float64Array(D * N);
  const barsInMarket = new Float64Array(N);
  const maxDrawdown = new Float64Array(N);
  const maxDrawdownBars = new Float64Array(N);
  const trades = new TradeBuffer(1024);
  const positions = o.record ? new Float32Array(T * N) : undefined;
  const fills = o.record ? new Uint8Array(T * N) : undefined;

  for (let d = 0; d < D; d++) {
    const s0 = panel.sessions[d].start;
    const s1 = s0 + panel.sessions[d].bars;
    const exitAtClose = flat || d === D - 1;
    for (let t = s0; t < s1; t++) {
      const noCarry = t === 0 || (flat && t === s0); // no target reaches this row's open
      const lastRow = t === s1 - 1;
      const base = t * N;
      let rowSum = 0;
      for (let n = 0; n < N; n++) {
        const i = base + n;
        let h = shares[n];
        let want = 0;
        if (!noCarry) {
          want = target[i - N];
          if (!(want === want)) want = 0; // NaN → flat
          else if (want > 1) want = 1;
          else if (want < (longOnly ? 0 : -1)) want = longOnly ? 0 : -1;
        }
        const px = want !== held[n] && mask[i] !== 0 ? open[i] : 0;
        if (px > 0) {
          let rate = baseRate;
          if (rangeK !== 0) {
            const pc = close[i - N];
            if (pc > 0) rate += (rangeK * (high[i - N] - low[i - N])) / pc;
          }
          const eqOpen = cash[n] + h * px;
          if (volK !== 0) {
            // Participation of the order (at its nominal size) in the last completed bar's volume, capped at 1.
            const v = volume[i - N];
            const s = Math.abs((want * g * eqOpen) / px - h) * sharesPerUnit * cumBase[n];
            rate += volK * (v > 0 ? Math.min(1, s / v) : 1);
          }
          // A flip is an exit then an entry: the new size comes from the equity after the exit's cost.
          const flip = h !== 0 && want !== 0 && (h > 0) !== (want > 0);
          const exitCost = flip ? Math.abs(h) * px * rate : 0;
          const newH = (want * g * (eqOpen - exitCost)) / px;
          const dh = newH - h;
          const notional = Math.abs(dh) * px;
          const cost = notional * rate;
          if (h === 0) {
            entryEq[n] = eqOpen;
            entryRow[n] = t;
            tradeCost[n] = cost;
          } else if (want === 0 || flip) {
            const out = flip ? exitCost : cost;
            barsInMarket[n] += t - entryRow[n]; // held over rows entryRow … t − 1
            trades.push(n, entryRow[n], t, h > 0 ? 1 : -1, (eqOpen - out) / entryEq[n] - 1, (tradeCost[n] + out) / entryEq[n]);
            if (flip) {
              entryEq[n] = eqOpen - exitCost;
              entryRow[n] = t;
              tradeCost[n] = cost - exitCost;
            }
          } else tradeCost[n] += cost;
          cash[n] -= dh * px + cost;
          shares[n] = h = newH;
          held[n] = want;
          dayCostAcc[n] += cost;
          dayTurnAcc[n] += notional;
          if (fills) fills[i] = FILL_OPEN;
        }
        if (positions) positions[i] = held[n];
        let eq = cash[n];
        if (h !== 0) {
          const pc = close[i];
          eq += h * pc;
          if (lastRow && exitAtClose) {
            // The session-close exit settles at the last close (the last traded price when the
            // bar is missing); its slippage terms use this closing bar.
            let rate = baseRate;
            if (rangeK !== 0 && pc > 0) rate += (rangeK * (high[i] - low[i])) / pc;
            if (volK !== 0) {
              const v = volume[i];
              const s = Math.abs(h) * sharesPerUnit * cumBase[n];
              rate += volK * (v > 0 ? Math.min(1, s / v) : 1);
            }
            const notional = Math.abs(h) * pc;
            const cost = notional * rate;
            eq -= cost;
            barsInMarket[n] += t - entryRow[n] + 1; // held over rows entryRow … t
            trades.push(n, entryRow[n], t, h > 0 ? 1 : -1, eq / entryEq[n] - 1, (tradeCost[n] + cost) / entryEq[n]);
            cash[n] = eq;
            shares[n] = 0;
            held[n] = 0;
            dayCostAcc[n] += cost;
            dayTurnAcc[n] += notional;
            if (fills) fills[i] |= FILL_CLOSE;
          }
        }
        rowSum += eq;
        const cum = cumBase[n] * eq;
        const pk = peak[n];
        if (cum < pk) {
          if (cum < floor[n]) {
            maxDrawdown[n] = 1 - cum / pk;
            floor[n] = cum;
          }
          let since = underSince[n];
          if (since === NOT_UNDER) underSince[n] = since = t - 1;
          if (t - since > maxDrawdownBars[n]) maxDrawdownBars[n] = t - since;
        } else {
          if (cum > pk) {
            peak[n] = cum;
            floor[n] = cum * (1 - maxDrawdown[n]);
          }
          if (underSince[n] !== NOT_UNDER) underSince[n] = NOT_UNDER;
        }
        if (lastRow) {
          const k = d * N + n;
          dayReturn[k] = eq / dayStart[n] - 1;
          dayCost[k] = dayCostAcc[n] / dayStart[n];
          dayTurnover[k] = dayTurnAcc[n] / dayStart[n];
          dayCostAcc[n] = 0;
          dayTurnAcc[n] = 0;
          if (flat) {
            // Flat and all cash: restart the sleeve at 1 (the portfolio rebalances for free).
            cumBase[n] *= eq;
            cash[n] = 1;
            dayStart[n] = 1;
          } else dayStart[n] = eq;
        }
      }
      rowEquitySum[t] = rowSum;
    }
  }

  return {
    T,
    N,
    D,
    flatAtClose: flat,
    rowEquitySum,
    dayReturn,
    dayCost,
    dayTurnover,
    barsInMarket,
    maxDrawdown,
    maxDrawdownBars,
    trades: trades.columns(),
    positions,
    fills,
  };
}
