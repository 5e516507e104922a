/**
 * The plain per-bar loop the vectorized simulator is checked against (and benchmarked beside):
 * one ticker at a time, one bar at a time, trades as objects, the position tracked as a value
 * marked by price ratios (close → open → close) instead of shares. Same documented rules,
 * written independently.
 */
import type { Panel } from '../../src/data/panel.js';

export interface RefOptions {
  commissionBps: number;
  slippageBps: number;
  rangeSlippage: number;
  volumeSlippageBps: number;
  capital: number;
  maxWeight: number;
  direction: 'long-only' | 'long-short';
  flatAtClose: boolean;
}

export interface RefTrade {
  ticker: number;
  entryRow: number;
  exitRow: number;
  side: number;
  ret: number;
  cost: number;
}

export interface RefResult {
  /** [D][N] */
  dayReturn: number[][];
  dayCost: number[][];
  trades: RefTrade[];
  /** Portfolio equity at each row's close. */
  equity: number[];
  /** Held target per bar [T*N], fill flags per bar (1 open, 2 close). */
  positions: number[];
  fills: number[];
  barsInMarket: number[];
  /** Total costs paid, fraction of the starting capital. */
  costs: number;
}

export function referenceBacktest(panel: Panel, target: Float32Array, o: RefOptions): RefResult {
  const { T, N, sessions } = panel;
  const D = sessions.length;
  const gross = Math.min(1, o.maxWeight * N);
  const sleeveEq: number[][] = Array.from({ length: N }, () => new Array(T).fill(0));
  const dayReturn: number[][] = Array.from({ length: D }, () => new Array(N).fill(0));
  const dayCost: number[][] = Array.from({ length: D }, () => new Array(N).fill(0));
  const trades: RefTrade[] = [];
  const positions = new Array(T * N).fill(0);
  const fills = new Array(T * N).fill(0);
  const barsInMarket = new Array(N).fill(0);
  const at = (t: number, n: number) => t * N + n;

  for (let n = 0; n < N; n++) {
    let cash = 1;
    let value = 0; // signed value of the position
    let heldTarget = 0;
    let compounded = 1; // sleeve equity at the last reset, relative to the start
    let open: { entryRow: number; side: number; entryEquity: number; cost: number } | null = null;
    const closeTrade = (row: number, equityAfter: number, exitCost: number) => {
      open!.cost += exitCost;
      trades.push({ ticker: n, entryRow: open!.entryRow, exitRow: row, side: open!.side, ret: equityAfter / open!.entryEquity - 1, cost: open!.cost / open!.entryEquity });
      open = null;
    };
    const participationRate = (valueTraded: number, price: number, barVolume: number) => {
      if (o.volumeSlippageBps === 0) return 0;
      const sharesTraded = (Math.abs(valueTraded) / price) * (o.capital / N) * compounded;
      const share = barVolume > 0 ? Math.min(1, sharesTraded / barVolume) : 1;
      return (o.volumeSlippageBps / 1e4) * share;
    };
    for (let d = 0; d < D; d++) {
      const s = sessions[d];
      const first = s.start;
      const last = s.start + s.bars - 1;
      const startEquity = cash + value;
      let costToday = 0;
      for (let t = first; t <= last; t++) {
        const i = at(t, n);
        if (t > 0) value *= panel.open[i] / panel.close[at(t - 1, n)];
        let desired = 0;
        const carries = t > 0 && !(o.flatAtClose && t === first);
        if (carries) {
          const x = target[at(t - 1, n)];
          desired = Number.isNaN(x) ? 0 : Math.max(o.direction === 'long-only' ? 0 : -1, Math.min(1, x));
        }
        if (panel.mask[i] === 1 && desired !== heldTarget && panel.open[i] > 0) {
          const price = panel.open[i];
          const equityAtOpen = cash + value;
          let rate = (o.commissionBps + o.slippageBps) / 1e4;
          if (o.rangeSlippage > 0) rate += (o.rangeSlippage * (panel.high[at(t - 1, n)] - panel.low[at(t - 1, n)])) / panel.close[at(t - 1, n)];
          rate += participationRate(desired * gross * equityAtOpen - value, price, panel.volume[at(t - 1, n)]);
          const oldSide = Math.sign(value);
          const newSide = Math.sign(desired);
          if (oldSide !== 0 && newSide !== 0 && oldSide !== newSide) {
            // flip: exit everything, then enter from what is left
            const exitCost = Math.abs(value) * rate;
            cash += value - exitCost;
            value = 0;
            costToday += exitCost;
            closeTrade(t, cash, exitCost);
            const entryValue = desired * gross * cash;
            const entryCost = Math.abs(entryValue) * rate;
            open = { entryRow: t, side: newSide, entryEquity: cash, cost: entryCost };
            cash -= entryValue + entryCost;
            value = entryValue;
            costToday += entryCost;
          } else {
            const newValue = desired * gross * equityAtOpen;
            const c = Math.abs(newValue - value) * rate;
            if (oldSide === 0) open = { entryRow: t, side: newSide, entryEquity: equityAtOpen, cost: c };
            else if (newSide === 0) closeTrade(t, equityAtOpen - c, c);
            else open!.cost += c;
            cash -= newValue - value + c;
            value = newValue;
            costToday += c;
          }
          heldTarget = desired;
          fills[i] |= 1;
        }
        positions[i] = heldTarget;
        value *= panel.close[i] / panel.open[i];
        if (value !== 0) {
          barsInMarket[n]++;
          if (t === last && (o.flatAtClose || d === D - 1)) {
            let rate = (o.commissionBps + o.slippageBps) / 1e4;
            if (o.rangeSlippage > 0) rate += (o.rangeSlippage * (panel.high[i] - panel.low[i])) / panel.close[i];
            rate += participationRate(value, panel.close[i], panel.volume[i]);
            const c = Math.abs(value) * rate;
            cash += value - c;
            value = 0;
            heldTarget = 0;
            costToday += c;
            closeTrade(t, cash, c);
            fills[i] |= 2;
          }
        }
        sleeveEq[n][t] = cash + value;
      }
      dayReturn[d][n] = (cash + value) / startEquity - 1;
      dayCost[d][n] = costToday / startEquity;
      if (o.flatAtClose) {
        compounded *= cash;
        cash = 1;
      }
    }
  }

  // Portfolio: equal sleeves, rebalanced each morning when flat at the close, else drifting.
  const equity = new Array(T).fill(0);
  let costs = 0;
  let prev = 1;
  const sleeveCapital = new Array(N).fill(1 / N);
  for (let d = 0; d < D; d++) {
    const s = sessions[d];
    for (let t = s.start; t < s.start + s.bars; t++) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += sleeveEq[n][t];
      equity[t] = o.flatAtClose ? (prev * sum) / N : sum / N;
    }
    for (let n = 0; n < N; n++) {
      const cap = o.flatAtClose ? prev / N : sleeveCapital[n];
      costs += dayCost[d][n] * cap;
      sleeveCapital[n] = cap * (1 + dayReturn[d][n]);
    }
    prev = equity[s.start + s.bars - 1];
  }
  return { dayReturn, dayCost, trades, equity, positions, fills, barsInMarket, costs };
}
