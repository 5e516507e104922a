import { describe, expect, it } from 'vitest';
import { emptyPanel } from '../../src/data/panel.js';
import { Rng } from '../../src/data/random.js';
import {
  FILL_CLOSE,
  FILL_OPEN,
  mergeSimulations,
  portfolioMetrics,
  portfolioSeries,
  simulate,
  type SimulationOptions,
} from '../../src/backtest/index.js';
import { randomPanel, randomTargets, sessionsOf } from './bar-helpers.js';
import { referenceBacktest, type RefOptions } from './reference-loop.js';

const close12 = (a: number, b: number) => expect(a).toBeCloseTo(b, 12);
const sessionEnds = (p: { sessions: { start: number; bars: number }[] }) => p.sessions.map((s) => s.start + s.bars - 1);

describe('simulate: hand-computed example', () => {
  // Two tickers, two sessions of 4 bars, long/short, 5 bps commission + 5 bps slippage
  // (rate 0.001), maxWeight 0.25 → each sleeve (1/2 of the book) holds 0.5 of itself at ±1.
  const p = emptyPanel(['A', 'B'], sessionsOf([4, 4]));
  const set = (n: number, o: number[], c: number[], m = [1, 1, 1, 1, 1, 1, 1, 1]) => {
    for (let t = 0; t < 8; t++) {
      const i = t * 2 + n;
      p.open[i] = o[t];
      p.close[i] = c[t];
      p.high[i] = Math.max(o[t], c[t]);
      p.low[i] = Math.min(o[t], c[t]);
      p.volume[i] = 1000;
      p.mask[i] = m[t];
    }
  };
  set(0, [10, 10, 11, 12, 12, 12, 12, 12], [10, 11, 12, 12.5, 12, 12, 12, 12]);
  // B's row 2 is missing (price carried forward from row 1's close).
  set(1, [20, 20, 20, 19, 18, 18, 18.9, 19.8], [20, 20, 20, 18.05, 18, 18.9, 19.8, 20], [1, 1, 0, 1, 1, 1, 1, 1]);
  const target = new Float32Array(16);
  const put = (n: number, v: number[]) => v.forEach((x, t) => (target[t * 2 + n] = x));
  // A: long from row 0's close; the row-3 target is ignored (flat at the close, no carry).
  put(0, [1, 1, 1, 1, 0, 0, 0, 0]);
  // B: short from row 1's close; row 2 is missing so it fills at row 3's open; then long in session 2.
  put(1, [0, -1, -1, -1, 1, 1, 0, 0]);
  const opts: SimulationOptions = { costs: { commissionBps: 5, slippageBps: 5 }, sizing: { maxWeight: 0.25, direction: 'long-short' }, record: true };
  const sim = simulate(p, target, opts);
  const rate = 0.001;
  // Prices are float32 in a panel: 18.05 and 19.8 are their nearest float32 values.
  const p1805 = Math.fround(18.05);
  const p198 = Math.fround(19.8);

  it('fills at the next open, waits over a missing bar, exits at the session close', () => {
    expect(Array.from({ length: 8 }, (_, t) => sim.positions![t * 2])).toEqual([0, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from({ length: 8 }, (_, t) => sim.positions![t * 2 + 1])).toEqual([0, 0, 0, -1, 0, 1, 1, 0]);
    expect(Array.from({ length: 8 }, (_, t) => sim.fills![t * 2])).toEqual([0, FILL_OPEN, 0, FILL_CLOSE, 0, 0, 0, 0]);
    expect(Array.from({ length: 8 }, (_, t) => sim.fills![t * 2 + 1])).toEqual([0, 0, 0, FILL_OPEN | FILL_CLOSE, 0, FILL_OPEN, 0, FILL_OPEN]);
  });

  // A, day 1: buy 0.5 of the sleeve at 10 (cost 0.5·rate), sell at the 12.5 close (value 0.625, cost 0.625·rate).
  const a1 = 1 - 0.5 * rate + 0.5 * (12.5 / 10 - 1) - 0.625 * rate;
  // B, day 1: short 0.5 at 19 (cost 0.5·rate), cover at 18.05 (value 0.5·0.95, cost 0.475·rate).
  const b1 = 1 - 0.5 * rate + 0.5 * (1 - p1805 / 19) - 0.5 * (p1805 / 19) * rate;
  // B, day 2: buy 0.5 at 18, sell at the 19.8 open of row 7 (value 0.55).
  const b2 = 1 - 0.5 * rate + 0.5 * (p198 / 18 - 1) - 0.5 * (p198 / 18) * rate;

  it('sleeve daily returns, trades and costs are the hand-computed ones', () => {
    close12(sim.dayReturn[0], a1 - 1);
    close12(sim.dayReturn[1], b1 - 1);
    close12(sim.dayReturn[2], 0);
    close12(sim.dayReturn[3], b2 - 1);
    close12(sim.dayCost[0], 1.125 * rate);
    close12(sim.dayCost[1], (0.5 + 0.5 * (p1805 / 19)) * rate);
    close12(sim.dayCost[3], (0.5 + 0.5 * (p198 / 18)) * rate);
    expect(sim.trades.count).toBe(3);
    expect(Array.from(sim.trades.ticker)).toEqual([0, 1, 1]);
    expect(Array.from(sim.trades.entryRow)).toEqual([1, 3, 5]);
    expect(Array.from(sim.trades.exitRow)).toEqual([3, 3, 7]);
    expect(Array.from(sim.trades.side)).toEqual([1, -1, 1]);
    close12(sim.trades.ret[0], a1 - 1);
    close12(sim.trades.ret[1], b1 - 1);
    close12(sim.trades.ret[2], b2 - 1);
    expect(Array.from(sim.barsInMarket)).toEqual([3, 3]);
  });

  it('portfolio equity, costs and metrics', () => {
    const series = portfolioSeries(sim, sessionEnds(p));
    const E1 = (a1 + b1) / 2;
    const E2 = E1 * (1 + b2) / 2;
    close12(series.dayEquity[0], E1);
    close12(series.dayEquity[1], E2);
    // Row 3 (after the exits): both sleeves cash; row 6: A flat at 1, B long at the 19.8 close.
    close12(series.equity[3], E1);
    close12(series.equity[6], (E1 / 2) * (1 + (1 - 0.5 * rate + 0.5 * (p198 / 18 - 1))));
    const costs = ((1.125 + 0.5 + 0.5 * (p1805 / 19)) * rate) / 2 + (E1 / 2) * (0.5 + 0.5 * (p198 / 18)) * rate;
    close12(series.dayCost[0] + series.dayCost[1], costs);
    const m = portfolioMetrics(sim, series);
    close12(m.totalReturn, E2 - 1);
    close12(m.costs, costs);
    expect(m.trades).toBe(3);
    expect(m.tradesPerDay).toBe(1.5);
    expect(m.hitRate).toBe(1);
    close12(m.avgTrade, (a1 + b1 + b2 - 3) / 3);
    close12(m.exposure, 6 / 16);
  });
});

function refOpts(o: SimulationOptions, N: number): RefOptions {
  return {
    commissionBps: o.costs?.commissionBps ?? 0.5,
    slippageBps: o.costs?.slippageBps ?? 1,
    rangeSlippage: o.costs?.rangeSlippage ?? 0,
    volumeSlippageBps: o.costs?.volumeSlippageBps ?? 0,
    capital: o.costs?.capital ?? 1e6,
    maxWeight: o.sizing?.maxWeight ?? 1,
    direction: o.sizing?.direction ?? 'long-only',
    flatAtClose: o.flatAtClose ?? true,
  };
  void N;
}

function randomOptions(rng: Rng): SimulationOptions {
  return {
    costs: {
      commissionBps: rng.int(0, 3),
      slippageBps: rng.next() * 4,
      rangeSlippage: rng.next() < 0.5 ? 0 : rng.next() * 0.3,
      volumeSlippageBps: rng.next() < 0.5 ? 0 : rng.next() * 50,
      capital: rng.next() < 0.5 ? 1e6 : 1e8,
    },
    sizing: { maxWeight: rng.next() < 0.5 ? 1 : 0.05 + 0.5 * rng.next(), direction: rng.next() < 0.5 ? 'long-only' : 'long-short' },
    flatAtClose: rng.next() < 0.7,
    record: true,
  };
}

describe('simulate agrees with a plain per-bar loop', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`random data, targets and settings (seed ${seed})`, () => {
      const rng = new Rng(seed * 7919);
      const N = rng.int(1, 7);
      const bars = Array.from({ length: rng.int(1, 5) }, () => (rng.next() < 0.2 ? rng.int(1, 3) : rng.int(5, 60)));
      const panel = randomPanel(seed, N, bars, rng.next() * 0.3);
      const target = randomTargets(seed, panel.T, N, rng.next() < 0.3, 1 + rng.next() * 6);
      const opts = randomOptions(rng);
      const sim = simulate(panel, target, opts);
      const ref = referenceBacktest(panel, target, refOpts(opts, N));

      expect(Array.from(sim.positions!)).toEqual(ref.positions.map((x) => Math.fround(x)));
      expect(Array.from(sim.fills!)).toEqual(ref.fills);
      expect(Array.from(sim.barsInMarket)).toEqual(ref.barsInMarket);
      for (let d = 0; d < sim.D; d++) {
        for (let n = 0; n < N; n++) {
          close12(sim.dayReturn[d * N + n], ref.dayReturn[d][n]);
          close12(sim.dayCost[d * N + n], ref.dayCost[d][n]);
        }
      }
      expect(sim.trades.count).toBe(ref.trades.length);
      const order = [...ref.trades].sort((a, b) => a.exitRow - b.exitRow || a.ticker - b.ticker);
      const ours = Array.from({ length: sim.trades.count }, (_, k) => ({
        ticker: sim.trades.ticker[k], entryRow: sim.trades.entryRow[k], exitRow: sim.trades.exitRow[k], side: sim.trades.side[k], ret: sim.trades.ret[k], cost: sim.trades.cost[k],
      })).sort((a, b) => a.exitRow - b.exitRow || a.ticker - b.ticker);
      ours.forEach((t, k) => {
        expect([t.ticker, t.entryRow, t.exitRow, t.side]).toEqual([order[k].ticker, order[k].entryRow, order[k].exitRow, order[k].side]);
        close12(t.ret, order[k].ret);
        close12(t.cost, order[k].cost);
      });
      const series = portfolioSeries(sim, sessionEnds(panel));
      for (let t = 0; t < panel.T; t++) close12(series.equity[t], ref.equity[t]);
      close12(series.dayCost.reduce((s, x) => s + x, 0), ref.costs);
    });
  }

  it('simulating in ticker batches and merging equals one simulation', () => {
    const panel = randomPanel(5, 7, [30, 30, 12], 0.1);
    const target = randomTargets(5, panel.T, 7);
    for (const flatAtClose of [true, false]) {
      const opts: SimulationOptions = { costs: { volumeSlippageBps: 20, rangeSlippage: 0.1 }, sizing: { direction: 'long-short', maxWeight: 0.1 }, flatAtClose };
      const whole = simulate(panel, target, opts);
      const cols = (lo: number, hi: number) => {
        const q = emptyPanel(panel.tickers.slice(lo, hi), sessionsOf([30, 30, 12]));
        const tg = new Float32Array(panel.T * (hi - lo));
        for (let t = 0; t < panel.T; t++)
          for (let n = lo; n < hi; n++) {
            const i = t * 7 + n;
            const j = t * (hi - lo) + n - lo;
            for (const f of ['open', 'high', 'low', 'close', 'volume'] as const) q[f][j] = panel[f][i];
            q.mask[j] = panel.mask[i];
            tg[j] = target[i];
          }
        return simulate(q, tg, { ...opts, portfolioN: 7 });
      };
      const merged = mergeSimulations([cols(0, 3), cols(3, 7)]);
      expect(Array.from(merged.dayReturn)).toEqual(Array.from(whole.dayReturn));
      for (let t = 0; t < panel.T; t++) close12(merged.rowEquitySum[t], whole.rowEquitySum[t]);
      expect(merged.trades.count).toBe(whole.trades.count);
    }
  });
});

