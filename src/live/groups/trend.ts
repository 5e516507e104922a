/**
 * Streaming twin of src/indicators/kernels/trend.ts: EMAs, SMA/VWMA, HMA, KAMA, MACD/PPO/PVO,
 * TSI, ADX/DI, AROONOSC, Supertrend, PSAR, LINREG.
 *
 * O(1) per bar: EMAs and Wilder averages are recursive filters (one float per ticker); SMA,
 * VWMA, KAMA's efficiency denominator use running sums over ring buffers; HMA's weighted MAs
 * update Σ(w·x) and Σx in O(1); AROON's 26-bar extremes and their rows come from monotone
 * deques; PSAR/Supertrend/ADX are per-ticker state machines; LINREG updates Σy and Σ(i·y).
 */
import type { ColFn, LiveGroupDef, Row } from '../row.js';
import { Ema, isZero, MonoDeque, RollSum, Wilder, Wma } from '../primitives.js';

function ema(N: number, col: ColFn): (r: Row) => void {
  const specs = ([['EMA_9', 9], ['EMA_21', 21], ['EMA_50', 50]] as const).map(([name, n]) => ({ out: col(name), e: new Ema(N, n, 0), n }));
  return (r) => {
    for (const { out, e, n } of specs) {
      e.update(r.t, r.c, 0);
      if (r.t >= n - 1) out.set(e.y);
    }
  };
}

/** MACD (fast EMA seeded at bar 14, signal at bar 25, from bar 33) and PPO (two EMAs from bar 0, from bar 25), on close or volume. */
function macdLike(N: number, col: ColFn, field: 'c' | 'v', macdNames: readonly string[] | null, ppoName: string): (r: Row) => void {
  const oM = macdNames ? col(macdNames[0]) : null, oS = macdNames ? col(macdNames[1]) : null, oH = macdNames ? col(macdNames[2]) : null;
  const oP = col(ppoName);
  const fast = new Ema(N, 12, 14), slow = new Ema(N, 26, 0), sig = new Ema(N, 9, 25), pfast = new Ema(N, 12, 0);
  const m = new Float64Array(N);
  return (r) => {
    const t = r.t, x = r[field];
    slow.update(t, x, 0);
    if (macdNames && t >= 14) fast.update(t, x, 0);
    pfast.update(t, x, 0);
    if (t < 25) return;
    const F = fast.y, S = slow.y, PF = pfast.y;
    for (let n = 0; n < N; n++) oP[n] = isZero(S[n]) ? 0 : (100 * (PF[n] - S[n])) / S[n];
    if (!macdNames) return;
    for (let n = 0; n < N; n++) m[n] = F[n] - S[n];
    sig.update(t, m, 0);
    if (t < 33) return;
    const G = sig.y;
    for (let n = 0; n < N; n++) {
      oM![n] = m[n];
      oS![n] = G[n];
      oH![n] = m[n] - G[n];
    }
  };
}

function tsi(N: number, col: ColFn): (r: Row) => void {
  const out = col('TSI_25_13');
  const e1 = new Ema(N, 25, 1), a1 = new Ema(N, 25, 1), e2 = new Ema(N, 13, 25), a2 = new Ema(N, 13, 25);
  const d = new Float64Array(N), ad = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t < 1) return;
    for (let n = 0; n < N; n++) {
      const x = r.c[n] - r.pc[n];
      d[n] = x;
      ad[n] = Math.abs(x);
    }
    e1.update(t, d, 0);
    a1.update(t, ad, 0);
    if (t < 25) return;
    e2.update(t, e1.y, 0);
    a2.update(t, a1.y, 0);
    if (t < 37) return;
    for (let n = 0; n < N; n++) {
      const den = a2.y[n];
      out[n] = den > 0 ? (100 * e2.y[n]) / den : 0;
    }
  };
}

function smaVwma(N: number, col: ColFn): (r: Row) => void {
  const oS = col('SMA_20'), oV = col('VWMA_20');
  const sc = new RollSum(N, 20, 0), sv = new RollSum(N, 20, 0), svc = new RollSum(N, 20, 0);
  const vc = new Float64Array(N);
  return (r) => {
    const t = r.t;
    sc.update(t, r.c, 0);
    for (let n = 0; n < N; n++) vc[n] = r.v[n] * r.c[n];
    sv.update(t, r.v, 0);
    svc.update(t, vc, 0);
    if (t < 19) return;
    for (let n = 0; n < N; n++) {
      const sma = sc.sum[n] / 20;
      oS[n] = sma;
      oV[n] = sv.sum[n] > 0 ? svc.sum[n] / sv.sum[n] : sma;
    }
  };
}

