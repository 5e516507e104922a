/**
 * Streaming twin of src/indicators/kernels/momentum.ts: RSI/CMO/STOCHRSI, STOCH/WILLR, CCI, ROC,
 * ULTOSC, BOP, IMI.
 *
 * O(1) per bar: RSI/CMO use Wilder averages of gains and losses; STOCH/WILLR and STOCHRSI take
 * their 14-bar extremes from monotone deques and smooth with 3-bar running sums; ULTOSC and IMI
 * are running sums over ring buffers; ROC reads the close ring. CCI's mean absolute deviation is
 * defined over the 20-bar window around the current mean, so it is a fixed 20-term loop per bar
 * (O(20), a constant; TA-Lib computes it the same way), summed in the batch engine's order.
 */
import type { ColFn, LiveGroupDef, Row } from '../row.js';
import { isZero, MonoDeque, RollSum, Wilder } from '../primitives.js';

function rsi(N: number, col: ColFn): (r: Row) => void {
  const o14 = col('RSI_14'), o7 = col('RSI_7'), oC = col('CMO_14'), oS = col('STOCHRSI_K');
  const g14 = new Wilder(N, 14, 1), l14 = new Wilder(N, 14, 1), g7 = new Wilder(N, 7, 1), l7 = new Wilder(N, 7, 1);
  const gain = new Float64Array(N), loss = new Float64Array(N), r14 = new Float64Array(N);
  const hh = new MonoDeque(N, 14, true), ll = new MonoDeque(N, 14, false);
  const kRow = new Float64Array(N);
  const kSum = new RollSum(N, 3, 27);
  return (r) => {
    const t = r.t;
    if (t < 1) return;
    for (let n = 0; n < N; n++) {
      const d = r.c[n] - r.pc[n];
      gain[n] = d > 0 ? d : 0;
      loss[n] = d < 0 ? -d : 0;
    }
    g14.update(t, gain, 0);
    l14.update(t, loss, 0);
    if (t >= 14) {
      const G = g14.y, L = l14.y;
      for (let n = 0; n < N; n++) {
        const s = G[n] + L[n];
        const z = isZero(s);
        const v = z ? 50 : (100 * G[n]) / s;
        r14[n] = v;
        o14[n] = v;
        oC[n] = z ? 0 : (100 * (G[n] - L[n])) / s;
      }
      hh.update(t, r14);
      ll.update(t, r14);
      if (t >= 27) {
        for (let n = 0; n < N; n++) {
          const dd = hh.v[n] - ll.v[n];
          kRow[n] = dd !== 0 ? (100 * (r14[n] - ll.v[n])) / dd : 0;
        }
        kSum.update(t, kRow, 0);
        if (t >= 29) for (let n = 0; n < N; n++) oS[n] = kSum.sum[n] / 3;
      }
    }
    g7.update(t, gain, 0);
    l7.update(t, loss, 0);
    if (t >= 7) {
      const G = g7.y, L = l7.y;
      for (let n = 0; n < N; n++) {
        const s = G[n] + L[n];
        o7[n] = isZero(s) ? 50 : (100 * G[n]) / s;
      }
    }
  };
}

function stoch(N: number, col: ColFn): (r: Row) => void {
  const oK = col('STOCH_K_14_3'), oD = col('STOCH_D_3'), oW = col('WILLR_14');
  const hh = new MonoDeque(N, 14, true), ll = new MonoDeque(N, 14, false);
  const raw = new Float64Array(N), kRow = new Float64Array(N);
  const s1 = new RollSum(N, 3, 13), s2 = new RollSum(N, 3, 15);
  return (r) => {
    const t = r.t;
    hh.update(t, r.h);
    ll.update(t, r.l);
    if (t < 13) return;
    for (let n = 0; n < N; n++) {
      const H = hh.v[n], L = ll.v[n], cc = r.c[n];
      const d = H - L;
      raw[n] = d !== 0 ? (100 * (cc - L)) / d : 0;
      oW[n] = d !== 0 ? (-100 * (H - cc)) / d : 0;
    }
    s1.update(t, raw, 0);
    if (t < 15) return;
    for (let n = 0; n < N; n++) kRow[n] = s1.sum[n] / 3;
    s2.update(t, kRow, 0);
    if (t < 17) return;
    for (let n = 0; n < N; n++) {
      oK[n] = kRow[n];
      oD[n] = s2.sum[n] / 3;
    }
  };
}