describe('no look-ahead', () => {
  it('a same-bar perfect-foresight signal earns nothing through next-open fills', () => {
    // target[t] = sign of bar t's own move: a fortune if it could fill at bar t's open, noise from t + 1.
    const panel = randomPanel(11, 20, Array(20).fill(390), 0);
    const { T, N, open, close } = panel;
    const target = new Float32Array(T * N);
    for (let i = 0; i < T * N; i++) target[i] = Math.sign(close[i] - open[i]);
    const opts: SimulationOptions = { costs: { commissionBps: 0, slippageBps: 0 }, sizing: { direction: 'long-short' } };
    const sim = simulate(panel, target, opts);
    const n = sim.trades.count;
    let sum = 0;
    let sq = 0;
    for (let k = 0; k < n; k++) {
      sum += sim.trades.ret[k];
      sq += sim.trades.ret[k] ** 2;
    }
    const meanRet = sum / n;
    const se = Math.sqrt((sq / n - meanRet ** 2) / n);
    expect(n).toBeGreaterThan(10_000);
    expect(Math.abs(meanRet)).toBeLessThan(4 * se);
    // The same signal filled on its own bar (the impossible fill) earns ≈ E|bar return| per bar.
    let oracle = 0;
    for (let i = 0; i < T * N; i++) oracle += Math.abs(Math.log(close[i] / open[i]));
    expect(oracle / (T * N)).toBeGreaterThan(100 * Math.abs(meanRet));
  });

  it('changing the future never changes the past: equity up to row k ignores bars after k and targets from k', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const panel = randomPanel(seed, 4, [40, 40, 40], 0.1);
      const target = randomTargets(seed, panel.T, 4);
      const opts: SimulationOptions = { costs: { rangeSlippage: 0.2, volumeSlippageBps: 30 }, sizing: { direction: 'long-short' }, flatAtClose: seed % 2 === 0, record: true };
      const k = 17 + seed * 7;
      const a = simulate(panel, target, opts);
      const future = randomPanel(seed + 100, 4, [40, 40, 40], 0.3);
      const p2 = { ...panel, open: panel.open.slice(), high: panel.high.slice(), low: panel.low.slice(), close: panel.close.slice(), volume: panel.volume.slice(), mask: panel.mask.slice() };
      for (const f of ['open', 'high', 'low', 'close', 'volume', 'mask'] as const) p2[f].set(future[f].subarray((k + 1) * 4), (k + 1) * 4);
      const t2 = target.slice();
      t2.set(randomTargets(seed + 100, panel.T, 4).subarray(k * 4), k * 4);
      const b = simulate(p2, t2, opts);
      // The last row of a session exits at its own close, which is still "row ≤ k".
      expect(Array.from(b.rowEquitySum.subarray(0, k + 1))).toEqual(Array.from(a.rowEquitySum.subarray(0, k + 1)));
      expect(Array.from(b.positions!.subarray(0, (k + 1) * 4))).toEqual(Array.from(a.positions!.subarray(0, (k + 1) * 4)));
      expect(Array.from(b.rowEquitySum.subarray(k + 1))).not.toEqual(Array.from(a.rowEquitySum.subarray(k + 1)));
    }
  });
});

