/**
 * Plain float64 reference definitions, one ticker at a time, written for clarity (naive loops,
 * direct sums, no rolling tricks): the oracle for the 68 outputs without a TA-Lib counterpart.
 */
import type { Panel } from '../../src/data/panel.js';

const NaNs = (T: number) => new Array<number>(T).fill(NaN);

function emaPlain(x: number[], n: number, s0: number): number[] {
  const y = NaNs(x.length);
  if (x.length < s0 + n) return y;
  let m = 0;
  for (let t = s0; t < s0 + n; t++) m += x[t];
  m /= n;
  y[s0 + n - 1] = m;
  const k = 2 / (n + 1);
  for (let t = s0 + n; t < x.length; t++) y[t] = m = m + k * (x[t] - m);
  return y;
}

function wmaPlain(x: number[], n: number, t: number): number {
  let a = 0;
  for (let q = 0; q < n; q++) a += (q + 1) * x[t - n + 1 + q];
  return a / ((n * (n + 1)) / 2);
}

const sum = (x: number[], a: number, b: number) => {
  let s = 0;
  for (let t = a; t <= b; t++) s += x[t];
  return s;
};

function weekKey(date: string): number {
  const days = Math.floor(Date.parse(date + 'T00:00:00Z') / 86_400_000);
  return Math.floor((days + 3) / 7);
}