function hma(N: number, col: ColFn): (r: Row) => void {
  const out = col('HMA_21');
  const w10 = new Wma(N, 10, 0), w21 = new Wma(N, 21, 0), w4 = new Wma(N, 4, 20);
  const d = new Float64Array(N);
  return (r) => {
    const t = r.t;
    w10.update(t, r.c);
    w21.update(t, r.c);
    if (t < 20) return;
    for (let n = 0; n < N; n++) d[n] = 2 * w10.y[n] - w21.y[n];
    w4.update(t, d);
    if (t >= 23) out.set(w4.y);
  };
}

function kama(N: number, col: ColFn): (r: Row) => void {
  const out = col('KAMA_10');
  const cMax = 2 / 31, cDiff = 2 / 3 - cMax;
  const roc = new RollSum(N, 10, 1);
  const ad = new Float64Array(N), y = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t < 1) return;
    for (let n = 0; n < N; n++) ad[n] = Math.abs(r.c[n] - r.pc[n]);
    roc.update(t, ad, 0);
    if (t < 10) return;
    const c10 = r.cAgo(10);
    for (let n = 0; n < N; n++) {
      const x = r.c[n];
      const pr = x - c10[n];
      const s = roc.sum[n];
      const er = s <= pr || isZero(s) ? 1 : Math.abs(pr / s);
      let sc = er * cDiff + cMax;
      sc *= sc;
      const prev = t === 10 ? r.pc[n] : y[n];
      const k = prev + (x - prev) * sc;
      y[n] = k;
      out[n] = k;
    }
  };
}

function adx(N: number, col: ColFn): (r: Row) => void {
  const oA = col('ADX_14'), oP = col('PLUS_DI_14'), oM = col('MINUS_DI_14');
  const P = 14;
  const pdm = new Float64Array(N), mdm = new Float64Array(N), tr = new Float64Array(N);
  const sumDX = new Float64Array(N), adxv = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t < 1) return;
    const sumPhase = t < P;
    for (let n = 0; n < N; n++) {
      const H = r.h[n], L = r.l[n];
      const dP = H - r.ph[n], dM = r.pl[n] - L;
      let p = 0, m = 0;
      if (dM > 0 && dP < dM) m = dM;
      else if (dP > 0 && dP > dM) p = dP;
      const pc = r.pc[n];
      const x = (H > pc ? H : pc) - (L < pc ? L : pc);
      if (sumPhase) {
        pdm[n] += p; mdm[n] += m; tr[n] += x;
        continue;
      }
      pdm[n] += p - pdm[n] / P;
      mdm[n] += m - mdm[n] / P;
      tr[n] += x - tr[n] / P;
      const T = tr[n];
      let pdi = 0, mdi = 0, dx = NaN;
      if (!isZero(T)) {
        pdi = (100 * pdm[n]) / T;
        mdi = (100 * mdm[n]) / T;
        const s = pdi + mdi;
        if (!isZero(s)) dx = (100 * Math.abs(mdi - pdi)) / s;
      }
      oP[n] = pdi;
      oM[n] = mdi;
      if (t < 2 * P - 1) {
        if (dx === dx) sumDX[n] += dx;
      } else if (t === 2 * P - 1) {
        if (dx === dx) sumDX[n] += dx;
        adxv[n] = sumDX[n] / P;
      } else if (dx === dx) adxv[n] = (adxv[n] * (P - 1) + dx) / P;
      if (t >= 2 * P - 1) oA[n] = adxv[n];
    }
  };
}

function aroon(N: number, col: ColFn): (r: Row) => void {
  const out = col('AROONOSC_25');
  const hh = new MonoDeque(N, 26, true), ll = new MonoDeque(N, 26, false);
  return (r) => {
    hh.update(r.t, r.h);
    ll.update(r.t, r.l);
    if (r.t < 25) return;
    for (let n = 0; n < N; n++) out[n] = 4 * (hh.idx[n] - ll.idx[n]);
  };
}

function supertrend(N: number, col: ColFn): (r: Row) => void {
  const oS = col('SUPERTREND_10_3'), oD = col('SUPERTREND_DIR');
  const atr = new Wilder(N, 10, 1);
  const tr = new Float64Array(N), ub = new Float64Array(N), lb = new Float64Array(N), dir = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t < 1) return;
    for (let n = 0; n < N; n++) {
      const pc = r.pc[n];
      tr[n] = (r.h[n] > pc ? r.h[n] : pc) - (r.l[n] < pc ? r.l[n] : pc);
    }
    atr.update(t, tr, 0);
    if (t < 10) return;
    for (let n = 0; n < N; n++) {
      const mid = (r.h[n] + r.l[n]) / 2, a = 3 * atr.y[n];
      let u = mid + a, lw = mid - a, d: number;
      if (t === 10) d = 1;
      else {
        const cc = r.c[n];
        if (cc > ub[n]) d = 1;
        else if (cc < lb[n]) d = -1;
        else {
          d = dir[n];
          if (d > 0 && lw < lb[n]) lw = lb[n];
          if (d < 0 && u > ub[n]) u = ub[n];
        }
      }
      ub[n] = u; lb[n] = lw; dir[n] = d;
      oS[n] = d > 0 ? lw : u;
      oD[n] = d;
    }
  };
}

