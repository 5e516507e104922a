/** Price/session/time family: returns, gap, runs, candle shape, day range, opening range, prior day, Roll spread, clock. */
import type { KernelDef } from '../engine.js';
import { RollSum } from './util.js';

/**
 * Shared series LR1 = ln(c_t / c_{t−1}) (from row 1; row 0 is never read), computed once for
 * RET_1, RV_30 and AMIHUD_30, which all used this exact expression (so results are unchanged).
 */
export const logReturn: KernelDef = {
  id: 'log-return',
  outputs: [],
  provides: ['LR1'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c } = ctx;
    const S = ctx.series('LR1');
    return (t0, t1) => {
      for (let t = Math.max(1, t0); t < t1; t++) {
        const base = t * N;
        for (let n = 0; n < N; n++) S[base + n] = Math.log(c[base + n] / c[base - N + n]);
      }
    };
  },
};

/** RET_k = ln(c/c₋ₖ) over the continuous series; RET_SESSION = ln(c / session open); SIGNED_RUN. */
export const returns: KernelDef = {
  id: 'returns',
  outputs: ['RET_1', 'RET_5', 'RET_15', 'RET_30', 'RET_60', 'RET_SESSION', 'SIGNED_RUN'],
  needs: ['LR1'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, o, c, sessStart } = ctx;
    const LR1 = ctx.series('LR1');
    const o1 = ctx.col('RET_1');
    const rets = ([5, 15, 30, 60] as const).map((k) => ({ k, out: ctx.col(`RET_${k}`) })).filter((r) => r.out);
    const oS = ctx.col('RET_SESSION'), oR = ctx.col('SIGNED_RUN');
    const run = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        if (o1 && t >= 1) for (let n = 0; n < N; n++) o1[(lo + n) * FS] = LR1[base + n];
        for (const { k, out } of rets) {
          if (t < k) continue;
          const back = base - k * N;
          for (let n = 0; n < N; n++) out![(lo + n) * FS] = Math.log(c[base + n] / c[back + n]);
        }
        if (oS) {
          const sb = sessStart[t] * N;
          for (let n = 0; n < N; n++) oS[(lo + n) * FS] = Math.log(c[base + n] / o[sb + n]);
        }
        if (oR) {
          for (let n = 0; n < N; n++) {
            let r = 0;
            if (t > 0) {
              const d = c[base + n] - c[base - N + n];
              const p = run[n];
              r = d > 0 ? (p > 0 ? p + 1 : 1) : d < 0 ? (p < 0 ? p - 1 : -1) : 0;
            }
            run[n] = r;
            oR[(lo + n) * FS] = r;
          }
        }
      }
    };
  },
};

/** UPPER_WICK_PCT, LOWER_WICK_PCT (fractions of h − l), CLV; all 0 when h = l. */
export const candle: KernelDef = {
  id: 'candle',
  outputs: ['UPPER_WICK_PCT', 'LOWER_WICK_PCT', 'CLV'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, o, h, l, c } = ctx;
    const oU = ctx.col('UPPER_WICK_PCT'), oL = ctx.col('LOWER_WICK_PCT'), oC = ctx.col('CLV');
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const H = h[i], L = l[i], C = c[i], O = o[i];
          const r = H - L;
          const ok = r > 0;
          if (oU) oU[(lo + n) * FS] = ok ? (H - (O > C ? O : C)) / r : 0;
          if (oL) oL[(lo + n) * FS] = ok ? ((O < C ? O : C) - L) / r : 0;
          if (oC) oC[(lo + n) * FS] = ok ? (C - L - (H - C)) / r : 0;
        }
      }
    };
  },
};

/**
 * HOD/LOD (session running max high / min low), POS_IN_DAY_RANGE (0.5 when HOD = LOD), opening
 * range ORH_15/ORL_15/ORB_STATE_15 (from 09:45), GAP_PCT, PDH/PDL/PDC (from the second session).
 */
