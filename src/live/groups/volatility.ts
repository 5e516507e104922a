/**
 * Streaming twin of src/indicators/kernels/volatility.ts: TRANGE/ATR/NATR, Bollinger, Keltner,
 * the squeeze (SQZ_ON/SQZ_MOM), Donchian, RV/Parkinson/Garman–Klass, RANGE_PCT.
 *
 * O(1) per bar: ATR is a Wilder average of the true range; Bollinger's mean and σ come from
 * running Σc and Σc² over a 20-bar ring, Keltner from EMAs of close and true range; the squeeze
 * from running sums; Donchian's 20-bar high/low from monotone deques; RV/Parkinson/GK from
 * running sums over 30-bar rings.
 */
import type { ColFn, LiveGroupDef, Row } from '../row.js';
import { Ema, MonoDeque, RollSum, Wilder } from '../primitives.js';

function atr(N: number, col: ColFn): (r: Row) => void {
  const oT = col('TRANGE'), oA = col('ATR_14'), oN = col('NATR_14');
  const w = new Wilder(N, 14, 1);
  const tr = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t === 0) return;
    for (let n = 0; n < N; n++) {
      const pc = r.pc[n];
      const x = (r.h[n] > pc ? r.h[n] : pc) - (r.l[n] < pc ? r.l[n] : pc);
      tr[n] = x;
      oT[n] = x;
    }
    w.update(t, tr, 0);
    if (t < 14) return;
    const y = w.y;
    for (let n = 0; n < N; n++) {
      oA[n] = y[n];
      const cc = r.c[n];
      oN[n] = cc > -1e-14 && cc < 1e-14 ? 0 : (100 * y[n]) / cc;
    }
  };
}

function bands(N: number, col: ColFn): (r: Row) => void {
  const oMom = col('SQZ_MOM'), oOn = col('SQZ_ON');
  const oBU = col('BB_UPPER_20_2'), oBL = col('BB_LOWER_20_2'), oBW = col('BB_WIDTH_20'), oBP = col('BB_PCTB_20');
  const oKU = col('KC_UPPER_20_2'), oKL = col('KC_LOWER_20_2');
  const s = new RollSum(N, 20, 0), s2 = new RollSum(N, 20, 0), str = new RollSum(N, 20, 1);
  const ec = new Ema(N, 20, 0), etr = new Ema(N, 20, 1);
  const mom = new RollSum(N, 6, 12);
  const sq = new Float64Array(N), tr = new Float64Array(N), m = new Float64Array(N);
  return (r) => {
    const t = r.t, c = r.c;
    for (let n = 0; n < N; n++) sq[n] = c[n] * c[n];
    s.update(t, c, 0);
    s2.update(t, sq, 0);
    ec.update(t, c, 0);
    if (t >= 1) {
      for (let n = 0; n < N; n++) {
        const pc = r.pc[n];
        tr[n] = (r.h[n] > pc ? r.h[n] : pc) - (r.l[n] < pc ? r.l[n] : pc);
      }
      str.update(t, tr, 0);
      etr.update(t, tr, 0);
    }
    if (t >= 12) {
      const c12 = r.cAgo(12);
      for (let n = 0; n < N; n++) m[n] = c[n] - c12[n];
      mom.update(t, m, 0);
      if (t >= 17) for (let n = 0; n < N; n++) oMom[n] = mom.sum[n] / 6;
    }
    if (t >= 19) {
      for (let n = 0; n < N; n++) {
        const mean = s.sum[n] / 20;
        const va = s2.sum[n] / 20 - mean * mean;
        const sd = va > 0 ? Math.sqrt(va) : 0;
        const U = mean + 2 * sd, L = mean - 2 * sd;
        oBU[n] = U;
        oBL[n] = L;
        oBW[n] = (U - L) / mean;
        oBP[n] = U > L ? (c[n] - L) / (U - L) : 0.5;
        if (t >= 20) {
          const rr = (1.5 * str.sum[n]) / 20;
          oOn[n] = U < mean + rr && L > mean - rr ? 1 : 0;
        }
      }
    }
    if (t >= 20) {
      for (let n = 0; n < N; n++) {
        const mid = ec.y[n], rr = 2 * etr.y[n];
        oKU[n] = mid + rr;
        oKL[n] = mid - rr;
      }
    }
  };
}

function donchian(N: number, col: ColFn): (r: Row) => void {
  const oH = col('DONCH_HIGH_20'), oL = col('DONCH_LOW_20');
  const hh = new MonoDeque(N, 20, true), ll = new MonoDeque(N, 20, false);
  return (r) => {
    hh.update(r.t, r.h);
    ll.update(r.t, r.l);
    if (r.t < 19) return;
    oH.set(hh.v);
    oL.set(ll.v);
  };
}

function rangeVol(N: number, col: ColFn): (r: Row) => void {
  const oRV = col('RV_30'), oP = col('PARKINSON_30'), oG = col('GK_30'), oR = col('RANGE_PCT');
  const r1 = new RollSum(N, 30, 1), r2 = new RollSum(N, 30, 1), pk = new RollSum(N, 30, 0), gk = new RollSum(N, 30, 0);
  const a = new Float64Array(N), b = new Float64Array(N), p = new Float64Array(N), g = new Float64Array(N);
  const LN2 = Math.LN2, PK = 1 / (4 * LN2 * 30), GKC = 2 * LN2 - 1;
  return (r) => {
    const t = r.t;
    for (let n = 0; n < N; n++) {
      const O = r.o[n], H = r.h[n], L = r.l[n], C = r.c[n];
      const hl = Math.log(H / L);
      const co = Math.log(C / O);
      p[n] = hl * hl;
      g[n] = 0.5 * hl * hl - GKC * co * co;
      oR[n] = (100 * (H - L)) / C;
      if (t >= 1) {
        const x = Math.log(C / r.pc[n]); // the batch engine's LR1 series
        a[n] = x;
        b[n] = x * x;
      }
    }
    pk.update(t, p, 0);
    gk.update(t, g, 0);
    if (t >= 1) {
      r1.update(t, a, 0);
      r2.update(t, b, 0);
    }
    if (t >= 29)
      for (let n = 0; n < N; n++) {
        oP[n] = Math.sqrt(pk.sum[n] * PK);
        const x = gk.sum[n] / 30;
        oG[n] = x > 0 ? Math.sqrt(x) : 0;
        if (t >= 30) {
          const m = r1.sum[n] / 30;
          const va = r2.sum[n] / 30 - m * m;
          oRV[n] = va > 0 ? Math.sqrt(va) : 0;
        }
      }
  };
}

export const VOLATILITY_GROUP: LiveGroupDef = {
  id: 'volatility',
  outputs: [
    'TRANGE', 'ATR_14', 'NATR_14', 'SQZ_MOM', 'SQZ_ON', 'BB_UPPER_20_2', 'BB_LOWER_20_2', 'BB_WIDTH_20', 'BB_PCTB_20',
    'KC_UPPER_20_2', 'KC_LOWER_20_2', 'DONCH_HIGH_20', 'DONCH_LOW_20', 'RV_30', 'PARKINSON_30', 'GK_30', 'RANGE_PCT',
  ],
  make(N, col) {
    const steps = [atr, bands, donchian, rangeVol].map((f) => f(N, col));
    return (r) => {
      for (const s of steps) s(r);
    };
  },
};
