import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/data/random.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { sessionsBetween } from '../../src/data/calendar.js';
import { runVectorizedBacktest, indicatorPlanes, type BarModel } from '../../src/backtest/index.js';
import { computeIndicators } from '../../src/indicators/index.js';

const symbols = ['AAPL', 'MSFT', 'NVDA', 'XYZ', 'IWM'];
const range = { start: '2026-10-12', end: '2026-10-23' };

describe('runVectorizedBacktest', () => {
  it('runs the named strategies over provider bars, computing only the indicators they need', async () => {
    const r = await runVectorizedBacktest({ symbols, ...range, strategy: ['avwap', 'rsi-reversion', 'buy-and-hold'], costs: { commissionBps: 0.5, slippageBps: 1 } });
    expect(r.sessions.map((s) => s.date)).toEqual(sessionsBetween(range.start, range.end).map((s) => s.date));
    expect(r.strategies.map((s) => s.name)).toEqual(['avwap', 'rsi-reversion', 'buy-and-hold']);
    expect(r.indicators).toEqual(['AVWAP_SESSION', 'AVWAP_SESSION_U1', 'AVWAP_SESSION_L1', 'AVWAP_SESSION_U2', 'AVWAP_SESSION_L2', 'AVWAP_SESSION_SLOPE5', 'RSI_14']);
    expect(r.comparison?.a).toBe('avwap');
    expect(r.comparison?.b).toBe('rsi-reversion');
    expect(r.comparison?.verdict).toMatch(/^(avwap beats rsi-reversion|rsi-reversion beats avwap|no significant difference) at 95%$/);
    for (const s of r.strategies) {
      expect(s.perTicker.map((x) => x.ticker)).toEqual(symbols);
      expect(s.equity.length).toBe(r.time.length);
      expect(s.dayReturn.length).toBe(r.sessions.length);
      expect(s.overall.totalReturn).toBeCloseTo(s.equity[s.equity.length - 1] - 1, 12);
    }
  });

  it('buy-and-hold equals the equal-weight hold of each ticker from its first fillable open to the last close, after costs', async () => {
    const costs = { commissionBps: 2, slippageBps: 3 };
    const r = await runVectorizedBacktest({ symbols, ...range, strategy: 'buy-and-hold', costs, compare: false });
    const panel = await new SyntheticProvider(7).fetch({ tickers: symbols, sessions: sessionsBetween(range.start, range.end) });
    const rate = 5e-4;
    let sum = 0;
    for (let n = 0; n < symbols.length; n++) {
      let t = 1;
      while (panel.mask[t * panel.N + n] !== 1) t++;
      const growth = panel.close[(panel.T - 1) * panel.N + n] / panel.open[t * panel.N + n];
      const sleeve = growth * (1 - rate) - rate;
      expect(r.strategies[0].perTicker[n].totalReturn).toBeCloseTo(sleeve - 1, 12);
      sum += sleeve;
    }
    expect(r.strategies[0].overall.totalReturn).toBeCloseTo(sum / symbols.length - 1, 12);
    expect(r.strategies[0].overall.trades).toBe(symbols.length);
    expect(r.comparison).toBeUndefined();
  });

  it('ticker batches do not change the results', async () => {
    const opts = { symbols, ...range, strategy: ['ema-cross', 'avwap'] as const, sizing: { direction: 'long-short' as const, maxWeight: 0.1 }, costs: { volumeSlippageBps: 10 } };
    const a = await runVectorizedBacktest({ ...opts, strategy: [...opts.strategy], batchSize: 2 });
    const b = await runVectorizedBacktest({ ...opts, strategy: [...opts.strategy], batchSize: 50 });
    for (let k = 0; k < 2; k++) {
      expect(a.strategies[k].perTicker).toEqual(b.strategies[k].perTicker);
      for (const key of Object.keys(a.strategies[k].overall) as (keyof typeof a.strategies[0]['overall'])[]) expect(a.strategies[k].overall[key]).toBeCloseTo(b.strategies[k].overall[key], 10);
    }
    expect(a.comparison!.verdict).toBe(b.comparison!.verdict);
  });

  describe('model strategies (A = model, C = model-all) through the BarModel callback', () => {
    // A cheating "model" that predicts bar t+1's open→close move at bar t, and a shuffled copy.
    const oracle = (shuffleSeed?: number): BarModel & { calls: string[] } => {
      const calls: string[] = [];
      return {
        calls,
        indicators: ['AVWAP_SESSION'],
        predict({ panel, indicators, selection }) {
          calls.push(selection);
          expect(indicators.has('AVWAP_SESSION')).toBe(true);
          const { T, N, open, close } = panel;
          const pred = new Float32Array(T * N).fill(NaN);
          for (let i = 0; i < (T - 1) * N; i++) pred[i] = close[i + N] / open[i + N] - 1;
          if (shuffleSeed !== undefined) {
            const rng = new Rng(shuffleSeed);
            for (let i = pred.length - 1; i > 0; i--) {
              const j = rng.int(0, i);
              [pred[i], pred[j]] = [pred[j], pred[i]];
            }
          }
          return pred;
        },
      };
    };
    const base = { symbols, start: '2026-09-01', end: '2026-10-30', costs: { commissionBps: 0, slippageBps: 0 }, sizing: { direction: 'long-short' as const } };

    it('wires selection and the A − B comparison; foresight shows, so the plumbing is real', async () => {
      const m = oracle();
      const r = await runVectorizedBacktest({ ...base, strategy: ['avwap', 'model', 'model-all'], model: m });
      expect(m.calls).toEqual(['selected', 'all']);
      expect(r.comparison!.a).toBe('model');
      expect(r.comparison!.b).toBe('avwap');
      expect(r.strategies[1].overall.sharpe).toBeGreaterThan(20);
      expect(r.comparison!.verdict).toBe('model beats avwap at 95%');
    });

    it('shuffled-label models give Sharpe ≈ 0 across seeds', async () => {
      const sharpes: number[] = [];
      for (let seed = 1; seed <= 8; seed++) {
        const r = await runVectorizedBacktest({ ...base, strategy: 'model', model: oracle(seed), compare: false });
        sharpes.push(r.strategies[0].overall.sharpe);
      }
      const mean = sharpes.reduce((s, x) => s + x, 0) / sharpes.length;
      // ~42 sessions: one run's annualized Sharpe has a standard error of about √(252/42) ≈ 2.4.
      expect(Math.abs(mean)).toBeLessThan(2.5);
      for (const s of sharpes) expect(Math.abs(s)).toBeLessThan(8);
    });
  });

  describe('trading from a time on (tradeFrom), with history before it for warm-up', () => {
    const all = sessionsBetween('2026-10-12', '2026-10-23');
    const from = all[3].openMs + 47 * 60_000; // 47 minutes into the fourth session

    it('starts the results at the session holding tradeFrom, flat until the bar after it; buy-and-hold by hand', async () => {
      const costs = { commissionBps: 2, slippageBps: 3 };
      const r = await runVectorizedBacktest({ symbols, ...range, strategy: ['buy-and-hold', 'avwap'], costs, tradeFrom: from, compare: false });
      expect(r.sessions.map((s) => s.date)).toEqual(all.slice(3).map((s) => s.date));
      const rf = Array.from(r.time).findIndex((t) => t >= from);
      expect(rf).toBe(47);
      for (const s of r.strategies) for (let t = 0; t <= rf; t++) expect(s.equity[t]).toBe(1);
      const panel = await new SyntheticProvider(7).fetch({ tickers: symbols, sessions: sessionsBetween(range.start, range.end) });
      const rate = 5e-4;
      const row0 = all[3].start;
      let sum = 0;
      for (let n = 0; n < symbols.length; n++) {
        let t = row0 + rf + 1;
        while (panel.mask[t * panel.N + n] !== 1) t++;
        sum += (panel.close[(panel.T - 1) * panel.N + n] / panel.open[t * panel.N + n]) * (1 - rate) - rate;
      }
      expect(r.strategies[0].overall.totalReturn).toBeCloseTo(sum / symbols.length - 1, 12);
      expect(r.strategies[0].overall.sessions).toBe(all.length - 3);
    });

    it('strategies see the bars before tradeFrom (indicators warmed up), unlike a run that starts there', async () => {
      // The same sessions, once with three sessions of history and once without: EMA cross
      // positions on the first traded session differ because the EMAs start from different data.
      const warm = await runVectorizedBacktest({ symbols, ...range, strategy: 'ema-cross', tradeFrom: all[3].openMs, compare: false });
      const cold = await runVectorizedBacktest({ symbols, start: all[3].date, end: range.end, strategy: 'ema-cross', compare: false });
      expect(warm.sessions).toEqual(cold.sessions);
      expect(warm.strategies[0].overall.totalReturn).not.toBe(cold.strategies[0].overall.totalReturn);
      // warmupSessions does the same through the provider: identical to the explicit tradeFrom run.
      const viaOption = await runVectorizedBacktest({ symbols, start: all[3].date, end: range.end, warmupSessions: 3, strategy: 'ema-cross', compare: false });
      expect(viaOption.sessions).toEqual(warm.sessions);
      expect(viaOption.strategies[0].overall).toEqual(warm.strategies[0].overall);
    });

    it('batches with indicators already computed give the same results as computing them; missing ones are computed', async () => {
      const sessions = sessionsBetween(range.start, range.end);
      const provider = new SyntheticProvider(7);
      const a = await provider.fetch({ tickers: symbols.slice(0, 3), sessions: sessions.map((s) => ({ ...s })) });
      const b = await provider.fetch({ tickers: symbols.slice(3), sessions: sessions.map((s) => ({ ...s })) });
      // Only some of what avwap + rsi-reversion read; the rest must be computed per batch.
      const some = (p: typeof a) => indicatorPlanes(computeIndicators(p, { names: ['AVWAP_SESSION', 'RSI_14'] }));
      const opts = { symbols, strategy: ['avwap', 'rsi-reversion'] as ('avwap' | 'rsi-reversion')[], tradeFrom: from };
      const given = await runVectorizedBacktest({ ...opts, batches: (async function* () { yield { panel: a, indicators: some(a) }; yield { panel: b, indicators: some(b) }; })() });
      const computed = await runVectorizedBacktest({ ...opts, panels: [a, b] });
      for (let k = 0; k < 2; k++) {
        expect(given.strategies[k].overall).toEqual(computed.strategies[k].overall);
        expect(given.strategies[k].perTicker).toEqual(computed.strategies[k].perTicker);
      }
      expect(given.comparison!.verdict).toBe(computed.comparison!.verdict);
    });

    it('says so when tradeFrom lies after the bars', async () => {
      await expect(runVectorizedBacktest({ symbols, ...range, strategy: 'avwap', tradeFrom: '2027-01-01T00:00:00Z' })).rejects.toThrow(/no bar at or after tradeFrom/);
    });
  });

  it('rejects bad input with what to change', async () => {
    await expect(runVectorizedBacktest({ symbols: [], days: 2, strategy: 'avwap' })).rejects.toThrow(/symbols/);
    await expect(runVectorizedBacktest({ symbols, strategy: 'avwap' })).rejects.toThrow(/start.*days/);
    await expect(runVectorizedBacktest({ symbols, days: 2, strategy: ['avwap', 'avwap'] })).rejects.toThrow(/label/);
    await expect(runVectorizedBacktest({ symbols, days: 2, strategy: 'avwap', costs: { slippageBps: -1 } })).rejects.toThrow(/slippageBps/);
    await expect(runVectorizedBacktest({ symbols, days: 2, strategy: ['avwap', 'buy-and-hold'], compare: { a: 'model' } })).rejects.toThrow(/compare/);
  });
});
