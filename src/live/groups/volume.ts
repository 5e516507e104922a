/**
 * Streaming twin of src/indicators/kernels/volume.ts: OBV/AD per session, ADOSC, MFI, CMF, EFI,
 * volume SMA/RVOL/z-score, time-of-day RVOL, AMIHUD. (PVO_12_26 lives with MACD in trend.ts,
 * as in the batch kernels.)
 *
 * O(1) per bar: OBV/AD are running sums reset at the session open; ADOSC is two EMAs of the
 * continuous A/D line; MFI/CMF/VOL_SMA/VOL_Z/AMIHUD are running sums over ring buffers; EFI is
 * an EMA. The time-of-day ratios keep, for every minute of the session, a ring of that minute's
 * volume (and cumulative volume) over the last 20 sessions that had it, with running sums: an
 * update touches one slot (390 × 20 slots per ticker, 94 KB, O(1) work).
 */
import type { ColFn, LiveGroupDef, Row } from '../row.js';
import { Ema, RollSum } from '../primitives.js';

const clv = (h: number, l: number, c: number) => {
  const r = h - l;
  return r > 0 ? (c - l - (h - c)) / r : 0;
};

function obvAd(N: number, col: ColFn): (r: Row) => void {
  const oO = col('OBV_SESSION'), oA = col('AD_SESSION'), oX = col('ADOSC_3_10');
  const obv = new Float64Array(N), ad = new Float64Array(N), adc = new Float64Array(N);
  const fast = new Float64Array(N), slow = new Float64Array(N);
  const kf = 2 / 4, ks = 2 / 11;
  return (r) => {
    const t = r.t;
    for (let n = 0; n < N; n++) {
      const vv = r.v[n];
      const x = clv(r.h[n], r.l[n], r.c[n]) * vv;
      if (r.first) {
        obv[n] = vv;
        ad[n] = x;
      } else {
        const d = r.c[n] - r.pc[n];
        if (d > 0) obv[n] += vv;
        else if (d < 0) obv[n] -= vv;
        ad[n] += x;
      }
      oO[n] = obv[n];
      oA[n] = ad[n];
      const a = (adc[n] += x);
      if (t === 0) {
        fast[n] = a;
        slow[n] = a;
      } else {
        fast[n] += kf * (a - fast[n]);
        slow[n] += ks * (a - slow[n]);
      }
      if (t >= 9) oX[n] = fast[n] - slow[n];
    }
  };
}

function mfi(N: number, col: ColFn): (r: Row) => void {
  const out = col('MFI_14');
  const pos = new RollSum(N, 14, 1), neg = new RollSum(N, 14, 1);
  const p = new Float64Array(N), q = new Float64Array(N), prev = new Float64Array(N);
  return (r) => {
    const t = r.t;
    for (let n = 0; n < N; n++) {
      const tp = (r.h[n] + r.l[n] + r.c[n]) / 3;
      const f = tp * r.v[n];
      p[n] = tp > prev[n] ? f : 0;
      q[n] = tp < prev[n] ? f : 0;
      prev[n] = tp;
    }
    if (t === 0) return;
    pos.update(t, p, 0);
    neg.update(t, q, 0);
    if (t < 14) return;
    for (let n = 0; n < N; n++) {
      const s = pos.sum[n] + neg.sum[n];
      out[n] = s < 1 ? 0 : (100 * pos.sum[n]) / s;
    }
  };
}