function cci(N: number, col: ColFn): (r: Row) => void {
  const out = col('CCI_20');
  const W = 20;
  const ring = new Float64Array(W * N), sum = new RollSum(N, W, 0), tp = new Float64Array(N);
  return (r) => {
    const t = r.t, slot = (t % W) * N;
    for (let n = 0; n < N; n++) {
      const x = (r.h[n] + r.l[n] + r.c[n]) / 3;
      tp[n] = x;
      ring[slot + n] = x;
    }
    sum.update(t, tp, 0);
    if (t < W - 1) return;
    for (let n = 0; n < N; n++) {
      const m = sum.sum[n] / W;
      let md = 0;
      for (let q = 0; q < W; q++) md += Math.abs(ring[q * N + n] - m);
      const dv = tp[n] - m;
      out[n] = dv !== 0 && md !== 0 ? dv / (0.015 * (md / W)) : 0;
    }
  };
}

function simpleMomentum(N: number, col: ColFn): (r: Row) => void {
  const oR = col('ROC_10'), oB = col('BOP'), oI = col('IMI_14');
  const up = new RollSum(N, 14, 0), dn = new RollSum(N, 14, 0);
  const u = new Float64Array(N), dd = new Float64Array(N);
  return (r) => {
    const t = r.t;
    const c10 = t >= 10 ? r.cAgo(10) : null;
    for (let n = 0; n < N; n++) {
      const O = r.o[n], H = r.h[n], L = r.l[n], C = r.c[n];
      if (c10) {
        const p = c10[n];
        oR[n] = p !== 0 ? (C / p - 1) * 100 : 0;
      }
      const rg = H - L;
      oB[n] = rg < 1e-14 ? 0 : (C - O) / rg;
      const b = C - O;
      u[n] = b > 0 ? b : 0;
      dd[n] = b > 0 ? 0 : -b;
    }
    up.update(t, u, 0);
    dn.update(t, dd, 0);
    if (t >= 13)
      for (let n = 0; n < N; n++) {
        const s = up.sum[n] + dn.sum[n];
        oI[n] = s > 0 ? (100 * up.sum[n]) / s : 50;
      }
  };
}

function ultosc(N: number, col: ColFn): (r: Row) => void {
  const out = col('ULTOSC_7_14_28');
  const b7 = new RollSum(N, 7, 1), b14 = new RollSum(N, 14, 1), b28 = new RollSum(N, 28, 1);
  const a7 = new RollSum(N, 7, 1), a14 = new RollSum(N, 14, 1), a28 = new RollSum(N, 28, 1);
  const bp = new Float64Array(N), tr = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t < 1) return;
    for (let n = 0; n < N; n++) {
      const pc = r.pc[n];
      const tl = r.l[n] < pc ? r.l[n] : pc;
      const th = r.h[n] > pc ? r.h[n] : pc;
      bp[n] = r.c[n] - tl;
      tr[n] = th - tl;
    }
    b7.update(t, bp, 0); b14.update(t, bp, 0); b28.update(t, bp, 0);
    a7.update(t, tr, 0); a14.update(t, tr, 0); a28.update(t, tr, 0);
    if (t < 28) return;
    for (let n = 0; n < N; n++) {
      let s = 0;
      if (!isZero(a7.sum[n])) s += (4 * b7.sum[n]) / a7.sum[n];
      if (!isZero(a14.sum[n])) s += (2 * b14.sum[n]) / a14.sum[n];
      if (!isZero(a28.sum[n])) s += b28.sum[n] / a28.sum[n];
      out[n] = (100 * s) / 7;
    }
  };
}

export const MOMENTUM_GROUP: LiveGroupDef = {
  id: 'momentum',
  outputs: ['RSI_14', 'RSI_7', 'CMO_14', 'STOCHRSI_K', 'STOCH_K_14_3', 'STOCH_D_3', 'WILLR_14', 'CCI_20', 'ROC_10', 'BOP', 'IMI_14', 'ULTOSC_7_14_28'],
  make(N, col) {
    const steps = [rsi, stoch, cci, simpleMomentum, ultosc].map((f) => f(N, col));
    return (r) => {
      for (const s of steps) s(r);
    };
  },
};
