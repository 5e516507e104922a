/**
 * No look-ahead (perturb-the-future over all 111), warm-up (leading NaNs = documented lookback),
 * and AVWAP-family properties (anchor resets, bands, Z rule, event anchors known only when
 * they could be known).
 */
import { describe, expect, it } from 'vitest';
import type { Panel } from '../../src/data/panel.js';
import { computeIndicators, INDICATOR_NAMES, listIndicators } from '../../src/indicators/index.js';
import { mulberry32, series, synthPanel } from './fixtures.js';

function clonePanel(p: Panel): Panel {
  return {
    ...p,
    open: p.open.slice(), high: p.high.slice(), low: p.low.slice(), close: p.close.slice(), volume: p.volume.slice(), mask: p.mask.slice(),
    sessions: p.sessions.map((s) => ({ ...s })),
  };
}

/** Replaces every bar after row `cut` with different (valid) random bars. */
function perturbAfter(p: Panel, cut: number, seed: number, extreme = false): Panel {
  const q = clonePanel(p);
  const rnd = mulberry32(seed);
  for (let t = cut + 1; t < q.T; t++)
    for (let n = 0; n < q.N; n++) {
      const i = t * q.N + n;
      const base = q.close[i] * (1 + 0.05 * (rnd() - 0.5));
      const o = base * (1 + 0.01 * (rnd() - 0.5)), c = base * (1 + 0.01 * (rnd() - 0.5));
      q.open[i] = o;
      q.close[i] = c;
      // extreme: far higher highs, lower lows and larger volumes than anything before, so that any
      // peek at a later bar (pivot confirmation, running max, volume anchor) flips a decision
      q.high[i] = Math.max(o, c) * (extreme ? 1.5 : 1 + 0.01 * rnd());
      q.low[i] = Math.min(o, c) * (extreme ? 0.6 : 1 - 0.01 * rnd());
      q.volume[i] = extreme ? 1e8 * (1 + rnd()) : rnd() < 0.1 ? 0 : Math.round(1e5 * rnd() ** 3);
    }
  return q;
}

describe('no look-ahead', () => {
  const p = synthPanel({ N: 3, days: 4, seed: 21, halfDays: [1] });
  const base = computeIndicators(p);
  const F = base.F;
  // cut points: inside the opening range, a session's last bar, a first bar, a pivot's neighbourhood, late
  const cuts = [3, 14, 150, 209, 210, 215, 600, 989, 990, 1300].map((c) => [c, 0]);
  for (let c = 5; c < p.T - 1; c += 23) cuts.push([c, 1]);
  for (const [cut, extreme] of cuts) {
    it(`values at rows ≤ ${cut} do not change when every later bar changes (all 111${extreme ? ', extreme future' : ''})`, () => {
      const q = perturbAfter(p, cut, cut + 1, extreme === 1);
      const res = computeIndicators(q);
      const bad = new Map<string, number>();
      const upto = (cut + 1) * p.N * F;
      for (let i = 0; i < upto; i++) {
        const a = base.values[i], b = res.values[i];
        if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) {
          const name = INDICATOR_NAMES[i % F];
          bad.set(name, (bad.get(name) ?? 0) + 1);
        }
      }
      expect(Object.fromEntries(bad)).toEqual({});
      // and the perturbation is visible after the cut (the test can fail)
      let changed = 0;
      for (let i = upto; i < res.values.length; i++) if (!Object.is(base.values[i], res.values[i])) changed++;
      expect(changed).toBeGreaterThan(0);
    });
  }
});

function leadingNaNs(s: Float64Array): number {
  let k = 0;
  while (k < s.length && Number.isNaN(s[k])) k++;
  return k;
}

