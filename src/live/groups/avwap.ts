/**
 * Streaming twin of src/indicators/kernels/avwap.ts: the anchored-VWAP family.
 *
 * Every anchor keeps three running sums per ticker (Σv, Σv·Δ, Σv·Δ² with Δ = tp − c_A, c_A the
 * anchor bar's typical price, the anchor bar included), so a new bar is O(1). Anchors move with
 * the calendar: session (each session's first bar), prior-session (the two-session AVWAP_DAILY
 * keeps the ended session's totals), week (first session of a Monday-based week), month.
 *
 * The anchors the batch engine re-anchors in the past are kept O(1) as well:
 * - AVWAP_PDH / PDL: during a session we keep an accumulator anchored at the running high (low)
 *   bar, restarted whenever a new high (low) prints; at the next session's open it already holds
 *   exactly the sums the batch engine rebuilds from the high bar to the close.
 * - AVWAP_SWING_*: a pivot at p is confirmed at p + 5; the last 11 bars sit in a ring, so the
 *   re-anchoring sums 6 bars (a constant).
 */
import type { ColFn, LiveGroupDef, Row } from '../row.js';
import { tpOf } from '../row.js';

const OUT_SESSION = [
  'AVWAP_SESSION', 'AVWAP_SESSION_SD', 'AVWAP_SESSION_U1', 'AVWAP_SESSION_L1', 'AVWAP_SESSION_U2',
  'AVWAP_SESSION_L2', 'AVWAP_SESSION_U3', 'AVWAP_SESSION_L3', 'AVWAP_SESSION_Z',
  'AVWAP_SESSION_DIST_PCT', 'AVWAP_SESSION_SLOPE5', 'AVWAP_DAILY',
] as const;

function session(N: number, col: ColFn): (r: Row) => void {
  const oA = col('AVWAP_SESSION'), oSD = col('AVWAP_SESSION_SD');
  const oU1 = col('AVWAP_SESSION_U1'), oL1 = col('AVWAP_SESSION_L1');
  const oU2 = col('AVWAP_SESSION_U2'), oL2 = col('AVWAP_SESSION_L2');
  const oU3 = col('AVWAP_SESSION_U3'), oL3 = col('AVWAP_SESSION_L3');
  const oZ = col('AVWAP_SESSION_Z'), oD = col('AVWAP_SESSION_DIST_PCT');
  const oS = col('AVWAP_SESSION_SLOPE5'), oDaily = col('AVWAP_DAILY');
  const cA = new Float64Array(N), sv = new Float64Array(N), svd = new Float64Array(N), svd2 = new Float64Array(N);
  const pA = new Float64Array(N), pSv = new Float64Array(N), pSvd = new Float64Array(N);
  const ring = new Float64Array(5 * N); // session AVWAP of the last 5 rows (SLOPE5)
  return (r) => {
    const { t, m: k } = r;
    if (r.first) {
      for (let n = 0; n < N; n++) {
        const tp = tpOf(r, n);
        if (t === 0) {
          pA[n] = tp; pSv[n] = 0; pSvd[n] = 0;
        } else {
          pA[n] = cA[n]; pSv[n] = sv[n]; pSvd[n] = svd[n];
        }
        cA[n] = tp; sv[n] = 0; svd[n] = 0; svd2[n] = 0;
      }
    }
    const rs = (t % 5) * N;
    for (let n = 0; n < N; n++) {
      const a = cA[n];
      const dd = tpOf(r, n) - a;
      const vv = r.v[n];
      const s0 = sv[n] + vv, s1 = svd[n] + vv * dd, s2 = svd2[n] + vv * dd * dd;
      sv[n] = s0; svd[n] = s1; svd2[n] = s2;
      let mm = 0, sd = 0;
      if (s0 > 0) {
        mm = s1 / s0;
        const va = s2 / s0 - mm * mm;
        sd = va > 0 ? Math.sqrt(va) : 0;
      }
      const vw = a + mm;
      oA[n] = vw;
      oSD[n] = sd;
      oU1[n] = vw + sd;
      oL1[n] = vw - sd;
      oU2[n] = vw + 2 * sd;
      oL2[n] = vw - 2 * sd;
      oU3[n] = vw + 3 * sd;
      oL3[n] = vw - 3 * sd;
      const cc = r.c[n];
      if (k >= 5 && sd >= 1e-5 * Math.abs(cc)) oZ[n] = (cc - vw) / sd;
      oD[n] = 100 * (cc / vw - 1);
      if (k >= 5) oS[n] = 1e4 * (vw / ring[rs + n] - 1);
      ring[rs + n] = vw;
      const p = pA[n];
      const tv = pSv[n] + s0;
      oDaily[n] = tv > 0 ? p + (pSvd[n] + s1 + s0 * (a - p)) / tv : p;
    }
  };
}

