/** Volume family: OBV/AD per session, ADOSC, MFI, CMF, EFI, volume SMA/RVOL/z, time-of-day RVOL, AMIHUD. */
import type { KernelDef } from '../engine.js';
import { Ema, RollSum } from './util.js';

const clv = (h: number, l: number, c: number) => {
  const r = h - l;
  return r > 0 ? (c - l - (h - c)) / r : 0;
};

/** OBV_SESSION, AD_SESSION (reset at 09:30; OBV starts at the first bar's volume, as TA-Lib), ADOSC_3_10 (continuous A/D, EMAs seeded with the first A/D value). */
export const obvAd: KernelDef = {
  id: 'obv-ad',
  outputs: ['OBV_SESSION', 'AD_SESSION', 'ADOSC_3_10'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, v, sessStart } = ctx;
    const oO = ctx.col('OBV_SESSION'), oA = ctx.col('AD_SESSION'), oX = ctx.col('ADOSC_3_10');
    const obv = new Float64Array(N), ad = new Float64Array(N), adc = new Float64Array(N);
    const fast = new Float64Array(N), slow = new Float64Array(N);
    const kf = 2 / 4, ks = 2 / 11;
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const first = sessStart[t] === t;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const vv = v[i];
          const x = clv(h[i], l[i], c[i]) * vv;
          if (first) {
            obv[n] = vv;
            ad[n] = x;
          } else {
            const d = c[i] - c[i - N];
            if (d > 0) obv[n] += vv;
            else if (d < 0) obv[n] -= vv;
            ad[n] += x;
          }
          if (oO) oO[(lo + n) * FS] = obv[n];
          if (oA) oA[(lo + n) * FS] = ad[n];
          if (oX) {
            const a = (adc[n] += x);
            if (t === 0) {
              fast[n] = a;
              slow[n] = a;
            } else {
              fast[n] += kf * (a - fast[n]);
              slow[n] += ks * (a - slow[n]);
            }
            if (t >= 9) oX[(lo + n) * FS] = fast[n] - slow[n];
          }
        }
      }
    };
  },
};

/** MFI_14 (TA-Lib: tp-based, 0 when the 14-bar money flow sums to < 1). */
export const mfi: KernelDef = {
  id: 'mfi',
  outputs: ['MFI_14'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, v } = ctx;
    const out = ctx.col('MFI_14')!;
    const pos = new RollSum(N, 14, 1), neg = new RollSum(N, 14, 1);
    const p = new Float64Array(N), q = new Float64Array(N), prev = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const tp = (h[i] + l[i] + c[i]) / 3;
          const f = tp * v[i];
          p[n] = tp > prev[n] ? f : 0;
          q[n] = tp < prev[n] ? f : 0;
          prev[n] = tp;
        }
        if (t === 0) continue;
        pos.update(t, p, 0);
        neg.update(t, q, 0);
        if (t < 14) continue;
        for (let n = 0; n < N; n++) {
          const s = pos.sum[n] + neg.sum[n];
          out[(lo + n) * FS] = s < 1 ? 0 : (100 * pos.sum[n]) / s;
        }
      }
    };
  },
};

/**
 * CMF_20 (0 when Σv = 0), EFI_13 (EMA13 of Δc·v), VOL_SMA_20, RVOL_20 (v / previous bar's
 * VOL_SMA_20; NaN when that is 0), VOL_Z_20 (z of ln(1+v) over 20 bars, population σ; 0 when σ ≈ 0).
 */
export const volRoll: KernelDef = {
  id: 'vol-roll',
  outputs: ['CMF_20', 'EFI_13', 'VOL_SMA_20', 'RVOL_20', 'VOL_Z_20'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, v } = ctx;
    const oC = ctx.col('CMF_20'), oE = ctx.col('EFI_13'), oS = ctx.col('VOL_SMA_20'), oR = ctx.col('RVOL_20'), oZ = ctx.col('VOL_Z_20');
    const sv = new RollSum(N, 20, 0), scv = new RollSum(N, 20, 0), lz = new RollSum(N, 20, 0), lz2 = new RollSum(N, 20, 0);
    const efi = new Ema(N, 13, 1);
    const a = new Float64Array(N), b = new Float64Array(N), e = new Float64Array(N), prevSma = new Float64Array(N);
    const lv = new Float64Array(N); // ln(1 + v) of the row, reused by the z-score
    const needSv = !!(oC || oS || oR);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        if (needSv) sv.update(t, v, base);
        if (oC) {
          for (let n = 0; n < N; n++) {
            const i = base + n;
            a[n] = clv(h[i], l[i], c[i]) * v[i];
          }
          scv.update(t, a, 0);
        }
        if (oZ) {
          for (let n = 0; n < N; n++) {
            const x = Math.log1p(v[base + n]);
            lv[n] = x;
            a[n] = x;
            b[n] = x * x;
          }
          lz.update(t, a, 0);
          lz2.update(t, b, 0);
        }
        if (oE && t >= 1) {
          for (let n = 0; n < N; n++) e[n] = (c[base + n] - c[base - N + n]) * v[base + n];
          efi.update(t, e, 0);
          if (t >= 13) for (let n = 0; n < N; n++) oE[(lo + n) * FS] = efi.y[n];
        }
        if (t < 19) continue;
        for (let n = 0; n < N; n++) {
          const j = lo + n;
          const sma = sv.sum[n] / 20;
          if (oS) oS[(j) * FS] = sma;
          if (oR) {
            if (t >= 20) oR[(j) * FS] = prevSma[n] > 0 ? v[base + n] / prevSma[n] : NaN;
            prevSma[n] = sma;
          }
          if (oC) oC[(j) * FS] = sv.sum[n] > 0 ? scv.sum[n] / sv.sum[n] : 0;
          if (oZ) {
            const m = lz.sum[n] / 20;
            const va = lz2.sum[n] / 20 - m * m;
            oZ[(j) * FS] = va > 1e-10 ? (lv[n] - m) / Math.sqrt(va) : 0;
          }
        }
      }
    };
  },
};

