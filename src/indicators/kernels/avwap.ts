/**
 * Anchored VWAP family. All sums are Float64 and re-centred on the anchor price
 * (Δ = tp − c_A, c_A = tp of the anchor bar), and the anchor bar itself is included.
 * Σv = 0 since the anchor (only missing/zero-volume bars): the VWAP is the anchor price c_A and
 * σ = 0 (so bands collapse onto it and Z is NaN).
 */
import type { Ctx, KernelDef } from '../engine.js';

const tpAt = (ctx: Ctx, i: number) => (ctx.h[i] + ctx.l[i] + ctx.c[i]) / 3;

/** AVWAP_SESSION + SD, bands, Z, DIST, SLOPE5, and AVWAP_DAILY (two-session VWAP). */
export const avwapSession: KernelDef = {
  id: 'avwap-session',
  outputs: [
    'AVWAP_SESSION', 'AVWAP_SESSION_SD', 'AVWAP_SESSION_U1', 'AVWAP_SESSION_L1', 'AVWAP_SESSION_U2',
    'AVWAP_SESSION_L2', 'AVWAP_SESSION_U3', 'AVWAP_SESSION_L3', 'AVWAP_SESSION_Z',
    'AVWAP_SESSION_DIST_PCT', 'AVWAP_SESSION_SLOPE5', 'AVWAP_DAILY',
  ],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, v, sessStart } = ctx;
    const oA = ctx.col('AVWAP_SESSION'), oSD = ctx.col('AVWAP_SESSION_SD');
    const oU1 = ctx.col('AVWAP_SESSION_U1'), oL1 = ctx.col('AVWAP_SESSION_L1');
    const oU2 = ctx.col('AVWAP_SESSION_U2'), oL2 = ctx.col('AVWAP_SESSION_L2');
    const oU3 = ctx.col('AVWAP_SESSION_U3'), oL3 = ctx.col('AVWAP_SESSION_L3');
    const oZ = ctx.col('AVWAP_SESSION_Z'), oD = ctx.col('AVWAP_SESSION_DIST_PCT');
    const oS = ctx.col('AVWAP_SESSION_SLOPE5'), oDaily = ctx.col('AVWAP_DAILY');
    const bands = oU1 || oL1 || oU2 || oL2 || oU3 || oL3;
    const cA = new Float64Array(N), sv = new Float64Array(N), svd = new Float64Array(N), svd2 = new Float64Array(N);
    // previous session's totals (relative to its own anchor pA), for AVWAP_DAILY
    const pA = new Float64Array(N), pSv = new Float64Array(N), pSvd = new Float64Array(N);
    const ring = new Float64Array(5 * N); // AVWAP of the last 5 rows, for SLOPE5
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const k = t - sessStart[t];
        const base = t * N;
        const lo = (t - t0) * N;
        if (k === 0) {
          const first = t === 0;
          for (let n = 0; n < N; n++) {
            const tp = (h[base + n] + l[base + n] + c[base + n]) / 3;
            if (first) {
              pA[n] = tp; pSv[n] = 0; pSvd[n] = 0;
            } else {
              pA[n] = cA[n]; pSv[n] = sv[n]; pSvd[n] = svd[n];
            }
            cA[n] = tp; sv[n] = 0; svd[n] = 0; svd2[n] = 0;
          }
        }
        const rs = (t % 5) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const a = cA[n];
          const dd = (h[i] + l[i] + c[i]) / 3 - a;
          const vv = v[i];
          const s0 = sv[n] + vv, s1 = svd[n] + vv * dd, s2 = svd2[n] + vv * dd * dd;
          sv[n] = s0; svd[n] = s1; svd2[n] = s2;
          let m = 0, sd = 0;
          if (s0 > 0) {
            m = s1 / s0;
            const va = s2 / s0 - m * m;
            sd = va > 0 ? Math.sqrt(va) : 0;
          }
          const vw = a + m;
          const j = lo + n;
          if (oA) oA[(j) * FS] = vw;
          if (oSD) oSD[(j) * FS] = sd;
          if (bands) {
            if (oU1) oU1[(j) * FS] = vw + sd;
            if (oL1) oL1[(j) * FS] = vw - sd;
            if (oU2) oU2[(j) * FS] = vw + 2 * sd;
            if (oL2) oL2[(j) * FS] = vw - 2 * sd;
            if (oU3) oU3[(j) * FS] = vw + 3 * sd;
            if (oL3) oL3[(j) * FS] = vw - 3 * sd;
          }
          const cc = c[i];
          if (oZ && k >= 5 && sd >= 1e-5 * Math.abs(cc)) oZ[(j) * FS] = (cc - vw) / sd;
          if (oD) oD[(j) * FS] = 100 * (cc / vw - 1);
          if (oS) {
            if (k >= 5) oS[(j) * FS] = 1e4 * (vw / ring[rs + n] - 1);
            ring[rs + n] = vw;
          }
          if (oDaily) {
            const p = pA[n];
            const tv = pSv[n] + s0;
            oDaily[(j) * FS] = tv > 0 ? p + (pSvd[n] + s1 + s0 * (a - p)) / tv : p;
          }
        }
      }
    };
  },
};

