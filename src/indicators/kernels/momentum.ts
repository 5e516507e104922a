/** Momentum oscillators: RSI/CMO/STOCHRSI, STOCH/WILLR, CCI, ROC, ULTOSC, BOP, IMI. */
import type { KernelDef } from '../engine.js';
import { RollExt, RollSum, Wilder } from './util.js';

/** TA-Lib TA_IS_ZERO (epsilon 1e-14 in the bundled TA-Lib). */
const isZero = (x: number) => x > -1e-14 && x < 1e-14;

/**
 * RSI_14, RSI_7, CMO_14 (Wilder averages of gains/losses, TA-Lib seeding) and STOCHRSI_K.
 * RSI when both averages are (TA-Lib-)zero: 50 (no movement = neutral; TA-Lib returns 0).
 * CMO in that case: 0 (TA-Lib too).
 */
export const rsi: KernelDef = {
  id: 'rsi',
  outputs: ['RSI_14', 'RSI_7', 'CMO_14', 'STOCHRSI_K'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c } = ctx;
    const o14 = ctx.col('RSI_14'), o7 = ctx.col('RSI_7'), oC = ctx.col('CMO_14'), oS = ctx.col('STOCHRSI_K');
    const need14 = !!(o14 || oC || oS);
    const g14 = new Wilder(N, 14, 1), l14 = new Wilder(N, 14, 1);
    const g7 = new Wilder(N, 7, 1), l7 = new Wilder(N, 7, 1);
    const gain = new Float64Array(N), loss = new Float64Array(N), r14 = new Float64Array(N);
    const hh = new RollExt(N, 14, 14, true), ll = new RollExt(N, 14, 14, false);
    const kRow = new Float64Array(N);
    const kSum = new RollSum(N, 3, 27);
    return (t0, t1) => {
      for (let t = Math.max(t0, 1); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const d = c[base + n] - c[base - N + n];
          gain[n] = d > 0 ? d : 0;
          loss[n] = d < 0 ? -d : 0;
        }
        if (need14) {
          g14.update(t, gain, 0);
          l14.update(t, loss, 0);
          if (t >= 14) {
            const G = g14.y, L = l14.y;
            for (let n = 0; n < N; n++) {
              const s = G[n] + L[n];
              const z = isZero(s);
              const r = z ? 50 : (100 * G[n]) / s;
              r14[n] = r;
              if (o14) o14[(lo + n) * FS] = r;
              if (oC) oC[(lo + n) * FS] = z ? 0 : (100 * (G[n] - L[n])) / s;
            }
            if (oS) {
              hh.update(t, r14, 0);
              ll.update(t, r14, 0);
              if (t >= 27) {
                for (let n = 0; n < N; n++) {
                  const dd = hh.v[n] - ll.v[n];
                  kRow[n] = dd !== 0 ? (100 * (r14[n] - ll.v[n])) / dd : 0;
                }
                kSum.update(t, kRow, 0);
                if (t >= 29) for (let n = 0; n < N; n++) oS[(lo + n) * FS] = kSum.sum[n] / 3;
              }
            }
          }
        }
        if (o7) {
          g7.update(t, gain, 0);
          l7.update(t, loss, 0);
          if (t >= 7) {
            const G = g7.y, L = l7.y;
            for (let n = 0; n < N; n++) {
              const s = G[n] + L[n];
              o7[(lo + n) * FS] = isZero(s) ? 50 : (100 * G[n]) / s;
            }
          }
        }
      }
    };
  },
};

/** STOCH(14,3,SMA,3,SMA) slow K/D and WILLR_14 (TA-Lib: 0 when the 14-bar range is flat). */
export const stoch: KernelDef = {
  id: 'stoch',
  outputs: ['STOCH_K_14_3', 'STOCH_D_3', 'WILLR_14'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c } = ctx;
    const oK = ctx.col('STOCH_K_14_3'), oD = ctx.col('STOCH_D_3'), oW = ctx.col('WILLR_14');
    const hh = new RollExt(N, 14, 0, true), ll = new RollExt(N, 14, 0, false);
    const raw = new Float64Array(N), kRow = new Float64Array(N);
    const s1 = new RollSum(N, 3, 13), s2 = new RollSum(N, 3, 15);
    const needK = !!(oK || oD);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        hh.update(t, h, base);
        ll.update(t, l, base);
        if (t < 13) continue;
        for (let n = 0; n < N; n++) {
          const H = hh.v[n], L = ll.v[n], cc = c[base + n];
          const d = H - L;
          raw[n] = d !== 0 ? (100 * (cc - L)) / d : 0;
          if (oW) oW[(lo + n) * FS] = d !== 0 ? (-100 * (H - cc)) / d : 0;
        }
        if (!needK) continue;
        s1.update(t, raw, 0);
        if (t < 15) continue;
        for (let n = 0; n < N; n++) kRow[n] = s1.sum[n] / 3;
        s2.update(t, kRow, 0);
        if (t < 17) continue;
        for (let n = 0; n < N; n++) {
          if (oK) oK[(lo + n) * FS] = kRow[n];
          if (oD) oD[(lo + n) * FS] = s2.sum[n] / 3;
        }
      }
    };
  },
};