export const dayRange: KernelDef = {
  id: 'day-range',
  outputs: ['GAP_PCT', 'HOD', 'LOD', 'POS_IN_DAY_RANGE', 'ORH_15', 'ORL_15', 'ORB_STATE_15', 'PDH', 'PDL', 'PDC'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, o, h, l, c, sessStart } = ctx;
    const oG = ctx.col('GAP_PCT'), oH = ctx.col('HOD'), oL = ctx.col('LOD'), oP = ctx.col('POS_IN_DAY_RANGE');
    const oOH = ctx.col('ORH_15'), oOL = ctx.col('ORL_15'), oOB = ctx.col('ORB_STATE_15');
    const oPH = ctx.col('PDH'), oPL = ctx.col('PDL'), oPC = ctx.col('PDC');
    const hod = new Float64Array(N), lod = new Float64Array(N), orh = new Float64Array(N), orl = new Float64Array(N);
    const pdh = new Float64Array(N).fill(NaN), pdl = new Float64Array(N).fill(NaN), pdc = new Float64Array(N).fill(NaN);
    const gap = new Float64Array(N).fill(NaN);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const m = t - sessStart[t];
        const first = m === 0;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const H = h[i], L = l[i], C = c[i];
          if (first) {
            if (t > 0) {
              pdh[n] = hod[n];
              pdl[n] = lod[n];
              pdc[n] = c[i - N];
              gap[n] = 100 * (o[i] / pdc[n] - 1);
            }
            hod[n] = H;
            lod[n] = L;
          } else {
            if (H > hod[n]) hod[n] = H;
            if (L < lod[n]) lod[n] = L;
          }
          if (m < 15) {
            orh[n] = m === 0 || H > orh[n] ? H : orh[n];
            orl[n] = m === 0 || L < orl[n] ? L : orl[n];
          }
          const j = lo + n;
          if (oH) oH[(j) * FS] = hod[n];
          if (oL) oL[(j) * FS] = lod[n];
          if (oP) {
            const r = hod[n] - lod[n];
            oP[(j) * FS] = r > 0 ? (C - lod[n]) / r : 0.5;
          }
          if (m >= 15) {
            if (oOH) oOH[(j) * FS] = orh[n];
            if (oOL) oOL[(j) * FS] = orl[n];
            if (oOB) oOB[(j) * FS] = C > orh[n] ? 1 : C < orl[n] ? -1 : 0;
          }
          if (oG) oG[(j) * FS] = gap[n];
          if (oPH) oPH[(j) * FS] = pdh[n];
          if (oPL) oPL[(j) * FS] = pdl[n];
          if (oPC) oPC[(j) * FS] = pdc[n];
        }
      }
    };
  },
};

/** DIST_HOD_ATR = (HOD − c)/ATR_14, DIST_LOD_ATR = (c − LOD)/ATR_14 (0 when ATR = 0). */
export const distAtr: KernelDef = {
  id: 'dist-atr',
  outputs: ['DIST_HOD_ATR', 'DIST_LOD_ATR'],
  needs: ['ATR14'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, sessStart } = ctx;
    const oH = ctx.col('DIST_HOD_ATR'), oL = ctx.col('DIST_LOD_ATR');
    const A = ctx.series('ATR14');
    const hod = new Float64Array(N), lod = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const first = sessStart[t] === t;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          if (first || h[i] > hod[n]) hod[n] = h[i];
          if (first || l[i] < lod[n]) lod[n] = l[i];
          if (t < 14) continue;
          const a = A[i];
          if (oH) oH[(lo + n) * FS] = a > 0 ? (hod[n] - c[i]) / a : 0;
          if (oL) oL[(lo + n) * FS] = a > 0 ? (c[i] - lod[n]) / a : 0;
        }
      }
    };
  },
};

/** ROLL_SPREAD_30 = 2·√max(−cov(Δc_t, Δc_{t−1}), 0) / c over 30 pairs (population covariance). */
export const rollSpread: KernelDef = {
  id: 'roll-spread',
  outputs: ['ROLL_SPREAD_30'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c } = ctx;
    const out = ctx.col('ROLL_SPREAD_30')!;
    const sx = new RollSum(N, 30, 2), sy = new RollSum(N, 30, 2), sxy = new RollSum(N, 30, 2);
    const x = new Float64Array(N), y = new Float64Array(N), xy = new Float64Array(N);
    return (t0, t1) => {
      for (let t = Math.max(2, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const a = c[i] - c[i - N], b = c[i - N] - c[i - 2 * N];
          x[n] = a;
          y[n] = b;
          xy[n] = a * b;
        }
        sx.update(t, x, 0);
        sy.update(t, y, 0);
        sxy.update(t, xy, 0);
        if (t < 31) continue;
        for (let n = 0; n < N; n++) {
          const cov = sxy.sum[n] / 30 - (sx.sum[n] / 30) * (sy.sum[n] / 30);
          out[(lo + n) * FS] = cov < 0 ? (2 * Math.sqrt(-cov)) / c[base + n] : 0;
        }
      }
    };
  },
};

/** MINUTE_OF_SESSION, TOD_SIN/COS (2π·m/390, clock-based also on early-close days), MINUTES_TO_CLOSE. */
export const clock: KernelDef = {
  id: 'clock',
  outputs: ['MINUTE_OF_SESSION', 'TOD_SIN', 'TOD_COS', 'MINUTES_TO_CLOSE'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, sessStart, panel } = ctx;
    const oM = ctx.col('MINUTE_OF_SESSION'), oS = ctx.col('TOD_SIN'), oC = ctx.col('TOD_COS'), oX = ctx.col('MINUTES_TO_CLOSE');
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const lo = (t - t0) * N;
        const m = t - sessStart[t];
        const bars = panel.sessions[panel.sessionOfRow[t]].bars;
        const a = (2 * Math.PI * m) / 390;
        const vals: [Float32Array | null, number][] = [[oM, m], [oS, Math.sin(a)], [oC, Math.cos(a)], [oX, bars - 1 - m]];
        for (const [out, val] of vals) if (out) for (let n = 0; n < N; n++) out[(lo + n) * FS] = val;
      }
    };
  },
};

export const PRICE_KERNELS: KernelDef[] = [returns, candle, dayRange, distAtr, rollSpread, clock];