function calendar(N: number, col: ColFn): (r: Row) => void {
  const oW = col('AVWAP_WEEKLY'), oWZ = col('AVWAP_WEEKLY_Z'), oM = col('AVWAP_MONTHLY');
  const wA = new Float64Array(N), wSv = new Float64Array(N), wSvd = new Float64Array(N), wSvd2 = new Float64Array(N);
  const mA = new Float64Array(N), mSv = new Float64Array(N), mSvd = new Float64Array(N);
  let wStart = 0;
  return (r) => {
    const t = r.t;
    if (r.first) {
      const rw = r.newWeek, rm = r.newMonth;
      if (rw) wStart = t;
      for (let n = 0; n < N; n++) {
        const tp = tpOf(r, n);
        if (rw) { wA[n] = tp; wSv[n] = 0; wSvd[n] = 0; wSvd2[n] = 0; }
        if (rm) { mA[n] = tp; mSv[n] = 0; mSvd[n] = 0; }
      }
    }
    const kw = t - wStart;
    for (let n = 0; n < N; n++) {
      const tp = tpOf(r, n);
      const vv = r.v[n];
      {
        const dd = tp - wA[n];
        const s0 = (wSv[n] += vv), s1 = (wSvd[n] += vv * dd), s2 = (wSvd2[n] += vv * dd * dd);
        const m = s0 > 0 ? s1 / s0 : 0;
        const vw = wA[n] + m;
        oW[n] = vw;
        if (kw >= 5 && s0 > 0) {
          const va = s2 / s0 - m * m;
          const sd = va > 0 ? Math.sqrt(va) : 0;
          if (sd >= 1e-5 * Math.abs(r.c[n])) oWZ[n] = (r.c[n] - vw) / sd;
        }
      }
      {
        const dd = tp - mA[n];
        const s0 = (mSv[n] += vv), s1 = (mSvd[n] += vv * dd);
        oM[n] = s0 > 0 ? mA[n] + s1 / s0 : mA[n];
      }
    }
  };
}

/** Anchored sums per lane (anchor price a, Σv, Σv·(tp − a)), `has` once an anchor exists. */
class Anchor {
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
  /** Anchors lane n at a bar (tp, v): the anchor bar is included (its Δ is 0). */
  start(n: number, tp: number, vv: number): void {
    this.a[n] = tp;
    this.sv[n] = 0 + vv;
    this.svd[n] = 0 + vv * (tp - tp);
    this.has[n] = 1;
  }
  add(n: number, tp: number, vv: number): void {
    this.sv[n] += vv;
    this.svd[n] += vv * (tp - this.a[n]);
  }
  copyFrom(o: Anchor, n: number): void {
    this.a[n] = o.a[n]; this.sv[n] = o.sv[n]; this.svd[n] = o.svd[n]; this.has[n] = o.has[n];
  }
  value(n: number): number {
    if (!this.has[n]) return NaN;
    const s0 = this.sv[n];
    return s0 > 0 ? this.a[n] + this.svd[n] / s0 : this.a[n];
  }
}

function priorDay(N: number, col: ColFn): (r: Row) => void {
  const oH = col('AVWAP_PDH'), oL = col('AVWAP_PDL');
  const AH = new Anchor(N), AL = new Anchor(N); // anchored at the prior session's high / low bar
  const CH = new Anchor(N), CL = new Anchor(N); // anchored at this session's running high / low bar
  const hiV = new Float64Array(N), loV = new Float64Array(N);
  return (r) => {
    const first = r.first;
    for (let n = 0; n < N; n++) {
      const tp = tpOf(r, n), vv = r.v[n];
      if (first && r.t > 0) {
        AH.copyFrom(CH, n);
        AL.copyFrom(CL, n);
      }
      if (first || r.h[n] > hiV[n]) { hiV[n] = r.h[n]; CH.start(n, tp, vv); } else CH.add(n, tp, vv);
      if (first || r.l[n] < loV[n]) { loV[n] = r.l[n]; CL.start(n, tp, vv); } else CL.add(n, tp, vv);
      if (AH.has[n]) { AH.add(n, tp, vv); oH[n] = AH.value(n); }
      if (AL.has[n]) { AL.add(n, tp, vv); oL[n] = AL.value(n); }
    }
  };
}