describe('warm-up = documented lookback', () => {
  for (const halfFirst of [false, true]) {
    it(`leading NaNs per indicator${halfFirst ? ' (first session an early close)' : ''}`, () => {
      const p = synthPanel({ N: 3, days: 7, seed: 4, missing: 0, flat: 0, halfDays: halfFirst ? [0] : [] });
      const res = computeIndicators(p);
      const errs: string[] = [];
      for (const info of listIndicators()) {
        let expected = info.warmup;
        // 'first-session' (and AVWAP_GAP's data-dependent minimum, which is the first session)
        if (info.warmupRule === 'first-session' || info.name === 'AVWAP_GAP') expected = p.sessions[0].bars;
        if (info.warmupRule === 'sessions') expected = p.sessions.slice(0, info.warmup / 390).reduce((a, s) => a + s.bars, 0);
        for (let n = 0; n < p.N; n++) {
          const got = leadingNaNs(series(res, info.name, n));
          const ok = info.warmupRule === 'data' ? got >= expected && got < p.T : got === expected;
          if (!ok) errs.push(`${info.name}[${n}]: ${got} leading NaNs, documented ${expected} (${info.warmupRule})`);
        }
      }
      expect(errs).toEqual([]);
    });
  }
});

/** A one-ticker panel from explicit bars (days of 390 bars; unspecified bars flat at 100, v=100). */
function handPanel(days: number, edit: (t: number) => Partial<{ o: number; h: number; l: number; c: number; v: number }> | undefined): Panel {
  const p = synthPanel({ N: 1, days, seed: 1, missing: 0, flat: 0 });
  for (let t = 0; t < p.T; t++) {
    const e = edit(t) ?? {};
    const c = e.c ?? 100;
    p.open[t] = e.o ?? c;
    p.close[t] = c;
    p.high[t] = e.h ?? Math.max(c, e.o ?? c) + 0.1;
    p.low[t] = e.l ?? Math.min(c, e.o ?? c) - 0.1;
    p.volume[t] = e.v ?? 100;
    p.mask[t] = 1;
  }
  return p;
}