function psar(N: number, col: ColFn): (r: Row) => void {
  const out = col('PSAR');
  const ACC = 0.02, MAX = 0.2;
  const isLong = new Uint8Array(N), af = new Float64Array(N), ep = new Float64Array(N), sar = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t < 1) return;
    for (let n = 0; n < N; n++) {
      const newHigh = r.h[n], newLow = r.l[n];
      let prevHigh: number, prevLow: number;
      if (t === 1) {
        const dP = r.h[n] - r.ph[n], dM = r.pl[n] - r.l[n];
        const long = !(dM > 0 && dP < dM);
        isLong[n] = long ? 1 : 0;
        af[n] = ACC;
        if (long) { ep[n] = r.h[n]; sar[n] = r.pl[n]; } else { ep[n] = r.l[n]; sar[n] = r.ph[n]; }
        prevHigh = newHigh; prevLow = newLow;
      } else {
        prevHigh = r.ph[n]; prevLow = r.pl[n];
      }
      let s = sar[n], e = ep[n], a = af[n];
      if (isLong[n]) {
        if (newLow <= s) {
          isLong[n] = 0;
          s = e;
          if (s < prevHigh) s = prevHigh;
          if (s < newHigh) s = newHigh;
          out[n] = s;
          a = ACC; e = newLow;
          s = s + a * (e - s);
          if (s < prevHigh) s = prevHigh;
          if (s < newHigh) s = newHigh;
        } else {
          out[n] = s;
          if (newHigh > e) { e = newHigh; a += ACC; if (a > MAX) a = MAX; }
          s = s + a * (e - s);
          if (s > prevLow) s = prevLow;
          if (s > newLow) s = newLow;
        }
      } else if (newHigh >= s) {
        isLong[n] = 1;
        s = e;
        if (s > prevLow) s = prevLow;
        if (s > newLow) s = newLow;
        out[n] = s;
        a = ACC; e = newHigh;
        s = s + a * (e - s);
        if (s > prevLow) s = prevLow;
        if (s > newLow) s = newLow;
      } else {
        out[n] = s;
        if (newLow < e) { e = newLow; a += ACC; if (a > MAX) a = MAX; }
        s = s + a * (e - s);
        if (s < prevHigh) s = prevHigh;
        if (s < newHigh) s = newHigh;
      }
      sar[n] = s; ep[n] = e; af[n] = a;
    }
  };
}

function linreg(N: number, col: ColFn): (r: Row) => void {
  const out = col('LINREG_SLOPE_20');
  const W = 20, SX = (W * (W - 1)) / 2, SXX = ((W - 1) * W * (2 * W - 1)) / 6, DEN = W * SXX - SX * SX;
  const S = new Float64Array(N), WS = new Float64Array(N);
  let cnt = 0;
  return (r) => {
    const t = r.t;
    if (t < W - 1) return;
    if (t === W - 1 || ++cnt === 512) {
      cnt = 0;
      for (let n = 0; n < N; n++) {
        let a = 0, b = 0;
        for (let q = 0; q < W; q++) {
          const y = r.cAgo(W - 1 - q)[n];
          a += q * y;
          b += y;
        }
        WS[n] = a;
        S[n] = b;
      }
    } else {
      const old = r.cAgo(W);
      for (let n = 0; n < N; n++) {
        const yo = old[n], yn = r.c[n];
        WS[n] += (W - 1) * yn - (S[n] - yo);
        S[n] += yn - yo;
      }
    }
    for (let n = 0; n < N; n++) out[n] = (W * WS[n] - SX * S[n]) / DEN;
  };
}

const MACD_NAMES = ['MACD_12_26', 'MACD_SIGNAL_9', 'MACD_HIST'] as const;

export const TREND_GROUP: LiveGroupDef = {
  id: 'trend',
  outputs: [
    'EMA_9', 'EMA_21', 'EMA_50', 'SMA_20', 'VWMA_20', 'HMA_21', 'KAMA_10', ...MACD_NAMES, 'PPO_12_26', 'PVO_12_26',
    'TSI_25_13', 'ADX_14', 'PLUS_DI_14', 'MINUS_DI_14', 'AROONOSC_25', 'SUPERTREND_10_3', 'SUPERTREND_DIR', 'PSAR',
    'LINREG_SLOPE_20',
  ],
  make(N, col) {
    const steps = [
      ema(N, col), smaVwma(N, col), hma(N, col), kama(N, col),
      macdLike(N, col, 'c', MACD_NAMES, 'PPO_12_26'), macdLike(N, col, 'v', null, 'PVO_12_26'),
      tsi(N, col), adx(N, col), aroon(N, col), supertrend(N, col), psar(N, col), linreg(N, col),
    ];
    return (r) => {
      for (const s of steps) s(r);
    };
  },
};