function weekKey(date: string): number {
  const days = Math.floor(Date.parse(date + 'T00:00:00Z') / 86_400_000);
  return Math.floor((days + 3) / 7); // weeks start on Monday (1970-01-01 was a Thursday)
}

/** AVWAP_WEEKLY (+Z) and AVWAP_MONTHLY: anchors at the first session of the week / month (clipped to the panel's first bar). */
export const avwapCalendar: KernelDef = {
  id: 'avwap-calendar',
  outputs: ['AVWAP_WEEKLY', 'AVWAP_WEEKLY_Z', 'AVWAP_MONTHLY'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, v, panel } = ctx;
    const oW = ctx.col('AVWAP_WEEKLY'), oWZ = ctx.col('AVWAP_WEEKLY_Z'), oM = ctx.col('AVWAP_MONTHLY');
    const S = panel.sessions.length;
    const newWeek = new Uint8Array(S), newMonth = new Uint8Array(S);
    for (let s = 0; s < S; s++) {
      const d = panel.sessions[s].date;
      newWeek[s] = s === 0 || weekKey(d) !== weekKey(panel.sessions[s - 1].date) ? 1 : 0;
      newMonth[s] = s === 0 || d.slice(0, 7) !== panel.sessions[s - 1].date.slice(0, 7) ? 1 : 0;
    }
    const wA = new Float64Array(N), wSv = new Float64Array(N), wSvd = new Float64Array(N), wSvd2 = new Float64Array(N);
    const mA = new Float64Array(N), mSv = new Float64Array(N), mSvd = new Float64Array(N);
    let wStart = 0;
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const si = panel.sessionOfRow[t];
        if (ctx.sessStart[t] === t) {
          const rw = newWeek[si] === 1, rm = newMonth[si] === 1;
          if (rw) wStart = t;
          for (let n = 0; n < N; n++) {
            const tp = (h[base + n] + l[base + n] + c[base + n]) / 3;
            if (rw) { wA[n] = tp; wSv[n] = 0; wSvd[n] = 0; wSvd2[n] = 0; }
            if (rm) { mA[n] = tp; mSv[n] = 0; mSvd[n] = 0; }
          }
        }
        const kw = t - wStart;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const tp = (h[i] + l[i] + c[i]) / 3;
          const vv = v[i];
          const j = lo + n;
          if (oW || oWZ) {
            const dd = tp - wA[n];
            const s0 = (wSv[n] += vv), s1 = (wSvd[n] += vv * dd), s2 = (wSvd2[n] += vv * dd * dd);
            const m = s0 > 0 ? s1 / s0 : 0;
            const vw = wA[n] + m;
            if (oW) oW[(j) * FS] = vw;
            if (oWZ && kw >= 5 && s0 > 0) {
              const va = s2 / s0 - m * m;
              const sd = va > 0 ? Math.sqrt(va) : 0;
              if (sd >= 1e-5 * Math.abs(c[i])) oWZ[(j) * FS] = (c[i] - vw) / sd;
            }
          }
          if (oM) {
            const dd = tp - mA[n];
            const s0 = (mSv[n] += vv), s1 = (mSvd[n] += vv * dd);
            oM[(j) * FS] = s0 > 0 ? mA[n] + s1 / s0 : mA[n];
          }
        }
      }
    };
  },
};

/** An anchored accumulator per lane that can be re-anchored at a past row. */
class Anchored {
  readonly a: Float64Array;
  readonly sv: Float64Array;
  readonly svd: Float64Array;
  readonly has: Uint8Array;
  constructor(N: number) {
    this.a = new Float64Array(N);
    this.sv = new Float64Array(N);
    this.svd = new Float64Array(N);
    this.has = new Uint8Array(N);
  }
  /** Anchor lane n at row r and accumulate rows r..t (inclusive). */
  reanchor(ctx: Ctx, n: number, r: number, t: number): void {
    const N = ctx.N;
    const a = tpAt(ctx, r * N + n);
    let s0 = 0, s1 = 0;
    for (let q = r; q <= t; q++) {
      const i = q * N + n;
      const vv = ctx.v[i];
      s0 += vv;
      s1 += vv * ((ctx.h[i] + ctx.l[i] + ctx.c[i]) / 3 - a);
    }
    this.a[n] = a; this.sv[n] = s0; this.svd[n] = s1; this.has[n] = 1;
  }
  add(n: number, tp: number, vv: number): void {
    this.sv[n] += vv;
    this.svd[n] += vv * (tp - this.a[n]);
  }
  value(n: number): number {
    if (!this.has[n]) return NaN;
    const s0 = this.sv[n];
    return s0 > 0 ? this.a[n] + this.svd[n] / s0 : this.a[n];
  }
}

