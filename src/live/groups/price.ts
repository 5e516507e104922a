/**
 * Streaming twin of src/indicators/kernels/price.ts: returns, session/gap, signed runs, candle
 * shape, day range (HOD/LOD, opening range, prior day), DIST_*_ATR, Roll spread, clock.
 *
 * O(1) per bar: returns read the close ring (60 bars deep); HOD/LOD and the 15-minute opening
 * range are running max/min reset at the session open, PDH/PDL/PDC/GAP are copied at the open;
 * DIST_*_ATR keeps its own Wilder ATR(14); ROLL_SPREAD's covariance uses running sums over a
 * 30-bar ring.
 */
import type { ColFn, LiveGroupDef, Row } from '../row.js';
import { RollSum, Wilder } from '../primitives.js';

function returns(N: number, col: ColFn): (r: Row) => void {
  const o1 = col('RET_1');
  const rets = ([5, 15, 30, 60] as const).map((k) => ({ k, out: col(`RET_${k}`) }));
  const oS = col('RET_SESSION'), oR = col('SIGNED_RUN');
  const run = new Float64Array(N), sOpen = new Float64Array(N);
  return (r) => {
    const t = r.t, c = r.c;
    if (t >= 1) for (let n = 0; n < N; n++) o1[n] = Math.log(c[n] / r.pc[n]);
    for (const { k, out } of rets) {
      if (t < k) continue;
      const back = r.cAgo(k);
      for (let n = 0; n < N; n++) out[n] = Math.log(c[n] / back[n]);
    }
    if (r.first) sOpen.set(r.o);
    for (let n = 0; n < N; n++) {
      oS[n] = Math.log(c[n] / sOpen[n]);
      let x = 0;
      if (t > 0) {
        const d = c[n] - r.pc[n];
        const p = run[n];
        x = d > 0 ? (p > 0 ? p + 1 : 1) : d < 0 ? (p < 0 ? p - 1 : -1) : 0;
      }
      run[n] = x;
      oR[n] = x;
    }
  };
}

function candle(N: number, col: ColFn): (r: Row) => void {
  const oU = col('UPPER_WICK_PCT'), oL = col('LOWER_WICK_PCT'), oC = col('CLV');
  return (r) => {
    for (let n = 0; n < N; n++) {
      const H = r.h[n], L = r.l[n], C = r.c[n], O = r.o[n];
      const rg = H - L;
      const ok = rg > 0;
      oU[n] = ok ? (H - (O > C ? O : C)) / rg : 0;
      oL[n] = ok ? ((O < C ? O : C) - L) / rg : 0;
      oC[n] = ok ? (C - L - (H - C)) / rg : 0;
    }
  };
}