describe('costs, masks, flat at close', () => {
  it('costs lower each trade by exactly what it paid, and the book by the sum', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const panel = randomPanel(seed, 5, [50, 50, 50], 0.1);
      const target = randomTargets(seed, panel.T, 5, true);
      const base: SimulationOptions = { sizing: { direction: 'long-short', maxWeight: 0.3 }, flatAtClose: true };
      const gross = simulate(panel, target, { ...base, costs: { commissionBps: 0, slippageBps: 0 } });
      const net = simulate(panel, target, { ...base, costs: { commissionBps: 2, slippageBps: 3, rangeSlippage: 0.1, volumeSlippageBps: 40 } });
      expect(net.trades.count).toBe(gross.trades.count);
      expect(Array.from(net.trades.entryRow)).toEqual(Array.from(gross.trades.entryRow));
      let paid = 0;
      for (let k = 0; k < net.trades.count; k++) {
        expect(net.trades.cost[k]).toBeGreaterThan(0);
        close12(gross.trades.ret[k] - net.trades.ret[k], net.trades.cost[k]);
        expect(gross.trades.cost[k]).toBe(0);
        paid += net.trades.cost[k];
      }
      expect(paid).toBeGreaterThan(0);
      // One sleeve-day with one trade: the day's return falls by exactly that trade's cost.
      const lone = (sim: typeof net) => {
        const perDay = new Map<string, number[]>();
        for (let k = 0; k < sim.trades.count; k++) {
          const key = `${panel.sessionOfRow[sim.trades.entryRow[k]]}:${sim.trades.ticker[k]}`;
          perDay.set(key, [...(perDay.get(key) ?? []), k]);
        }
        return perDay;
      };
      for (const [key, ks] of lone(net)) {
        if (ks.length !== 1) continue;
        const [d, n] = key.split(':').map(Number);
        close12(gross.dayReturn[d * 5 + n] - net.dayReturn[d * 5 + n], net.trades.cost[ks[0]]);
        close12(net.dayCost[d * 5 + n], net.trades.cost[ks[0]]);
      }
    }
  });

  it('masked bars never fill, and positions change only at fills', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const panel = randomPanel(seed, 6, [60, 60], 0.4);
      const target = randomTargets(seed, panel.T, 6, false, 2);
      for (const flatAtClose of [true, false]) {
        const sim = simulate(panel, target, { sizing: { direction: 'long-short' }, flatAtClose, record: true });
        let opens = 0;
        for (let i = 0; i < panel.T * 6; i++) {
          if (sim.fills![i] & FILL_OPEN) {
            opens++;
            expect(panel.mask[i]).toBe(1);
          }
          const before = i < 6 ? 0 : sim.fills![i - 6] & FILL_CLOSE ? 0 : sim.positions![i - 6];
          if (sim.positions![i] !== before) expect(sim.fills![i] & FILL_OPEN).toBe(FILL_OPEN);
        }
        expect(opens).toBeGreaterThan(50);
      }
    }
  });

  it('flat at the close: no trade spans a session, every session starts flat; without it positions carry', () => {
    const panel = randomPanel(3, 5, [30, 30, 30, 30], 0.1);
    const target = randomTargets(3, panel.T, 5, true, 20);
    const flat = simulate(panel, target, { sizing: { direction: 'long-short' }, record: true });
    for (let k = 0; k < flat.trades.count; k++) expect(panel.sessionOfRow[flat.trades.exitRow[k]]).toBe(panel.sessionOfRow[flat.trades.entryRow[k]]);
    for (const s of panel.sessions) for (let n = 0; n < 5; n++) expect(flat.positions![s.start * 5 + n]).toBe(0);
    const carry = simulate(panel, target, { sizing: { direction: 'long-short' }, flatAtClose: false, record: true });
    let spanning = 0;
    for (let k = 0; k < carry.trades.count; k++) if (panel.sessionOfRow[carry.trades.exitRow[k]] !== panel.sessionOfRow[carry.trades.entryRow[k]]) spanning++;
    expect(spanning).toBeGreaterThan(0);
    // The run still ends flat: the last trade exits at the last close.
    expect(Math.max(...carry.trades.exitRow)).toBe(panel.T - 1);
  });

  it('sizing: the cap scales the gross; long-only drops shorts', () => {
    const panel = randomPanel(8, 2, [40, 40], 0);
    const target = randomTargets(8, panel.T, 2, true);
    const zero = { commissionBps: 0, slippageBps: 0 };
    const full = simulate(panel, target, { costs: zero, sizing: { direction: 'long-short' } });
    const capped = simulate(panel, target, { costs: zero, sizing: { direction: 'long-short', maxWeight: 0.1 } });
    // maxWeight 0.1 with 2 tickers: each sleeve holds 0.2 of itself; a trade's return scales by 0.2.
    for (let k = 0; k < full.trades.count; k++) close12(capped.trades.ret[k], 0.2 * full.trades.ret[k]);
    const longOnly = simulate(panel, target, { costs: zero, record: true });
    expect(Math.min(...longOnly.positions!)).toBe(0);
    expect(Array.from(longOnly.trades.side).every((s) => s === 1)).toBe(true);
  });
});