/** AVWAP_PDH / AVWAP_PDL: anchored at the bar of the prior session's high / low (first such bar). */
export const avwapPriorDay: KernelDef = {
  id: 'avwap-pd',
  outputs: ['AVWAP_PDH', 'AVWAP_PDL'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, v, sessStart } = ctx;
    const oH = ctx.col('AVWAP_PDH'), oL = ctx.col('AVWAP_PDL');
    const AH = new Anchored(N), AL = new Anchored(N);
    const hiV = new Float64Array(N), hiR = new Int32Array(N), loV = new Float64Array(N), loR = new Int32Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const first = sessStart[t] === t;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          if (first && t > 0) {
            // anchors from the session that just ended, accumulated up to its last bar
            if (oH) AH.reanchor(ctx, n, hiR[n], t - 1);
            if (oL) AL.reanchor(ctx, n, loR[n], t - 1);
          }
          if (first || h[i] > hiV[n]) { hiV[n] = h[i]; hiR[n] = t; }
          if (first || l[i] < loV[n]) { loV[n] = l[i]; loR[n] = t; }
          const tp = (h[i] + l[i] + c[i]) / 3;
          if (oH && AH.has[n]) { AH.add(n, tp, v[i]); oH[(lo + n) * FS] = AH.value(n); }
          if (oL && AL.has[n]) { AL.add(n, tp, v[i]); oL[(lo + n) * FS] = AL.value(n); }
        }
      }
    };
  },
};

/** AVWAP_GAP: anchored at 09:30 of the last session that opened ≥ 2% away from the prior close. */
export const avwapGap: KernelDef = {
  id: 'avwap-gap',
  outputs: ['AVWAP_GAP'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, o, h, l, c, v, sessStart } = ctx;
    const out = ctx.col('AVWAP_GAP')!;
    const A = new Anchored(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const first = sessStart[t] === t && t > 0;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const tp = (h[i] + l[i] + c[i]) / 3;
          if (first && Math.abs(o[i] / c[i - N] - 1) >= 0.02) A.reanchor(ctx, n, t, t);
          else if (A.has[n]) A.add(n, tp, v[i]);
          if (A.has[n]) out[(lo + n) * FS] = A.value(n);
        }
      }
    };
  },
};

/** AVWAP_HVOL: anchored at today's highest-volume bar so far (first such bar; moves during the day). */
export const avwapHvol: KernelDef = {
  id: 'avwap-hvol',
  outputs: ['AVWAP_HVOL'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, v, sessStart } = ctx;
    const out = ctx.col('AVWAP_HVOL')!;
    const mv = new Float64Array(N), a = new Float64Array(N), sv = new Float64Array(N), svd = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const first = sessStart[t] === t;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const tp = (h[i] + l[i] + c[i]) / 3;
          const vv = v[i];
          if (first || vv > mv[n]) {
            mv[n] = vv; a[n] = tp; sv[n] = vv; svd[n] = 0;
          } else {
            sv[n] += vv; svd[n] += vv * (tp - a[n]);
          }
          out[(lo + n) * FS] = sv[n] > 0 ? a[n] + svd[n] / sv[n] : a[n];
        }
      }
    };
  },
};

/**
 * AVWAP_SWING_HIGH / LOW: anchored at the latest confirmed pivot. A pivot high at p has
 * h_p > every high of the 5 bars before and h_p ≥ every high of the 5 bars after; it becomes
 * known at p + 5 (never earlier), when the anchor moves back to p. Continuous across sessions.
 */
export const avwapSwing: KernelDef = {
  id: 'avwap-swing',
  outputs: ['AVWAP_SWING_HIGH', 'AVWAP_SWING_LOW'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c, v } = ctx;
    const oH = ctx.col('AVWAP_SWING_HIGH'), oL = ctx.col('AVWAP_SWING_LOW');
    const AH = new Anchored(N), AL = new Anchored(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const p = t - 5;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const tp = (h[i] + l[i] + c[i]) / 3;
          let newH = false, newL = false;
          if (p >= 5) {
            const ip = p * N + n;
            const hp = h[ip], lp = l[ip];
            newH = oH !== null;
            newL = oL !== null;
            for (let q = 1; q <= 5 && (newH || newL); q++) {
              const ib = ip - q * N, ia = ip + q * N;
              if (newH && (h[ib] >= hp || h[ia] > hp)) newH = false;
              if (newL && (l[ib] <= lp || l[ia] < lp)) newL = false;
            }
          }
          if (oH) {
            if (newH) AH.reanchor(ctx, n, p, t);
            else if (AH.has[n]) AH.add(n, tp, v[i]);
            if (AH.has[n]) oH[(lo + n) * FS] = AH.value(n);
          }
          if (oL) {
            if (newL) AL.reanchor(ctx, n, p, t);
            else if (AL.has[n]) AL.add(n, tp, v[i]);
            if (AL.has[n]) oL[(lo + n) * FS] = AL.value(n);
          }
        }
      }
    };
  },
};

export const AVWAP_KERNELS: KernelDef[] = [avwapSession, avwapCalendar, avwapPriorDay, avwapGap, avwapHvol, avwapSwing];
