import { describe, expect, it } from 'vitest';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { sessionsEnding } from '../../src/data/calendar.js';
import type { Panel } from '../../src/data/panel.js';
import { computeIndicators } from '../../src/indicators/index.js';
import { avwapStrategy, emaCrossStrategy, indicatorPlanes, rsiReversionStrategy, strategyFromSpec, type Strategy } from '../../src/backtest/index.js';

const panel: Panel = await new SyntheticProvider(7).fetch({ tickers: ['AAPL', 'MSFT', 'XYZ', 'IWM'], sessions: sessionsEnding('2026-10-30', 6) });
const ALL = ['AVWAP_SESSION', 'AVWAP_SESSION_SLOPE5', 'AVWAP_SESSION_U1', 'AVWAP_SESSION_L1', 'AVWAP_SESSION_U2', 'AVWAP_SESSION_L2', 'RSI_14', 'EMA_9', 'EMA_21'];
const planes = indicatorPlanes(computeIndicators(panel, { names: ALL }));
const { T, N, close, mask } = panel;
const run = (s: Strategy) => s.positions({ panel, indicators: planes }) as Float32Array;
const lastRows = new Set(panel.sessions.map((s) => s.start + s.bars - 1));

describe('strategies', () => {
  it('avwap: enters only on a reclaim of a rising AVWAP below U1; holds only at or above AVWAP and below U2', () => {
    const pos = run(avwapStrategy());
    const v = planes.get('AVWAP_SESSION');
    const slope = planes.get('AVWAP_SESSION_SLOPE5');
    const u1 = planes.get('AVWAP_SESSION_U1');
    const u2 = planes.get('AVWAP_SESSION_U2');
    let entries = 0;
    for (let t = 0; t < T; t++) {
      const m = panel.minuteOfSession[t];
      for (let n = 0; n < N; n++) {
        const i = t * N + n;
        if (lastRows.has(t)) expect(pos[i]).toBe(0);
        expect([0, 1]).toContain(pos[i]);
        const prev = m === 0 ? 0 : pos[i - N];
        if (pos[i] === 1 && prev === 0) {
          entries++;
          expect(mask[i]).toBe(1);
          expect(m).toBeGreaterThanOrEqual(5);
          expect(close[i - N]).toBeLessThanOrEqual(v[i - N]);
          expect(close[i]).toBeGreaterThan(v[i]);
          expect(slope[i]).toBeGreaterThan(0);
          expect(close[i]).toBeLessThanOrEqual(u1[i]);
        }
        if (pos[i] === 1 && mask[i] === 1) {
          expect(close[i]).toBeGreaterThanOrEqual(v[i]);
          expect(close[i]).toBeLessThan(u2[i]);
        }
        // Every qualifying reclaim while flat is taken.
        const window = m >= 5 && m < panel.sessions[panel.sessionOfRow[t]].bars - 15;
        if (prev === 0 && window && mask[i] === 1 && close[i - N] <= v[i - N] && close[i] > v[i] && slope[i] > 0 && close[i] <= u1[i]) expect(pos[i]).toBe(1);
      }
    }
    expect(entries).toBeGreaterThan(20);
  });

  it('rsi-reversion: long below 30 until RSI is back at 50, short above 70', () => {
    const pos = run(rsiReversionStrategy());
    const rsi = planes.get('RSI_14');
    let longs = 0;
    for (let t = 1; t < T; t++) {
      for (let n = 0; n < N; n++) {
        const i = t * N + n;
        if (lastRows.has(t)) {
          expect(pos[i]).toBe(0);
          continue;
        }
        if (mask[i] !== 1) continue;
        if (pos[i] === 1) {
          longs++;
          expect(rsi[i]).toBeLessThan(50);
        }
        if (pos[i] === -1) expect(rsi[i]).toBeGreaterThan(50);
        const first = panel.minuteOfSession[t] === 0;
        if ((first || pos[i - N] === 0) && pos[i] === 1) expect(rsi[i]).toBeLessThan(30);
      }
    }
    expect(longs).toBeGreaterThan(0);
  });

  it('ema-cross: the sign of EMA_9 − EMA_21, flat on the last bar', () => {
    const pos = run(emaCrossStrategy());
    const f = planes.get('EMA_9');
    const s = planes.get('EMA_21');
    for (let i = 0; i < T * N; i++) {
      const t = Math.floor(i / N);
      expect(pos[i]).toBe(lastRows.has(t) ? 0 : f[i] > s[i] ? 1 : f[i] < s[i] ? -1 : 0);
    }
  });

  it('strategies are causal: changing bars after row k leaves targets up to k unchanged', async () => {
    const k = 700;
    const other = await new SyntheticProvider(99).fetch({ tickers: panel.tickers, sessions: sessionsEnding('2026-10-30', 6) });
    const p2: Panel = { ...panel };
    for (const f of ['open', 'high', 'low', 'close', 'volume', 'mask'] as const) {
      const a = panel[f].slice();
      a.set(other[f].subarray((k + 1) * N), (k + 1) * N);
      (p2 as unknown as Record<string, unknown>)[f] = a;
    }
    const planes2 = indicatorPlanes(computeIndicators(p2, { names: ALL }));
    for (const spec of ['avwap', 'rsi-reversion', 'ema-cross'] as const) {
      const s = strategyFromSpec(spec);
      const a = (await s.positions({ panel, indicators: planes })).subarray(0, (k + 1) * N);
      const b = (await s.positions({ panel: p2, indicators: planes2 })).subarray(0, (k + 1) * N);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('specs: labels, params, flatAtClose overrides and clear errors', () => {
    const s = strategyFromSpec({ name: 'avwap', label: 'avwap-loose', params: { requireRising: false, entryBand: 0, takeProfitBand: 3 } });
    expect(s.name).toBe('avwap-loose');
    expect(s.indicators).toEqual(['AVWAP_SESSION', 'AVWAP_SESSION_SLOPE5', 'AVWAP_SESSION_U3', 'AVWAP_SESSION_L3']);
    expect(strategyFromSpec('buy-and-hold').flatAtClose).toBe(false);
    expect(strategyFromSpec({ name: 'buy-and-hold', flatAtClose: true }).flatAtClose).toBe(true);
    expect(() => strategyFromSpec('model')).toThrow(/needs a model/);
    expect(() => strategyFromSpec('macd' as never)).toThrow(/unknown strategy "macd"; built-ins are avwap/);
  });
});