/**
 * CUM_VOL_SESSION, RVOL_TOD_20D (v / mean v at the same minute over the prior ≤ 20 sessions that
 * have that minute; needs ≥ 5), CUM_VOL_TOD_RATIO (same for the session's cumulative volume).
 * NaN when the mean is 0.
 */
export const todVolume: KernelDef = {
  id: 'tod-volume',
  outputs: ['CUM_VOL_SESSION', 'RVOL_TOD_20D', 'CUM_VOL_TOD_RATIO'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, v, sessStart, panel } = ctx;
    const oC = ctx.col('CUM_VOL_SESSION'), oR = ctx.col('RVOL_TOD_20D'), oX = ctx.col('CUM_VOL_TOD_RATIO');
    const D = 20, MIN = 5;
    const M = Math.max(390, ...panel.sessions.map((s) => s.bars));
    const cum = new Float64Array(N);
    const needTod = !!(oR || oX);
    const ringV = needTod ? new Float64Array(M * D * N) : new Float64Array(0);
    const ringC = needTod ? new Float64Array(M * D * N) : new Float64Array(0);
    const cnt = new Int32Array(M);
    const sumV = new Float64Array(needTod ? M * N : 0), sumC = new Float64Array(needTod ? M * N : 0);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const first = sessStart[t] === t;
        const m = t - sessStart[t];
        const k = Math.min(cnt[m], D);
        const slot = ((cnt[m] % D) * M + m) * N;
        for (let n = 0; n < N; n++) {
          const vv = v[base + n];
          const cv = first ? vv : cum[n] + vv;
          cum[n] = cv;
          if (oC) oC[(lo + n) * FS] = cv;
          if (!needTod) continue;
          const r = m * N + n;
          if (k >= MIN) {
            if (oR) oR[(lo + n) * FS] = sumV[r] > 0 ? vv / (sumV[r] / k) : NaN;
            if (oX) oX[(lo + n) * FS] = sumC[r] > 0 ? cv / (sumC[r] / k) : NaN;
          }
          // running sums (volumes are mostly integers, so these are exact in float64)
          if (k === D) {
            sumV[r] -= ringV[slot + n];
            sumC[r] -= ringC[slot + n];
          }
          sumV[r] += vv;
          sumC[r] += cv;
          ringV[slot + n] = vv;
          ringC[slot + n] = cv;
        }
        if (needTod) cnt[m]++;
      }
    };
  },
};

/** AMIHUD_30: mean of |ln(c/c₋₁)| / (c·v) over the bars of the last 30 with v > 0 (NaN if none). */
export const amihud: KernelDef = {
  id: 'amihud',
  outputs: ['AMIHUD_30'],
  needs: ['LR1'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c, v } = ctx;
    const LR1 = ctx.series('LR1');
    const out = ctx.col('AMIHUD_30')!;
    const s = new RollSum(N, 30, 1), k = new RollSum(N, 30, 1);
    const a = new Float64Array(N), b = new Float64Array(N);
    return (t0, t1) => {
      for (let t = Math.max(1, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const vv = v[i];
          if (vv > 0) {
            a[n] = Math.abs(LR1[i]) / (c[i] * vv);
            b[n] = 1;
          } else {
            a[n] = 0;
            b[n] = 0;
          }
        }
        s.update(t, a, 0);
        k.update(t, b, 0);
        if (t < 30) continue;
        for (let n = 0; n < N; n++) out[(lo + n) * FS] = k.sum[n] > 0.5 ? s.sum[n] / k.sum[n] : NaN;
      }
    };
  },
};

export const VOLUME_KERNELS: KernelDef[] = [obvAd, mfi, volRoll, todVolume, amihud];
