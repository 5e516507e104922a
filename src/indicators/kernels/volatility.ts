/** Volatility family: TRANGE/ATR/NATR, Bollinger/Keltner/squeeze, Donchian, RV/Parkinson/GK, RANGE_PCT. */
import type { KernelDef } from '../engine.js';
import { Ema, RollExt, RollSum, Wilder } from './util.js';

/** TRANGE, ATR_14 (Wilder, TA-Lib seed), NATR_14; provides the ATR14 series. */
export const atr: KernelDef = {
  id: 'atr',
  outputs: ['TRANGE', 'ATR_14', 'NATR_14'],
  provides: ['ATR14'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c } = ctx;
    const oT = ctx.col('TRANGE'), oA = ctx.col('ATR_14'), oN = ctx.col('NATR_14');
    const S = ctx.series('ATR14');
    const w = new Wilder(N, 14, 1);
    const tr = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        if (t === 0) {
          S.fill(NaN, 0, N);
          continue;
        }
        for (let n = 0; n < N; n++) {
          const i = base + n, pc = c[i - N];
          const x = (h[i] > pc ? h[i] : pc) - (l[i] < pc ? l[i] : pc);
          tr[n] = x;
          if (oT) oT[(lo + n) * FS] = x;
        }
        w.update(t, tr, 0);
        if (t < 14) {
          S.fill(NaN, base, base + N);
          continue;
        }
        const y = w.y;
        for (let n = 0; n < N; n++) {
          S[base + n] = y[n];
          if (oA) oA[(lo + n) * FS] = y[n];
          if (oN) {
            const cc = c[base + n];
            oN[(lo + n) * FS] = cc > -1e-14 && cc < 1e-14 ? 0 : (100 * y[n]) / cc;
          }
        }
      }
    };
  },
};

/**
 * BB(20,2) upper/lower/width/%b (population σ over 20 closes, TA-Lib), KC(20,2) on EMA20(c) and
 * EMA20(TR), and the squeeze: SQZ_ON = BB(20,2) inside KC(20,1.5) built on SMA20(c) ± 1.5·SMA20(TR);
 * SQZ_MOM = SMA6(c − c₋₁₂). Degenerate bands (U = L): %b = 0.5.
 */
export const bands: KernelDef = {
  id: 'bands',
  outputs: ['SQZ_MOM', 'SQZ_ON', 'BB_UPPER_20_2', 'BB_LOWER_20_2', 'BB_WIDTH_20', 'BB_PCTB_20', 'KC_UPPER_20_2', 'KC_LOWER_20_2'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c } = ctx;
    const oMom = ctx.col('SQZ_MOM'), oOn = ctx.col('SQZ_ON');
    const oBU = ctx.col('BB_UPPER_20_2'), oBL = ctx.col('BB_LOWER_20_2'), oBW = ctx.col('BB_WIDTH_20'), oBP = ctx.col('BB_PCTB_20');
    const oKU = ctx.col('KC_UPPER_20_2'), oKL = ctx.col('KC_LOWER_20_2');
    const needBB = !!(oBU || oBL || oBW || oBP || oOn);
    const needTR = !!(oKU || oKL || oOn);
    const s = new RollSum(N, 20, 0), s2 = new RollSum(N, 20, 0), str = new RollSum(N, 20, 1);
    const ec = new Ema(N, 20, 0), etr = new Ema(N, 20, 1);
    const mom = new RollSum(N, 6, 12);
    const sq = new Float64Array(N), tr = new Float64Array(N), m = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        if (needBB) {
          for (let n = 0; n < N; n++) {
            const x = c[base + n];
            sq[n] = x * x;
          }
          s.update(t, c, base);
          s2.update(t, sq, 0);
        }
        if (oKU || oKL) ec.update(t, c, base);
        if (needTR && t >= 1) {
          for (let n = 0; n < N; n++) {
            const i = base + n, pc = c[i - N];
            tr[n] = (h[i] > pc ? h[i] : pc) - (l[i] < pc ? l[i] : pc);
          }
          if (oOn) str.update(t, tr, 0);
          if (oKU || oKL) etr.update(t, tr, 0);
        }
        if (oMom && t >= 12) {
          for (let n = 0; n < N; n++) m[n] = c[base + n] - c[base - 12 * N + n];
          mom.update(t, m, 0);
          if (t >= 17) for (let n = 0; n < N; n++) oMom[(lo + n) * FS] = mom.sum[n] / 6;
        }
        if (t >= 19 && needBB) {
          for (let n = 0; n < N; n++) {
            const mean = s.sum[n] / 20;
            const va = s2.sum[n] / 20 - mean * mean;
            const sd = va > 0 ? Math.sqrt(va) : 0;
            const U = mean + 2 * sd, L = mean - 2 * sd;
            const j = lo + n;
            if (oBU) oBU[(j) * FS] = U;
            if (oBL) oBL[(j) * FS] = L;
            if (oBW) oBW[(j) * FS] = (U - L) / mean;
            if (oBP) oBP[(j) * FS] = U > L ? (c[base + n] - L) / (U - L) : 0.5;
            if (oOn && t >= 20) {
              const r = (1.5 * str.sum[n]) / 20;
              oOn[(j) * FS] = U < mean + r && L > mean - r ? 1 : 0;
            }
          }
        }
        if (t >= 20 && (oKU || oKL)) {
          for (let n = 0; n < N; n++) {
            const mid = ec.y[n], r = 2 * etr.y[n];
            if (oKU) oKU[(lo + n) * FS] = mid + r;
            if (oKL) oKL[(lo + n) * FS] = mid - r;
          }
        }
      }
    };
  },
};