function dayRange(N: number, col: ColFn): (r: Row) => void {
  const oG = col('GAP_PCT'), oH = col('HOD'), oL = col('LOD'), oP = col('POS_IN_DAY_RANGE');
  const oOH = col('ORH_15'), oOL = col('ORL_15'), oOB = col('ORB_STATE_15');
  const oPH = col('PDH'), oPL = col('PDL'), oPC = col('PDC');
  const hod = new Float64Array(N), lod = new Float64Array(N), orh = new Float64Array(N), orl = new Float64Array(N);
  const pdh = new Float64Array(N).fill(NaN), pdl = new Float64Array(N).fill(NaN), pdc = new Float64Array(N).fill(NaN);
  const gap = new Float64Array(N).fill(NaN);
  return (r) => {
    const t = r.t, m = r.m, first = r.first;
    for (let n = 0; n < N; n++) {
      const H = r.h[n], L = r.l[n], C = r.c[n];
      if (first) {
        if (t > 0) {
          pdh[n] = hod[n];
          pdl[n] = lod[n];
          pdc[n] = r.pc[n];
          gap[n] = 100 * (r.o[n] / pdc[n] - 1);
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
      oH[n] = hod[n];
      oL[n] = lod[n];
      const rg = hod[n] - lod[n];
      oP[n] = rg > 0 ? (C - lod[n]) / rg : 0.5;
      if (m >= 15) {
        oOH[n] = orh[n];
        oOL[n] = orl[n];
        oOB[n] = C > orh[n] ? 1 : C < orl[n] ? -1 : 0;
      }
      oG[n] = gap[n];
      oPH[n] = pdh[n];
      oPL[n] = pdl[n];
      oPC[n] = pdc[n];
    }
  };
}

function distAtr(N: number, col: ColFn): (r: Row) => void {
  const oH = col('DIST_HOD_ATR'), oL = col('DIST_LOD_ATR');
  const w = new Wilder(N, 14, 1); // the batch engine's shared ATR14 series, kept here
  const tr = new Float64Array(N), hod = new Float64Array(N), lod = new Float64Array(N);
  return (r) => {
    const t = r.t;
    for (let n = 0; n < N; n++) {
      if (r.first || r.h[n] > hod[n]) hod[n] = r.h[n];
      if (r.first || r.l[n] < lod[n]) lod[n] = r.l[n];
    }
    if (t === 0) return;
    for (let n = 0; n < N; n++) {
      const pc = r.pc[n];
      tr[n] = (r.h[n] > pc ? r.h[n] : pc) - (r.l[n] < pc ? r.l[n] : pc);
    }
    w.update(t, tr, 0);
    if (t < 14) return;
    for (let n = 0; n < N; n++) {
      const a = w.y[n], c = r.c[n];
      oH[n] = a > 0 ? (hod[n] - c) / a : 0;
      oL[n] = a > 0 ? (c - lod[n]) / a : 0;
    }
  };
}

function rollSpread(N: number, col: ColFn): (r: Row) => void {
  const out = col('ROLL_SPREAD_30');
  const sx = new RollSum(N, 30, 2), sy = new RollSum(N, 30, 2), sxy = new RollSum(N, 30, 2);
  const x = new Float64Array(N), y = new Float64Array(N), xy = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t < 2) return;
    const c2 = r.cAgo(2);
    for (let n = 0; n < N; n++) {
      const a = r.c[n] - r.pc[n], b = r.pc[n] - c2[n];
      x[n] = a;
      y[n] = b;
      xy[n] = a * b;
    }
    sx.update(t, x, 0);
    sy.update(t, y, 0);
    sxy.update(t, xy, 0);
    if (t < 31) return;
    for (let n = 0; n < N; n++) {
      const cov = sxy.sum[n] / 30 - (sx.sum[n] / 30) * (sy.sum[n] / 30);
      out[n] = cov < 0 ? (2 * Math.sqrt(-cov)) / r.c[n] : 0;
    }
  };
}

function clock(_N: number, col: ColFn): (r: Row) => void {
  const oM = col('MINUTE_OF_SESSION'), oS = col('TOD_SIN'), oC = col('TOD_COS'), oX = col('MINUTES_TO_CLOSE');
  return (r) => {
    const m = r.m;
    const a = (2 * Math.PI * m) / 390;
    oM.fill(m);
    oS.fill(Math.sin(a));
    oC.fill(Math.cos(a));
    oX.fill(r.bars - 1 - m);
  };
}

export const PRICE_GROUP: LiveGroupDef = {
  id: 'price',
  outputs: [
    'RET_1', 'RET_5', 'RET_15', 'RET_30', 'RET_60', 'RET_SESSION', 'SIGNED_RUN', 'UPPER_WICK_PCT', 'LOWER_WICK_PCT', 'CLV',
    'GAP_PCT', 'HOD', 'LOD', 'POS_IN_DAY_RANGE', 'ORH_15', 'ORL_15', 'ORB_STATE_15', 'PDH', 'PDL', 'PDC',
    'DIST_HOD_ATR', 'DIST_LOD_ATR', 'ROLL_SPREAD_30', 'MINUTE_OF_SESSION', 'TOD_SIN', 'TOD_COS', 'MINUTES_TO_CLOSE',
  ],
  make(N, col) {
    const steps = [returns, candle, dayRange, distAtr, rollSpread, clock].map((f) => f(N, col));
    return (r) => {
      for (const s of steps) s(r);
    };
  },
};
