import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/data/random.js';
import {
  bootstrapSharpeDifference,
  portfolioMetrics,
  portfolioSeries,
  resampleDays,
  simulate,
  tickerMetrics,
} from '../../src/backtest/index.js';
import { randomPanel, randomTargets } from './bar-helpers.js';
import { referenceBacktest } from './reference-loop.js';

const close10 = (a: number, b: number) => expect(a).toBeCloseTo(b, 10);

/** Direct textbook formulas on plain arrays. */
function direct(daily: number[], equity: number[]) {
  const D = daily.length;
  const m = daily.reduce((s, x) => s + x, 0) / D;
  const sd = Math.sqrt(daily.reduce((s, x) => s + (x - m) ** 2, 0) / (D - 1));
  const down = Math.sqrt(daily.reduce((s, x) => s + Math.min(x, 0) ** 2, 0) / D);
  const total = daily.reduce((e, x) => e * (1 + x), 1) - 1;
  let peak = 1;
  let mdd = 0;
  for (const e of equity) {
    peak = Math.max(peak, e);
    mdd = Math.max(mdd, 1 - e / peak);
  }
  return { sharpe: (m / sd) * Math.sqrt(252), sortino: (m / down) * Math.sqrt(252), total, annual: (1 + total) ** (252 / D) - 1, mdd };
}

describe('metrics', () => {
  for (const flatAtClose of [true, false]) {
    it(`portfolio and per-ticker metrics match direct formulas on the plain loop's output (flatAtClose ${flatAtClose})`, () => {
      const N = 4;
      const panel = randomPanel(21, N, Array(12).fill(60), 0.1);
      const target = randomTargets(21, panel.T, N);
      const opts = { costs: { commissionBps: 1, slippageBps: 2 }, sizing: { direction: 'long-short' as const, maxWeight: 0.2 }, flatAtClose };
      const sim = simulate(panel, target, opts);
      const ref = referenceBacktest(panel, target, {
        commissionBps: 1, slippageBps: 2, rangeSlippage: 0, volumeSlippageBps: 0, capital: 1e6, maxWeight: 0.2, direction: 'long-short', flatAtClose,
      });
      const ends = panel.sessions.map((s) => s.start + s.bars - 1);
      const series = portfolioSeries(sim, ends);
      const m = portfolioMetrics(sim, series);
      const refDaily = ends.map((e, d) => ref.equity[e] / (d === 0 ? 1 : ref.equity[ends[d - 1]]) - 1);
      const x = direct(refDaily, ref.equity);
      close10(m.sharpe, x.sharpe);
      close10(m.sortino, x.sortino);
      close10(m.totalReturn, x.total);
      close10(m.annualizedReturn, x.annual);
      close10(m.maxDrawdown, x.mdd);
      close10(m.costs, ref.costs);
      expect(m.trades).toBe(ref.trades.length);
      expect(m.hitRate).toBeCloseTo(ref.trades.filter((t) => t.ret > 0).length / ref.trades.length, 12);
      close10(m.avgTrade, ref.trades.reduce((s, t) => s + t.ret, 0) / ref.trades.length);
      expect(m.tradesPerDay).toBe(ref.trades.length / 12);
      expect(m.exposure).toBe(ref.barsInMarket.reduce((s, x) => s + x, 0) / (panel.T * N));
      const per = tickerMetrics(sim, panel.tickers);
      for (let n = 0; n < N; n++) {
        const daily = ref.dayReturn.map((row) => row[n]);
        // The sleeve's compounded minute equity, from the plain loop's sleeve returns per day.
        const y = direct(daily, []);
        close10(per[n].sharpe, y.sharpe);
        close10(per[n].totalReturn, y.total);
        expect(per[n].trades).toBe(ref.trades.filter((t) => t.ticker === n).length);
        expect(per[n].exposure).toBe(ref.barsInMarket[n] / panel.T);
        expect(per[n].maxDrawdown).toBeGreaterThanOrEqual(0);
      }
      // Drawdown duration: bars from the peak to the deepest-lasting point under it.
      let peak = 1;
      let peakAt = -1;
      let longest = 0;
      ref.equity.forEach((e, t) => {
        if (e >= peak) [peak, peakAt] = [e, t];
        else longest = Math.max(longest, t - peakAt);
      });
      expect(m.maxDrawdownBars).toBe(longest);
    });
  }
});

describe('bootstrap of the Sharpe difference', () => {
  const noise = (seed: number, D: number, drift = 0) => {
    const rng = new Rng(seed);
    return Float64Array.from({ length: D }, () => drift + 0.01 * rng.normal());
  };

  it('is deterministic for a seed and changes with it', () => {
    const a = noise(1, 60);
    const b = noise(2, 60);
    const r1 = bootstrapSharpeDifference(a, b, { a: 'A', b: 'B' }, { seed: 5 });
    const r2 = bootstrapSharpeDifference(a, b, { a: 'A', b: 'B' }, { seed: 5 });
    const r3 = bootstrapSharpeDifference(a, b, { a: 'A', b: 'B' }, { seed: 6 });
    expect(r2).toEqual(r1);
    expect(r3.lower).not.toBe(r1.lower);
    expect(r1.lower).toBeLessThan(r1.difference);
    expect(r1.upper).toBeGreaterThan(r1.difference);
  });

  it('says A beats B when it clearly does, B beats A the other way round, and no difference for twins', () => {
    const b = noise(3, 60);
    const a = b.map((x, i) => x + 0.004 + 0.002 * Math.sin(i)); // same days, higher mean
    expect(bootstrapSharpeDifference(a, b, { a: 'model', b: 'avwap' }).verdict).toBe('model beats avwap at 95%');
    expect(bootstrapSharpeDifference(b, a, { a: 'model', b: 'avwap' }).verdict).toBe('avwap beats model at 95%');
    const same = bootstrapSharpeDifference(b, b, { a: 'model', b: 'avwap' }, { method: 'moving', blockDays: 5 });
    expect(same.difference).toBe(0);
    expect(same.verdict).toBe('no significant difference at 95%');
  });

  it('under the null (independent draws of the same law) rejects about 5% of the time', () => {
    let rejections = 0;
    const trials = 60;
    for (let s = 0; s < trials; s++) {
      const r = bootstrapSharpeDifference(noise(100 + s, 80, 0.001), noise(500 + s, 80, 0.001), { a: 'A', b: 'B' }, { samples: 400, seed: s });
      if (!r.verdict.startsWith('no significant')) rejections++;
    }
    // Binomial(60, 0.05): mean 3; 10 or more would be a broken interval (p < 0.001).
    expect(rejections).toBeLessThan(10);
  });

  it('resamples in blocks: moving blocks are runs of consecutive days; stationary ones average blockDays', () => {
    const rng = new Rng(9);
    const mv = resampleDays(50, 5, 'moving', rng);
    for (let i = 0; i < 50; i += 5) for (let j = 1; j < 5; j++) expect(mv[i + j]).toBe(mv[i] + 1 + (j - 1));
    let breaks = 0;
    let total = 0;
    for (let k = 0; k < 200; k++) {
      const st = resampleDays(100, 4, 'stationary', rng);
      for (let i = 1; i < 100; i++) {
        total++;
        if (st[i] !== (st[i - 1] + 1) % 100) breaks++;
      }
      expect(Math.min(...st)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...st)).toBeLessThan(100);
    }
    expect(total / breaks).toBeGreaterThan(3.5);
    expect(total / breaks).toBeLessThan(4.6);
  });
});