function volRoll(N: number, col: ColFn): (r: Row) => void {
  const oC = col('CMF_20'), oE = col('EFI_13'), oS = col('VOL_SMA_20'), oR = col('RVOL_20'), oZ = col('VOL_Z_20');
  const sv = new RollSum(N, 20, 0), scv = new RollSum(N, 20, 0), lz = new RollSum(N, 20, 0), lz2 = new RollSum(N, 20, 0);
  const efi = new Ema(N, 13, 1);
  const a = new Float64Array(N), b = new Float64Array(N), e = new Float64Array(N), prevSma = new Float64Array(N);
  const lv = new Float64Array(N), cv = new Float64Array(N);
  return (r) => {
    const t = r.t, v = r.v;
    sv.update(t, v, 0);
    for (let n = 0; n < N; n++) cv[n] = clv(r.h[n], r.l[n], r.c[n]) * v[n];
    scv.update(t, cv, 0);
    for (let n = 0; n < N; n++) {
      const x = Math.log1p(v[n]);
      lv[n] = x;
      a[n] = x;
      b[n] = x * x;
    }
    lz.update(t, a, 0);
    lz2.update(t, b, 0);
    if (t >= 1) {
      for (let n = 0; n < N; n++) e[n] = (r.c[n] - r.pc[n]) * v[n];
      efi.update(t, e, 0);
      if (t >= 13) oE.set(efi.y);
    }
    if (t < 19) return;
    for (let n = 0; n < N; n++) {
      const sma = sv.sum[n] / 20;
      oS[n] = sma;
      if (t >= 20) oR[n] = prevSma[n] > 0 ? v[n] / prevSma[n] : NaN;
      prevSma[n] = sma;
      oC[n] = sv.sum[n] > 0 ? scv.sum[n] / sv.sum[n] : 0;
      const m = lz.sum[n] / 20;
      const va = lz2.sum[n] / 20 - m * m;
      oZ[n] = va > 1e-10 ? (lv[n] - m) / Math.sqrt(va) : 0;
    }
  };
}

function todVolume(N: number, col: ColFn): (r: Row) => void {
  const oC = col('CUM_VOL_SESSION'), oR = col('RVOL_TOD_20D'), oX = col('CUM_VOL_TOD_RATIO');
  const D = 20, MIN = 5, M = 390;
  const cum = new Float64Array(N);
  // volumes are float32 values (exact in a Float32Array); cumulative volumes need float64
  const ringV = new Float32Array(M * D * N), ringC = new Float64Array(M * D * N);
  const cnt = new Int32Array(M);
  const sumV = new Float64Array(M * N), sumC = new Float64Array(M * N);
  return (r) => {
    const m = r.m;
    if (m >= M) throw new Error(`live: minute of session ${m} beyond ${M}`);
    const k = Math.min(cnt[m], D);
    const slot = ((cnt[m] % D) * M + m) * N;
    for (let n = 0; n < N; n++) {
      const vv = r.v[n];
      const cv = r.first ? vv : cum[n] + vv;
      cum[n] = cv;
      oC[n] = cv;
      const i = m * N + n;
      if (k >= MIN) {
        oR[n] = sumV[i] > 0 ? vv / (sumV[i] / k) : NaN;
        oX[n] = sumC[i] > 0 ? cv / (sumC[i] / k) : NaN;
      }
      if (k === D) {
        sumV[i] -= ringV[slot + n];
        sumC[i] -= ringC[slot + n];
      }
      sumV[i] += vv;
      sumC[i] += cv;
      ringV[slot + n] = vv;
      ringC[slot + n] = cv;
    }
    cnt[m]++;
  };
}

function amihud(N: number, col: ColFn): (r: Row) => void {
  const out = col('AMIHUD_30');
  const s = new RollSum(N, 30, 1), k = new RollSum(N, 30, 1);
  const a = new Float64Array(N), b = new Float64Array(N);
  return (r) => {
    const t = r.t;
    if (t < 1) return;
    for (let n = 0; n < N; n++) {
      const vv = r.v[n];
      if (vv > 0) {
        a[n] = Math.abs(Math.log(r.c[n] / r.pc[n])) / (r.c[n] * vv);
        b[n] = 1;
      } else {
        a[n] = 0;
        b[n] = 0;
      }
    }
    s.update(t, a, 0);
    k.update(t, b, 0);
    if (t < 30) return;
    for (let n = 0; n < N; n++) out[n] = k.sum[n] > 0.5 ? s.sum[n] / k.sum[n] : NaN;
  };
}

export const VOLUME_GROUP: LiveGroupDef = {
  id: 'volume',
  outputs: [
    'OBV_SESSION', 'AD_SESSION', 'ADOSC_3_10', 'MFI_14', 'CMF_20', 'EFI_13', 'VOL_SMA_20', 'RVOL_20', 'VOL_Z_20',
    'CUM_VOL_SESSION', 'RVOL_TOD_20D', 'CUM_VOL_TOD_RATIO', 'AMIHUD_30',
  ],
  make(N, col) {
    const steps = [obvAd, mfi, volRoll, todVolume, amihud].map((f) => f(N, col));
    return (r) => {
      for (const s of steps) s(r);
    };
  },
};