export function referenceFor(p: Panel, n: number): Record<string, number[]> {
  const T = p.T, N = p.N;
  const o: number[] = [], h: number[] = [], l: number[] = [], c: number[] = [], v: number[] = [];
  for (let t = 0; t < T; t++) {
    o.push(p.open[t * N + n]); h.push(p.high[t * N + n]); l.push(p.low[t * N + n]); c.push(p.close[t * N + n]); v.push(p.volume[t * N + n]);
  }
  const tp = h.map((_, t) => (h[t] + l[t] + c[t]) / 3);
  const sess = Array.from(p.sessionOfRow);
  const start = sess.map((s) => p.sessions[s].start);
  const R: Record<string, number[]> = {};
  const out = (name: string) => (R[name] = NaNs(T));

  // anchored VWAP from row a to row t, plain: Σv·tp/Σv (anchor price if Σv = 0), and σ
  const vwap = (a: number, t: number) => {
    const sv = sum(v, a, t);
    if (!(sv > 0)) return { m: tp[a], sd: 0 };
    let s1 = 0;
    for (let q = a; q <= t; q++) s1 += v[q] * tp[q];
    const m = s1 / sv;
    let s2 = 0;
    for (let q = a; q <= t; q++) s2 += v[q] * (tp[q] - m) ** 2;
    return { m, sd: Math.sqrt(s2 / sv) };
  };

  // --- AVWAP family
  for (const nm of ['AVWAP_SESSION', 'AVWAP_SESSION_SD', 'AVWAP_SESSION_U1', 'AVWAP_SESSION_L1', 'AVWAP_SESSION_U2', 'AVWAP_SESSION_L2', 'AVWAP_SESSION_U3', 'AVWAP_SESSION_L3', 'AVWAP_SESSION_Z', 'AVWAP_SESSION_DIST_PCT', 'AVWAP_SESSION_SLOPE5', 'AVWAP_DAILY', 'AVWAP_WEEKLY', 'AVWAP_WEEKLY_Z', 'AVWAP_MONTHLY', 'AVWAP_PDH', 'AVWAP_PDL', 'AVWAP_GAP', 'AVWAP_HVOL', 'AVWAP_SWING_HIGH', 'AVWAP_SWING_LOW']) out(nm);
  const firstOfWeek = new Map<number, number>(), firstOfMonth = new Map<string, number>();
  p.sessions.forEach((s) => {
    if (!firstOfWeek.has(weekKey(s.date))) firstOfWeek.set(weekKey(s.date), s.start);
    if (!firstOfMonth.has(s.date.slice(0, 7))) firstOfMonth.set(s.date.slice(0, 7), s.start);
  });
  const pivotH = (q: number) => {
    if (q < 5 || q + 5 >= T) return false;
    for (let k = 1; k <= 5; k++) if (h[q - k] >= h[q] || h[q + k] > h[q]) return false;
    return true;
  };
  const pivotL = (q: number) => {
    if (q < 5 || q + 5 >= T) return false;
    for (let k = 1; k <= 5; k++) if (l[q - k] <= l[q] || l[q + k] < l[q]) return false;
    return true;
  };
  for (let t = 0; t < T; t++) {
    const s = sess[t], a = start[t], k = t - a;
    const { m, sd } = vwap(a, t);
    R.AVWAP_SESSION[t] = m;
    R.AVWAP_SESSION_SD[t] = sd;
    for (const j of [1, 2, 3]) {
      R[`AVWAP_SESSION_U${j}`][t] = m + j * sd;
      R[`AVWAP_SESSION_L${j}`][t] = m - j * sd;
    }
    if (k >= 5 && sd >= 1e-5 * Math.abs(c[t])) R.AVWAP_SESSION_Z[t] = (c[t] - m) / sd;
    R.AVWAP_SESSION_DIST_PCT[t] = 100 * (c[t] / m - 1);
    if (k >= 5) R.AVWAP_SESSION_SLOPE5[t] = 1e4 * (m / vwap(a, t - 5).m - 1);
    R.AVWAP_DAILY[t] = vwap(s > 0 ? p.sessions[s - 1].start : a, t).m;
    const w = firstOfWeek.get(weekKey(p.sessions[s].date))!;
    const W = vwap(w, t);
    R.AVWAP_WEEKLY[t] = W.m;
    if (t - w >= 5 && W.sd >= 1e-5 * Math.abs(c[t])) R.AVWAP_WEEKLY_Z[t] = (c[t] - W.m) / W.sd;
    R.AVWAP_MONTHLY[t] = vwap(firstOfMonth.get(p.sessions[s].date.slice(0, 7))!, t).m;
    if (s > 0) {
      const ps = p.sessions[s - 1];
      let ih = ps.start, il = ps.start;
      for (let q = ps.start; q < ps.start + ps.bars; q++) {
        if (h[q] > h[ih]) ih = q;
        if (l[q] < l[il]) il = q;
      }
      R.AVWAP_PDH[t] = vwap(ih, t).m;
      R.AVWAP_PDL[t] = vwap(il, t).m;
    }
    for (let g = s; g >= 1; g--) {
      const gs = p.sessions[g].start;
      if (Math.abs(o[gs] / c[gs - 1] - 1) >= 0.02) {
        R.AVWAP_GAP[t] = vwap(gs, t).m;
        break;
      }
    }
    let hv = a;
    for (let q = a; q <= t; q++) if (v[q] > v[hv]) hv = q;
    R.AVWAP_HVOL[t] = vwap(hv, t).m;
    for (let q = t - 5; q >= 5; q--) if (pivotH(q)) { R.AVWAP_SWING_HIGH[t] = vwap(q, t).m; break; }
    for (let q = t - 5; q >= 5; q--) if (pivotL(q)) { R.AVWAP_SWING_LOW[t] = vwap(q, t).m; break; }
  }

  // --- trend
  out('VWMA_20'); out('HMA_21');
  for (let t = 19; t < T; t++) {
    const sv = sum(v, t - 19, t);
    let svc = 0;
    for (let q = t - 19; q <= t; q++) svc += v[q] * c[q];
    R.VWMA_20[t] = sv > 0 ? svc / sv : sum(c, t - 19, t) / 20;
  }
  const hd = NaNs(T);
  for (let t = 20; t < T; t++) hd[t] = 2 * wmaPlain(c, 10, t) - wmaPlain(c, 21, t);
  for (let t = 23; t < T; t++) R.HMA_21[t] = wmaPlain(hd, 4, t);

  const tr = NaNs(T);
  for (let t = 1; t < T; t++) tr[t] = Math.max(h[t], c[t - 1]) - Math.min(l[t], c[t - 1]);
  const wilder = (n: number) => {
    const y = NaNs(T);
    let m = sum(tr, 1, n) / n;
    y[n] = m;
    for (let t = n + 1; t < T; t++) y[t] = m = (m * (n - 1) + tr[t]) / n;
    return y;
  };
  const atr10 = wilder(10), atr14 = wilder(14);
  // pandas-ta supertrend loop, on ATR(10)
  out('SUPERTREND_10_3'); out('SUPERTREND_DIR');
  {
    const ub = NaNs(T), lb = NaNs(T), dir = new Array<number>(T).fill(1);
    for (let t = 10; t < T; t++) {
      ub[t] = (h[t] + l[t]) / 2 + 3 * atr10[t];
      lb[t] = (h[t] + l[t]) / 2 - 3 * atr10[t];
    }
    for (let t = 10; t < T; t++) {
      if (t > 10) {
        if (c[t] > ub[t - 1]) dir[t] = 1;
        else if (c[t] < lb[t - 1]) dir[t] = -1;
        else {
          dir[t] = dir[t - 1];
          if (dir[t] > 0 && lb[t] < lb[t - 1]) lb[t] = lb[t - 1];
          if (dir[t] < 0 && ub[t] > ub[t - 1]) ub[t] = ub[t - 1];
        }
      }
      R.SUPERTREND_10_3[t] = dir[t] > 0 ? lb[t] : ub[t];
      R.SUPERTREND_DIR[t] = dir[t];
    }
  }
  // TSI
  out('TSI_25_13');
  {
    const d = c.map((x, t) => (t === 0 ? NaN : x - c[t - 1]));
    const e1 = emaPlain(d, 25, 1), a1 = emaPlain(d.map(Math.abs), 25, 1);
    const e2 = emaPlain(e1, 13, 25), a2 = emaPlain(a1, 13, 25);
    for (let t = 37; t < T; t++) R.TSI_25_13[t] = a2[t] > 0 ? (100 * e2[t]) / a2[t] : 0;
  }
  // squeeze + Keltner
  out('SQZ_MOM'); out('SQZ_ON'); out('KC_UPPER_20_2'); out('KC_LOWER_20_2');
  {
    for (let t = 17; t < T; t++) {
      let m = 0;
      for (let q = t - 5; q <= t; q++) m += c[q] - c[q - 12];
      R.SQZ_MOM[t] = m / 6;
    }
    for (let t = 20; t < T; t++) {
      const mean = sum(c, t - 19, t) / 20;
      let va = 0;
      for (let q = t - 19; q <= t; q++) va += (c[q] - mean) ** 2;
      const sd = Math.sqrt(va / 20);
      const r = (1.5 * sum(tr, t - 19, t)) / 20;
      R.SQZ_ON[t] = mean + 2 * sd < mean + r && mean - 2 * sd > mean - r ? 1 : 0;
    }
    const ec = emaPlain(c, 20, 0), et = emaPlain(tr, 20, 1);
    for (let t = 20; t < T; t++) {
      R.KC_UPPER_20_2[t] = ec[t] + 2 * et[t];
      R.KC_LOWER_20_2[t] = ec[t] - 2 * et[t];
    }
  }
  // range volatility
  out('PARKINSON_30'); out('GK_30'); out('RANGE_PCT');
  for (let t = 0; t < T; t++) {
    R.RANGE_PCT[t] = (100 * (h[t] - l[t])) / c[t];
    if (t < 29) continue;
    let pk = 0, gk = 0;
    for (let q = t - 29; q <= t; q++) {
      pk += Math.log(h[q] / l[q]) ** 2;
      gk += 0.5 * Math.log(h[q] / l[q]) ** 2 - (2 * Math.LN2 - 1) * Math.log(c[q] / o[q]) ** 2;
    }
    R.PARKINSON_30[t] = Math.sqrt(pk / (4 * Math.LN2 * 30));
    R.GK_30[t] = Math.sqrt(Math.max(gk / 30, 0));
  }
  // volume
  out('CMF_20'); out('EFI_13'); out('RVOL_20'); out('RVOL_TOD_20D'); out('CUM_VOL_SESSION'); out('CUM_VOL_TOD_RATIO'); out('VOL_Z_20'); out('AMIHUD_30');
  {
    const clv = (t: number) => (h[t] > l[t] ? (c[t] - l[t] - (h[t] - c[t])) / (h[t] - l[t]) : 0);
    for (let t = 19; t < T; t++) {
      const sv = sum(v, t - 19, t);
      let s = 0;
      for (let q = t - 19; q <= t; q++) s += clv(q) * v[q];
      R.CMF_20[t] = sv > 0 ? s / sv : 0;
      if (t >= 20) {
        const prev = sum(v, t - 20, t - 1) / 20;
        R.RVOL_20[t] = prev > 0 ? v[t] / prev : NaN;
      }
      const lv = [];
      for (let q = t - 19; q <= t; q++) lv.push(Math.log1p(v[q]));
      const mean = lv.reduce((a, b) => a + b) / 20;
      const va = lv.reduce((a, b) => a + (b - mean) ** 2, 0) / 20;
      R.VOL_Z_20[t] = va > 1e-10 ? (Math.log1p(v[t]) - mean) / Math.sqrt(va) : 0;
    }
    const fi = c.map((x, t) => (t === 0 ? NaN : (x - c[t - 1]) * v[t]));
    R.EFI_13 = emaPlain(fi, 13, 1);
    const cum = NaNs(T);
    for (let t = 0; t < T; t++) cum[t] = (t === start[t] ? 0 : cum[t - 1]) + v[t];
    R.CUM_VOL_SESSION = cum.slice();
    for (let t = 0; t < T; t++) {
      const s = sess[t], m = t - start[t];
      const prior: number[] = [];
      for (let g = s - 1; g >= 0 && prior.length < 20; g--) if (p.sessions[g].bars > m) prior.push(p.sessions[g].start + m);
      if (prior.length < 5) continue;
      const mv = prior.reduce((a, q) => a + v[q], 0) / prior.length;
      const mc = prior.reduce((a, q) => a + cum[q], 0) / prior.length;
      R.RVOL_TOD_20D[t] = mv > 0 ? v[t] / mv : NaN;
      R.CUM_VOL_TOD_RATIO[t] = mc > 0 ? cum[t] / mc : NaN;
    }
    for (let t = 30; t < T; t++) {
      let s = 0, k = 0;
      for (let q = t - 29; q <= t; q++) if (v[q] > 0) { s += Math.abs(Math.log(c[q] / c[q - 1])) / (c[q] * v[q]); k++; }
      R.AMIHUD_30[t] = k > 0 ? s / k : NaN;
    }
  }
  // price / session / time
  for (const k of [1, 5, 15, 30, 60]) {
    out(`RET_${k}`);
    for (let t = k; t < T; t++) R[`RET_${k}`][t] = Math.log(c[t] / c[t - k]);
  }
  for (const nm of ['RET_SESSION', 'GAP_PCT', 'SIGNED_RUN', 'UPPER_WICK_PCT', 'LOWER_WICK_PCT', 'CLV', 'HOD', 'LOD', 'POS_IN_DAY_RANGE', 'DIST_HOD_ATR', 'DIST_LOD_ATR', 'ORH_15', 'ORL_15', 'ORB_STATE_15', 'PDH', 'PDL', 'PDC', 'ROLL_SPREAD_30', 'MINUTE_OF_SESSION', 'TOD_SIN', 'TOD_COS', 'MINUTES_TO_CLOSE']) out(nm);
  let run = 0;
  for (let t = 0; t < T; t++) {
    const s = sess[t], a = start[t], m = t - a;
    R.RET_SESSION[t] = Math.log(c[t] / o[a]);
    if (s > 0) R.GAP_PCT[t] = 100 * (o[a] / c[a - 1] - 1);
    run = t === 0 || c[t] === c[t - 1] ? 0 : c[t] > c[t - 1] ? (run > 0 ? run + 1 : 1) : run < 0 ? run - 1 : -1;
    R.SIGNED_RUN[t] = run;
    const r = h[t] - l[t];
    R.UPPER_WICK_PCT[t] = r > 0 ? (h[t] - Math.max(o[t], c[t])) / r : 0;
    R.LOWER_WICK_PCT[t] = r > 0 ? (Math.min(o[t], c[t]) - l[t]) / r : 0;
    R.CLV[t] = r > 0 ? (c[t] - l[t] - (h[t] - c[t])) / r : 0;
    const hod = Math.max(...h.slice(a, t + 1)), lod = Math.min(...l.slice(a, t + 1));
    R.HOD[t] = hod;
    R.LOD[t] = lod;
    R.POS_IN_DAY_RANGE[t] = hod > lod ? (c[t] - lod) / (hod - lod) : 0.5;
    if (t >= 14) {
      R.DIST_HOD_ATR[t] = atr14[t] > 0 ? (hod - c[t]) / atr14[t] : 0;
      R.DIST_LOD_ATR[t] = atr14[t] > 0 ? (c[t] - lod) / atr14[t] : 0;
    }
    if (m >= 15) {
      const orh = Math.max(...h.slice(a, a + 15)), orl = Math.min(...l.slice(a, a + 15));
      R.ORH_15[t] = orh;
      R.ORL_15[t] = orl;
      R.ORB_STATE_15[t] = c[t] > orh ? 1 : c[t] < orl ? -1 : 0;
    }
    if (s > 0) {
      const ps = p.sessions[s - 1];
      R.PDH[t] = Math.max(...h.slice(ps.start, ps.start + ps.bars));
      R.PDL[t] = Math.min(...l.slice(ps.start, ps.start + ps.bars));
      R.PDC[t] = c[ps.start + ps.bars - 1];
    }
    if (t >= 31) {
      const x: number[] = [], y: number[] = [];
      for (let q = t - 29; q <= t; q++) {
        x.push(c[q] - c[q - 1]);
        y.push(c[q - 1] - c[q - 2]);
      }
      const mx = x.reduce((aa, b) => aa + b) / 30, my = y.reduce((aa, b) => aa + b) / 30;
      const cov = x.reduce((aa, b, i) => aa + (b - mx) * (y[i] - my), 0) / 30;
      R.ROLL_SPREAD_30[t] = cov < 0 ? (2 * Math.sqrt(-cov)) / c[t] : 0;
    }
    R.MINUTE_OF_SESSION[t] = m;
    R.TOD_SIN[t] = Math.sin((2 * Math.PI * m) / 390);
    R.TOD_COS[t] = Math.cos((2 * Math.PI * m) / 390);
    R.MINUTES_TO_CLOSE[t] = p.sessions[s].bars - 1 - m;
  }
  return R;
}