/** CCI_20 (TA-Lib: 0 when the deviation or the mean deviation is 0). */
export const cci: KernelDef = {
  id: 'cci',
  outputs: ['CCI_20'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c } = ctx;
    const out = ctx.col('CCI_20')!;
    const W = 20;
    const ring = new Float64Array(W * N), sum = new RollSum(N, W, 0), tp = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N, slot = (t % W) * N;
        for (let n = 0; n < N; n++) {
          const x = (h[base + n] + l[base + n] + c[base + n]) / 3;
          tp[n] = x;
          ring[slot + n] = x;
        }
        sum.update(t, tp, 0);
        if (t < W - 1) continue;
        for (let n = 0; n < N; n++) {
          const m = sum.sum[n] / W;
          let md = 0;
          for (let r = 0; r < W; r++) md += Math.abs(ring[r * N + n] - m);
          const dv = tp[n] - m;
          out[(lo + n) * FS] = dv !== 0 && md !== 0 ? dv / (0.015 * (md / W)) : 0;
        }
      }
    };
  },
};

/** ROC_10, BOP, IMI_14 (IMI: 50 when no bar has a body; TA-Lib gives NaN). */
export const simpleMomentum: KernelDef = {
  id: 'simple-momentum',
  outputs: ['ROC_10', 'BOP', 'IMI_14'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, o, h, l, c } = ctx;
    const oR = ctx.col('ROC_10'), oB = ctx.col('BOP'), oI = ctx.col('IMI_14');
    const up = new RollSum(N, 14, 0), dn = new RollSum(N, 14, 0);
    const u = new Float64Array(N), dd = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          if (oR && t >= 10) {
            const p = c[i - 10 * N];
            oR[(lo + n) * FS] = p !== 0 ? (c[i] / p - 1) * 100 : 0;
          }
          if (oB) {
            const r = h[i] - l[i];
            oB[(lo + n) * FS] = r < 1e-14 ? 0 : (c[i] - o[i]) / r;
          }
          const b = c[i] - o[i];
          u[n] = b > 0 ? b : 0;
          dd[n] = b > 0 ? 0 : -b;
        }
        if (oI) {
          up.update(t, u, 0);
          dn.update(t, dd, 0);
          if (t >= 13)
            for (let n = 0; n < N; n++) {
              const s = up.sum[n] + dn.sum[n];
              oI[(lo + n) * FS] = s > 0 ? (100 * up.sum[n]) / s : 50;
            }
        }
      }
    };
  },
};

/** ULTOSC_7_14_28 (TA-Lib: a term with a zero true-range sum counts 0). */
export const ultosc: KernelDef = {
  id: 'ultosc',
  outputs: ['ULTOSC_7_14_28'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c } = ctx;
    const out = ctx.col('ULTOSC_7_14_28')!;
    const b7 = new RollSum(N, 7, 1), b14 = new RollSum(N, 14, 1), b28 = new RollSum(N, 28, 1);
    const a7 = new RollSum(N, 7, 1), a14 = new RollSum(N, 14, 1), a28 = new RollSum(N, 28, 1);
    const bp = new Float64Array(N), tr = new Float64Array(N);
    return (t0, t1) => {
      for (let t = Math.max(1, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const pc = c[i - N];
          const tl = l[i] < pc ? l[i] : pc;
          const th = h[i] > pc ? h[i] : pc;
          bp[n] = c[i] - tl;
          tr[n] = th - tl;
        }
        b7.update(t, bp, 0); b14.update(t, bp, 0); b28.update(t, bp, 0);
        a7.update(t, tr, 0); a14.update(t, tr, 0); a28.update(t, tr, 0);
        if (t < 28) continue;
        for (let n = 0; n < N; n++) {
          let s = 0;
          if (!isZero(a7.sum[n])) s += (4 * b7.sum[n]) / a7.sum[n];
          if (!isZero(a14.sum[n])) s += (2 * b14.sum[n]) / a14.sum[n];
          if (!isZero(a28.sum[n])) s += b28.sum[n] / a28.sum[n];
          out[(lo + n) * FS] = (100 * s) / 7;
        }
      }
    };
  },
};

export const MOMENTUM_KERNELS: KernelDef[] = [rsi, stoch, cci, simpleMomentum, ultosc];