/** DONCH_HIGH_20 / DONCH_LOW_20: rolling max high / min low over 20 bars. */
export const donchian: KernelDef = {
  id: 'donchian',
  outputs: ['DONCH_HIGH_20', 'DONCH_LOW_20'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l } = ctx;
    const oH = ctx.col('DONCH_HIGH_20'), oL = ctx.col('DONCH_LOW_20');
    const hh = new RollExt(N, 20, 0, true), ll = new RollExt(N, 20, 0, false);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        if (oH) hh.update(t, h, base);
        if (oL) ll.update(t, l, base);
        if (t < 19) continue;
        for (let n = 0; n < N; n++) {
          if (oH) oH[(lo + n) * FS] = hh.v[n];
          if (oL) oL[(lo + n) * FS] = ll.v[n];
        }
      }
    };
  },
};

/**
 * RV_30 (population σ of 1-bar log returns, 30 returns, from bar 30), PARKINSON_30, GK_30
 * (max(·, 0) under the root), RANGE_PCT.
 */
export const rangeVol: KernelDef = {
  id: 'range-vol',
  outputs: ['RV_30', 'PARKINSON_30', 'GK_30', 'RANGE_PCT'],
  needs: ['LR1'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, o, h, l, c } = ctx;
    const LR1 = ctx.series('LR1');
    const oRV = ctx.col('RV_30'), oP = ctx.col('PARKINSON_30'), oG = ctx.col('GK_30'), oR = ctx.col('RANGE_PCT');
    const r1 = new RollSum(N, 30, 1), r2 = new RollSum(N, 30, 1), pk = new RollSum(N, 30, 0), gk = new RollSum(N, 30, 0);
    const a = new Float64Array(N), b = new Float64Array(N), p = new Float64Array(N), g = new Float64Array(N);
    const LN2 = Math.LN2, PK = 1 / (4 * LN2 * 30), GKC = 2 * LN2 - 1;
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          if (oP || oG) {
            const hl = Math.log(h[i] / l[i]);
            const co = Math.log(c[i] / o[i]);
            p[n] = hl * hl;
            g[n] = 0.5 * hl * hl - GKC * co * co;
          }
          if (oR) oR[(lo + n) * FS] = (100 * (h[i] - l[i])) / c[i];
          if (oRV && t >= 1) {
            const r = LR1[i];
            a[n] = r;
            b[n] = r * r;
          }
        }
        if (oP) pk.update(t, p, 0);
        if (oG) gk.update(t, g, 0);
        if (oRV && t >= 1) {
          r1.update(t, a, 0);
          r2.update(t, b, 0);
        }
        if (t >= 29)
          for (let n = 0; n < N; n++) {
            if (oP) oP[(lo + n) * FS] = Math.sqrt(pk.sum[n] * PK);
            if (oG) {
              const x = gk.sum[n] / 30;
              oG[(lo + n) * FS] = x > 0 ? Math.sqrt(x) : 0;
            }
            if (oRV && t >= 30) {
              const m = r1.sum[n] / 30;
              const va = r2.sum[n] / 30 - m * m;
              oRV[(lo + n) * FS] = va > 0 ? Math.sqrt(va) : 0;
            }
          }
      }
    };
  },
};

export const VOLATILITY_KERNELS: KernelDef[] = [atr, bands, donchian, rangeVol];