describe('AVWAP family properties', () => {
  const p = synthPanel({ N: 4, days: 5, seed: 8 });
  const res = computeIndicators(p);
  const tp = (t: number, n: number) => (p.high[t * p.N + n] + p.low[t * p.N + n] + p.close[t * p.N + n]) / 3;

  it('AVWAP_SESSION resets at each 09:30 bar (anchor bar included: value = its tp, SD = 0)', () => {
    for (let n = 0; n < p.N; n++) {
      const a = series(res, 'AVWAP_SESSION', n), sd = series(res, 'AVWAP_SESSION_SD', n);
      for (const s of p.sessions) {
        expect(a[s.start]).toBeCloseTo(tp(s.start, n), 3);
        expect(sd[s.start]).toBe(0);
      }
    }
  });

  it('bands are symmetric: U_k − AVWAP = AVWAP − L_k = k·SD', () => {
    for (let n = 0; n < p.N; n++) {
      const a = series(res, 'AVWAP_SESSION', n), sd = series(res, 'AVWAP_SESSION_SD', n);
      for (const k of [1, 2, 3]) {
        const u = series(res, `AVWAP_SESSION_U${k}`, n), l = series(res, `AVWAP_SESSION_L${k}`, n);
        for (let t = 0; t < p.T; t++) {
          const tol = 1e-4 * a[t];
          expect(Math.abs(u[t] - a[t] - k * sd[t])).toBeLessThan(tol);
          expect(Math.abs(a[t] - l[t] - k * sd[t])).toBeLessThan(tol);
        }
      }
    }
  });

  it('Z is NaN for the first 5 bars of a session and while SD < 1e-5·c; defined otherwise', () => {
    for (let n = 0; n < p.N; n++) {
      const z = series(res, 'AVWAP_SESSION_Z', n), sd = series(res, 'AVWAP_SESSION_SD', n);
      for (let t = 0; t < p.T; t++) {
        const k = p.minuteOfSession[t];
        const c = p.close[t * p.N + n];
        expect(Number.isNaN(z[t])).toBe(k < 5 || sd[t] < 1e-5 * c * (1 - 1e-6));
      }
    }
    // a flat session: SD = 0 everywhere, Z never defined
    const flat = handPanel(1, () => ({ c: 50, h: 50, l: 50 }));
    const r = computeIndicators(flat, { names: ['AVWAP_SESSION_Z', 'AVWAP_SESSION_SD'] });
    expect(series(r, 'AVWAP_SESSION_Z', 0).every(Number.isNaN)).toBe(true);
    expect(series(r, 'AVWAP_SESSION_SD', 0).every((x) => x === 0)).toBe(true);
  });

  it('Σv = 0 since the anchor: VWAP = anchor price, SD = 0', () => {
    const q = handPanel(2, (t) => (t >= 390 && t < 400 ? { c: 100 + (t - 390), v: 0 } : undefined));
    const r = computeIndicators(q, { names: ['AVWAP_SESSION', 'AVWAP_SESSION_SD'] });
    const a = series(r, 'AVWAP_SESSION', 0);
    for (let t = 390; t < 400; t++) expect(a[t]).toBeCloseTo(100, 4);
    expect(a[400]).toBeCloseTo(100, 4); // the first bar with volume (c = 100) sets it
  });

  it('AVWAP_DAILY spans the prior session and today; equals the session VWAP on the first session', () => {
    for (let n = 0; n < p.N; n++) {
      const d = series(res, 'AVWAP_DAILY', n), s = series(res, 'AVWAP_SESSION', n);
      for (let t = 0; t < 390; t++) expect(d[t]).toBe(s[t]);
      // at the second session's first bar: VWAP of session 0 + that bar
      const t = 390;
      let sv = 0, svp = 0;
      for (let q = 0; q <= t; q++) {
        sv += p.volume[q * p.N + n];
        svp += p.volume[q * p.N + n] * tp(q, n);
      }
      expect(d[t]).toBeCloseTo(svp / sv, 3);
    }
  });

  it('AVWAP_GAP: undefined until a ≥2% gap, then anchored at that 09:30 bar', () => {
    const q = handPanel(3, (t) => (t >= 780 ? { c: 103, o: 103 } : undefined)); // day 3 opens +3%
    const r = computeIndicators(q, { names: ['AVWAP_GAP'] });
    const g = series(r, 'AVWAP_GAP', 0);
    expect(g.slice(0, 780).every(Number.isNaN)).toBe(true);
    expect(g[780]).toBeCloseTo(103, 4); // tp of the anchor bar (h = c + 0.1, l = c − 0.1 → tp = c)
    expect(g[781]).toBeCloseTo(103, 4);
  });

  it('AVWAP_HVOL re-anchors on a new session volume high (the bar itself)', () => {
    const q = handPanel(1, (t) => (t === 100 ? { c: 110, v: 1e6 } : t > 100 ? { c: 90 } : undefined));
    const r = computeIndicators(q, { names: ['AVWAP_HVOL'] });
    const a = series(r, 'AVWAP_HVOL', 0);
    expect(a[99]).toBeCloseTo(100, 4);
    expect(a[100]).toBeCloseTo(110, 4);
    expect(a[101]).toBeCloseTo((110 * 1e6 + 90 * 100) / (1e6 + 100), 3);
  });

  it('AVWAP_SWING_HIGH moves to a pivot only 5 bars after it', () => {
    const P = 50;
    const q = handPanel(1, (t) => (t === P ? { c: 105, h: 106 } : t > P ? { c: 95 } : undefined));
    const r = computeIndicators(q, { names: ['AVWAP_SWING_HIGH'] });
    const a = series(r, 'AVWAP_SWING_HIGH', 0);
    expect(a.slice(0, P + 5).every(Number.isNaN)).toBe(true); // flat highs before: no pivot; P not yet confirmed
    // at P+5: anchored at P, includes P..P+5
    const tpP = (106 + 104.9 + 105) / 3;
    expect(a[P + 5]).toBeCloseTo((tpP + 5 * 95) / 6, 3);
  });
});
