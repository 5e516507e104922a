import { describe, expect, it } from 'vitest';
import { sessionsEnding } from '../../src/data/calendar.js';
import { fingerprintPanel } from '../../src/data/fingerprint.js';
import type { Panel } from '../../src/data/panel.js';
import { SyntheticProvider, regimeFor, tickerProfile } from '../../src/data/providers/synthetic.js';

const col = (p: Panel, field: 'open' | 'high' | 'low' | 'close' | 'volume', n: number) => {
  const out = new Float64Array(p.T);
  for (let t = 0; t < p.T; t++) out[t] = p[field][t * p.N + n];
  return out;
};

function corr(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('synthetic provider', () => {
  const provider = new SyntheticProvider(7);
  const sessions = sessionsEnding('2026-10-30', 20);

  it('is deterministic and composes across batches and date ranges', async () => {
    const a = await provider.fetch({ tickers: ['AAPL', 'MSFT', 'NVDA'], sessions });
    const sub = sessionsEnding(sessions[12].date, 5); // sessions 8..12
    const b = await new SyntheticProvider(7).fetch({ tickers: ['MSFT'], sessions: sub });
    const off = sessions[8].start;
    for (let t = 0; t < b.T; t++) {
      expect(b.close[t]).toBe(a.close[(off + t) * 3 + 1]);
      expect(b.volume[t]).toBe(a.volume[(off + t) * 3 + 1]);
      expect(b.mask[t]).toBe(a.mask[(off + t) * 3 + 1]);
    }
    const again = await provider.fetch({ tickers: ['AAPL', 'MSFT', 'NVDA'], sessions });
    expect(fingerprintPanel(again)).toBe(fingerprintPanel(a));
    const other = await new SyntheticProvider(8).fetch({ tickers: ['AAPL', 'MSFT', 'NVDA'], sessions });
    expect(fingerprintPanel(other)).not.toBe(fingerprintPanel(a));
  });

  it('produces valid bars on the session grid', async () => {
    const p = await provider.fetch({ tickers: ['AAPL', 'ZZZT', 'SPY'], sessions });
    expect(p.T).toBe(sessions.reduce((s, x) => s + x.bars, 0));
    for (let i = 0; i < p.T * p.N; i++) {
      expect(p.low[i]).toBeGreaterThan(0);
      expect(p.high[i]).toBeGreaterThanOrEqual(Math.max(p.open[i], p.close[i]));
      expect(p.low[i]).toBeLessThanOrEqual(Math.min(p.open[i], p.close[i]));
      expect(p.volume[i]).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(p.close[i])).toBe(true);
      if (p.mask[i] === 0) {
        expect(p.volume[i]).toBe(0);
        const prev = i - p.N;
        expect(prev).toBeGreaterThanOrEqual(0);
        expect(p.close[i]).toBe(p.close[prev]); // carried forward
        expect(p.open[i]).toBe(p.close[prev]);
      }
    }
  });

  it('looks like real minute data', async () => {
    const tickers = Array.from({ length: 40 }, (_, i) => `SYN${i}`);
    const sess = sessionsEnding('2026-10-30', 60);
    const p = await provider.fetch({ tickers, sessions: sess });
    const N = p.N;
    // U-shaped volume.
    const byMinute = new Float64Array(390);
    let missing = 0;
    let flat = 0;
    const gaps: number[] = [];
    const absR: number[] = [];
    const absRNext: number[] = [];
    let maxHalt = 0;
    for (let n = 0; n < N; n++) {
      let run = 0;
      for (let t = 0; t < p.T; t++) {
        const i = t * N + n;
        if (p.minuteOfSession[t] < 390 && p.sessions[p.sessionOfRow[t]].bars === 390) byMinute[p.minuteOfSession[t]] += p.volume[i] / (p.volume[i] > 0 ? 1 : 1);
        if (p.mask[i] === 0) {
          missing++;
          run++;
          maxHalt = Math.max(maxHalt, run);
        } else run = 0;
        if (p.mask[i] === 1 && p.volume[i] === 0) flat++;
        if (p.minuteOfSession[t] === 0 && t > 0) gaps.push(Math.abs(p.open[i] / p.close[i - N] - 1));
        if (t > 1 && p.minuteOfSession[t] > 1) {
          absR.push(Math.abs(Math.log(p.close[i - N] / p.close[i - 2 * N])));
          absRNext.push(Math.abs(Math.log(p.close[i] / p.close[i - N])));
        }
      }
    }
    const mean = (a: Float64Array, from: number, to: number) => a.slice(from, to).reduce((s, x) => s + x, 0) / (to - from);
    const open = mean(byMinute, 0, 30);
    const mid = mean(byMinute, 150, 240);
    const close = mean(byMinute, 360, 390);
    expect(open).toBeGreaterThan(1.8 * mid);
    expect(close).toBeGreaterThan(1.3 * mid);
    // Volatility clustering: |r_t| and |r_t+1| are positively correlated.
    expect(corr(absR, absRNext)).toBeGreaterThan(0.1);
    // Overnight gaps, some of at least 2 %.
    expect(gaps.filter((g) => g >= 0.02).length).toBeGreaterThan(5);
    expect(gaps.filter((g) => g >= 0.02).length / gaps.length).toBeLessThan(0.1);
    // Occasional missing minutes, flat zero-volume bars, a halt somewhere.
    const frac = missing / (p.T * N);
    expect(frac).toBeGreaterThan(0.001);
    expect(frac).toBeLessThan(0.05);
    expect(flat).toBeGreaterThan(0);
    expect(maxHalt).toBeGreaterThanOrEqual(5);
  });

  it('gives tickers different price levels and liquidity, independent of the seed', () => {
    const profiles = ['AAPL', 'MSFT', 'F', 'BRK.B', 'XYZW'].map(tickerProfile);
    const prices = new Set(profiles.map((p) => Math.round(p.logP0 * 10)));
    expect(prices.size).toBeGreaterThan(3);
    expect(new Set(profiles.map((p) => Math.round(Math.log10(p.adv) * 4))).size).toBeGreaterThan(2);
    expect(tickerProfile('AAPL')).toEqual(tickerProfile('AAPL'));
  });

  it('regimes persist for days', () => {
    const s = sessionsEnding('2026-10-30', 120);
    const regs = s.map((x) => regimeFor(7, 'AAPL', x.date));
    let changes = 0;
    for (let i = 1; i < regs.length; i++) if (regs[i] !== regs[i - 1]) changes++;
    expect(changes).toBeGreaterThan(5);
    expect(changes).toBeLessThan(regs.length / 2);
    expect(new Set(regs).size).toBe(4);
  });

  it('has the documented mild predictability (VWAP reversion in range, momentum in trend)', async () => {
    const tickers = Array.from({ length: 30 }, (_, i) => `PRD${i}`);
    const sess = sessionsEnding('2026-10-30', 40);
    const p = await provider.fetch({ tickers, sessions: sess });
    const dev: number[] = [];
    const nextR: number[] = [];
    const mom: number[] = [];
    const nextT: number[] = [];
    for (let n = 0; n < p.N; n++) {
      const c = col(p, 'close', n);
      const v = col(p, 'volume', n);
      for (const s of p.sessions) {
        const reg = regimeFor(7, tickers[n], s.date);
        let pv = 0;
        let vs = 0;
        for (let m = 0; m < s.bars - 1; m++) {
          const t = s.start + m;
          pv += v[t] * Math.log(c[t]);
          vs += v[t];
          if (m < 10 || vs === 0) continue;
          const r = Math.log(c[t + 1] / c[t]);
          if (reg === 'range') {
            dev.push(Math.log(c[t]) - pv / vs);
            nextR.push(r);
          } else if (reg === 'trend_up' || reg === 'trend_down') {
            mom.push(Math.log(c[t] / c[t - 5]));
            nextT.push(r);
          }
        }
      }
    }
    const cr = corr(dev, nextR);
    const cm = corr(mom, nextT);
    expect(cr).toBeLessThan(-0.02);
    expect(cr).toBeGreaterThan(-0.3);
    expect(cm).toBeGreaterThan(0.01);
    expect(cm).toBeLessThan(0.3);
  });
});
