import { describe, expect, it } from 'vitest';
import { runBacktest, periodsPerSession, type BacktestInput } from '../../src/backtest/index.js';
import { Rng } from '../../src/model/rng.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);

/** sessions × perSession times every 15 min, N tickers, random returns. */
function market(sessions = 3, perSession = 26, N = 4, seed = 1): BacktestInput {
  const rng = new Rng(seed);
  const S = sessions * perSession * N;
  const time = new Float64Array(S);
  const ticker = new Int32Array(S);
  const r = new Float32Array(S);
  let i = 0;
  for (let d = 0; d < sessions; d++) {
    for (let k = 0; k < perSession; k++) {
      for (let n = 0; n < N; n++, i++) {
        time[i] = T0 + d * 86_400_000 + k * 15 * MIN;
        ticker[i] = n;
        r[i] = 0.002 * rng.normal() + 0.0001;
      }
    }
  }
  return { time, ticker, forwardReturn: r, modelSignal: new Float32Array(S), baselineSignal: new Float32Array(S), horizonMinutes: 15 };
}

describe('runBacktest', () => {
  it('hand-checked example: per-time equal-weight mean over traded tickers, costs, equity, drawdown', () => {
    // t0: A long +1 %, B short while it rises 2 % (−2 %) → R = (0.01 − 0.02)/2 = −0.005, minus 2·1bp.
    // t1: only A traded, long, +3 % → R = 0.03 − 0.0002. B has a zero signal: not traded, not averaged in.
    const input: BacktestInput = {
      time: new Float64Array([T0, T0, T0 + 15 * MIN, T0 + 15 * MIN]),
      ticker: new Int32Array([0, 1, 0, 1]),
      forwardReturn: new Float32Array([0.01, 0.02, 0.03, -0.05]),
      modelSignal: new Float32Array([0.5, -0.2, 0.1, 0]),
      baselineSignal: new Float32Array([1, 1, 1, 1]),
      horizonMinutes: 15,
    };
    const res = runBacktest(input, { costBps: 1 });
    const c = 2 * 1e-4;
    const R0 = (Math.fround(0.01) - Math.fround(0.02)) / 2 - c;
    const R1 = Math.fround(0.03) - c;
    expect(res.model.logReturn).toBeCloseTo(R0 + R1, 12);
    expect(res.model.totalReturn).toBeCloseTo(Math.exp(R0 + R1) - 1, 12);
    expect(Array.from(res.equity.model)).toEqual([Math.exp(R0), Math.exp(R0 + R1)]);
    expect(res.model.maxDrawdown).toBeCloseTo(1 - Math.exp(R0), 12);
    expect(res.model.trades).toBe(3);
    expect(res.model.longs).toBe(2);
    expect(res.model.shorts).toBe(1);
    expect(res.model.hitRate).toBeCloseTo(2 / 3, 12);
    expect(res.model.exposure).toBeCloseTo(3 / 4, 12);
    expect(res.model.avgTradeReturn).toBeCloseTo((0.01 - 0.02 + 0.03 - 3 * c) / 3, 6);
    // Baseline trend: long everything → t0 mean(0.01, 0.02), t1 mean(0.03, −0.05).
    const B = (0.01 + 0.02) / 2 + (0.03 - 0.05) / 2 - 2 * c;
    expect(res.baseline.logReturn).toBeCloseTo(B, 6);
    // Buy and hold: same positions, no costs.
    expect(res.buyHold.logReturn).toBeCloseTo(B + 2 * c, 6);
    expect(Array.from(res.equity.time)).toEqual([T0, T0 + 15 * MIN]);
  });

  it('perfect foresight: every trade wins, no drawdown', () => {
    const m = market();
    const res = runBacktest({ ...m, modelSignal: Float32Array.from(m.forwardReturn) }, { costBps: 0 });
    expect(res.model.trades).toBe(m.time.length);
    expect(res.model.hitRate).toBe(1);
    expect(res.model.maxDrawdown).toBe(0);
    expect(res.model.totalReturn).toBeGreaterThan(0);
    expect(res.model.sharpe).toBeGreaterThan(res.buyHold.sharpe);
    // Σ_t mean_i |r_i|
    let expected = 0;
    for (let t = 0; t < m.time.length; t += 4) {
      let s = 0;
      for (let n = 0; n < 4; n++) s += Math.abs(m.forwardReturn[t + n]);
      expected += s / 4;
    }
    expect(res.model.logReturn).toBeCloseTo(expected, 10);
  });

  it('zero signal: no trades, zero return, flat equity', () => {
    const m = market();
    const res = runBacktest(m, { costBps: 5 });
    for (const k of ['model', 'baseline'] as const) {
      expect(res[k].trades).toBe(0);
      expect(res[k].totalReturn).toBe(0);
      expect(res[k].sharpe).toBe(0);
      expect(res[k].maxDrawdown).toBe(0);
      expect(res[k].exposure).toBe(0);
      expect(res[k].hitRate).toBeNaN();
    }
    expect(res.equity.model.every((v) => v === 1)).toBe(true);
  });

  it('costs reduce the log return by exactly 2·cost per period with trades', () => {
    const m = market();
    const rng = new Rng(9);
    const sig = new Float32Array(m.time.length).map(() => (rng.next() < 0.3 ? 0 : rng.normal()));
    const free = runBacktest({ ...m, modelSignal: sig }, { costBps: 0 });
    const paid = runBacktest({ ...m, modelSignal: sig }, { costBps: 2.5 });
    const periodsWithTrades = free.model.activePeriods * free.equity.time.length;
    expect(paid.model.trades).toBe(free.model.trades);
    expect(free.model.logReturn - paid.model.logReturn).toBeCloseTo(2 * 2.5e-4 * periodsWithTrades, 12);
    // Buy and hold never pays costs.
    expect(paid.buyHold.logReturn).toBe(free.buyHold.logReturn);
  });

  it('threshold: only |signal| > threshold trades', () => {
    const m = market(1, 10, 2);
    const sig = new Float32Array(m.time.length).map((_, i) => (i % 2 ? 0.001 : 0.003));
    const res = runBacktest({ ...m, modelSignal: sig }, { threshold: 0.002, costBps: 0 });
    expect(res.model.trades).toBe(m.time.length / 2);
    expect(res.model.exposure).toBeCloseTo(0.5, 12);
  });

  it('avwap-reversion is the mirror of avwap-trend (without costs)', () => {
    const m = market();
    const rng = new Rng(4);
    const base = new Float32Array(m.time.length).map(() => rng.normal() * 0.01);
    const trend = runBacktest({ ...m, baselineSignal: base }, { costBps: 0, baselineRule: 'avwap-trend' });
    const rev = runBacktest({ ...m, baselineSignal: base }, { costBps: 0, baselineRule: 'avwap-reversion' });
    expect(rev.baseline.logReturn).toBeCloseTo(-trend.baseline.logReturn, 12);
    expect(rev.baseline.longs).toBe(trend.baseline.shorts);
  });

  it('annualizes Sharpe with 252 × sample times per session', () => {
    const m = market(3, 26, 2, 5);
    const res = runBacktest({ ...m, modelSignal: new Float32Array(m.time.length).fill(1) }, { costBps: 0 });
    expect(res.annualization).toEqual({ periodsPerSession: 26, sessionsPerYear: 252, periodsPerYear: 26 * 252 });
    // Long everything: R_t = mean over the 2 tickers.
    const R: number[] = [];
    for (let i = 0; i < m.time.length; i += 2) R.push((m.forwardReturn[i] + m.forwardReturn[i + 1]) / 2);
    const mean = R.reduce((a, b) => a + b) / R.length;
    const sd = Math.sqrt(R.reduce((a, b) => a + (b - mean) ** 2, 0) / (R.length - 1));
    expect(res.model.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(26 * 252), 8);
    expect(res.model.sharpe).toBeCloseTo(res.buyHold.sharpe, 12);
    expect(runBacktest(m, { periodsPerYear: 100 }).annualization.periodsPerYear).toBe(100);
    expect(res.overlap).toBe(1);
    expect(runBacktest({ ...m, horizonMinutes: 30 }).overlap).toBe(2);
  });

  it('periodsPerSession takes the median count per UTC day', () => {
    const day = 86_400_000;
    const times = Float64Array.from([0, 1, 2, day, day + 1, 2 * day, 2 * day + 1, 2 * day + 2, 2 * day + 3].map((x) => T0 + x * (x < day ? MIN : 1)));
    expect(periodsPerSession(times)).toBe(3);
  });

  it('skips samples with a non-finite forward return or signal, and rejects mismatched lengths', () => {
    const m = market(1, 4, 2);
    const r = Float32Array.from(m.forwardReturn);
    r[0] = Number.NaN;
    const sig = new Float32Array(m.time.length).fill(1);
    sig[1] = Number.NaN;
    const res = runBacktest({ ...m, forwardReturn: r, modelSignal: sig }, { costBps: 0 });
    expect(res.model.trades).toBe(m.time.length - 2);
    expect(Number.isFinite(res.model.totalReturn)).toBe(true);
    expect(() => runBacktest({ ...m, modelSignal: new Float32Array(3) })).toThrow(/modelSignal has 3 values/);
  });
});