function gap(N: number, col: ColFn): (r: Row) => void {
  const out = col('AVWAP_GAP');
  const A = new Anchor(N);
  return (r) => {
    const first = r.first && r.t > 0;
    for (let n = 0; n < N; n++) {
      const tp = tpOf(r, n), vv = r.v[n];
      if (first && Math.abs(r.o[n] / r.pc[n] - 1) >= 0.02) A.start(n, tp, vv);
      else if (A.has[n]) A.add(n, tp, vv);
      if (A.has[n]) out[n] = A.value(n);
    }
  };
}

function hvol(N: number, col: ColFn): (r: Row) => void {
  const out = col('AVWAP_HVOL');
  const mv = new Float64Array(N), a = new Float64Array(N), sv = new Float64Array(N), svd = new Float64Array(N);
  return (r) => {
    for (let n = 0; n < N; n++) {
      const tp = tpOf(r, n), vv = r.v[n];
      if (r.first || vv > mv[n]) {
        mv[n] = vv; a[n] = tp; sv[n] = vv; svd[n] = 0;
      } else {
        sv[n] += vv; svd[n] += vv * (tp - a[n]);
      }
      out[n] = sv[n] > 0 ? a[n] + svd[n] / sv[n] : a[n];
    }
  };
}

/** Ring depth of the swing pivots: the pivot bar ± 5. */
const SW = 11;

function swing(N: number, col: ColFn): (r: Row) => void {
  const oH = col('AVWAP_SWING_HIGH'), oL = col('AVWAP_SWING_LOW');
  const AH = new Anchor(N), AL = new Anchor(N);
  const rh = new Float64Array(SW * N), rl = new Float64Array(SW * N), rtp = new Float64Array(SW * N), rv = new Float64Array(SW * N);
  const at = (t: number) => (t % SW) * N;
  /** Re-anchors lane n at row p and sums rows p..t (6 rows from the ring). */
  const reanchor = (A: Anchor, n: number, p: number, t: number) => {
    const a = rtp[at(p) + n];
    let s0 = 0, s1 = 0;
    for (let q = p; q <= t; q++) {
      const vv = rv[at(q) + n];
      s0 += vv;
      s1 += vv * (rtp[at(q) + n] - a);
    }
    A.a[n] = a; A.sv[n] = s0; A.svd[n] = s1; A.has[n] = 1;
  };
  return (r) => {
    const t = r.t, p = t - 5;
    const cur = at(t);
    for (let n = 0; n < N; n++) {
      rh[cur + n] = r.h[n];
      rl[cur + n] = r.l[n];
      rtp[cur + n] = tpOf(r, n);
      rv[cur + n] = r.v[n];
    }
    for (let n = 0; n < N; n++) {
      const tp = rtp[cur + n], vv = r.v[n];
      let newH = false, newL = false;
      if (p >= 5) {
        const hp = rh[at(p) + n], lp = rl[at(p) + n];
        newH = true;
        newL = true;
        for (let q = 1; q <= 5 && (newH || newL); q++) {
          const ib = at(p - q) + n, ia = at(p + q) + n;
          if (newH && (rh[ib] >= hp || rh[ia] > hp)) newH = false;
          if (newL && (rl[ib] <= lp || rl[ia] < lp)) newL = false;
        }
      }
      if (newH) reanchor(AH, n, p, t);
      else if (AH.has[n]) AH.add(n, tp, vv);
      if (AH.has[n]) oH[n] = AH.value(n);
      if (newL) reanchor(AL, n, p, t);
      else if (AL.has[n]) AL.add(n, tp, vv);
      if (AL.has[n]) oL[n] = AL.value(n);
    }
  };
}

export const AVWAP_GROUP: LiveGroupDef = {
  id: 'avwap',
  outputs: [
    ...OUT_SESSION, 'AVWAP_WEEKLY', 'AVWAP_WEEKLY_Z', 'AVWAP_MONTHLY', 'AVWAP_PDH', 'AVWAP_PDL', 'AVWAP_GAP',
    'AVWAP_HVOL', 'AVWAP_SWING_HIGH', 'AVWAP_SWING_LOW',
  ],
  make(N, col) {
    const steps = [session, calendar, priorDay, gap, hvol, swing].map((f) => f(N, col));
    return (r) => {
      for (const s of steps) s(r);
    };
  },
};
