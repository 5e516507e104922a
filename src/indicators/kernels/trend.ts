/** Trend family: EMAs, SMA/VWMA, HMA, KAMA, MACD/PPO, TSI, ADX/DI, AROONOSC, Supertrend, PSAR, LINREG. */
import type { KernelDef } from '../engine.js';
import { Ema, RollExt, RollSum, Wilder } from './util.js';

/** TA-Lib TA_IS_ZERO (epsilon 1e-14 in the bundled TA-Lib). */
const isZero = (x: number) => x > -1e-14 && x < 1e-14;

/** EMA_9/21/50: SMA-seeded, k = 2/(n+1), from the panel's first row. */
export const ema: KernelDef = {
  id: 'ema',
  outputs: ['EMA_9', 'EMA_21', 'EMA_50'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c } = ctx;
    const specs = ([['EMA_9', 9], ['EMA_21', 21], ['EMA_50', 50]] as const)
      .map(([name, n]) => ({ out: ctx.col(name), e: new Ema(N, n, 0) }))
      .filter((s) => s.out !== null);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (const { out, e } of specs) {
          e.update(t, c, base);
          if (t >= e.first) {
            const y = e.y, o = out!;
            for (let n = 0; n < N; n++) o[(lo + n) * FS] = y[n];
          }
        }
      }
    };
  },
};

/**
 * MACD_12_26 / SIGNAL_9 / HIST (TA-Lib alignment: the fast EMA's seed window ends on the slow
 * one's, bar 25; the signal is seeded with the SMA of MACD 25..33; all three from bar 33) and
 * PPO_12_26 (TA-Lib PPO: two independent EMAs each seeded from bar 0, from bar 25; 0 where the
 * slow EMA is 0). PVO_12_26 is the same on
 * volume.
 */
function macdLike(id: string, field: 'c' | 'v', macdNames: string[] | null, ppoName: string): KernelDef {
  return {
    id,
    outputs: [...(macdNames ?? []), ppoName],
    make(ctx) {
      const FS = ctx.FS;
      const { N } = ctx;
      const x = field === 'c' ? ctx.c : ctx.v;
      const oM = macdNames ? ctx.col(macdNames[0]) : null;
      const oS = macdNames ? ctx.col(macdNames[1]) : null;
      const oH = macdNames ? ctx.col(macdNames[2]) : null;
      const oP = ctx.col(ppoName);
      const fast = new Ema(N, 12, 14), slow = new Ema(N, 26, 0), sig = new Ema(N, 9, 25);
      // TA-Lib PPO runs two independent EMAs, each seeded from the first bar (unlike MACD)
      const pfast = new Ema(N, 12, 0);
      const m = new Float64Array(N);
      const wantM = !!(oM || oS || oH);
      return (t0, t1) => {
        for (let t = t0; t < t1; t++) {
          const base = t * N, lo = (t - t0) * N;
          slow.update(t, x, base);
          if (wantM && t >= 14) fast.update(t, x, base);
          if (oP) pfast.update(t, x, base);
          if (t < 25) continue;
          const F = fast.y, S = slow.y, PF = pfast.y;
          if (oP) for (let n = 0; n < N; n++) oP[(lo + n) * FS] = isZero(S[n]) ? 0 : (100 * (PF[n] - S[n])) / S[n];
          if (!wantM) continue;
          for (let n = 0; n < N; n++) m[n] = F[n] - S[n];
          sig.update(t, m, 0);
          if (t < 33) continue;
          const G = sig.y;
          for (let n = 0; n < N; n++) {
            if (oM) oM[(lo + n) * FS] = m[n];
            if (oS) oS[(lo + n) * FS] = G[n];
            if (oH) oH[(lo + n) * FS] = m[n] - G[n];
          }
        }
      };
    },
  };
}
export const macd = macdLike('macd', 'c', ['MACD_12_26', 'MACD_SIGNAL_9', 'MACD_HIST'], 'PPO_12_26');
export const pvo = macdLike('pvo', 'v', null, 'PVO_12_26');

/** TSI_25_13 = 100·EMA13(EMA25(Δc)) / EMA13(EMA25(|Δc|)); 0 when the denominator is 0. */
export const tsi: KernelDef = {
  id: 'tsi',
  outputs: ['TSI_25_13'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c } = ctx;
    const out = ctx.col('TSI_25_13')!;
    const e1 = new Ema(N, 25, 1), a1 = new Ema(N, 25, 1), e2 = new Ema(N, 13, 25), a2 = new Ema(N, 13, 25);
    const d = new Float64Array(N), ad = new Float64Array(N);
    return (t0, t1) => {
      for (let t = Math.max(1, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const x = c[base + n] - c[base - N + n];
          d[n] = x;
          ad[n] = Math.abs(x);
        }
        e1.update(t, d, 0);
        a1.update(t, ad, 0);
        if (t < 25) continue;
        e2.update(t, e1.y, 0);
        a2.update(t, a1.y, 0);
        if (t < 37) continue;
        for (let n = 0; n < N; n++) {
          const den = a2.y[n];
          out[(lo + n) * FS] = den > 0 ? (100 * e2.y[n]) / den : 0;
        }
      }
    };
  },
};

/** SMA_20 and VWMA_20 (Σv = 0 over the window: falls back to SMA_20). */
export const smaVwma: KernelDef = {
  id: 'sma-vwma',
  outputs: ['SMA_20', 'VWMA_20'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c, v } = ctx;
    const oS = ctx.col('SMA_20'), oV = ctx.col('VWMA_20');
    const sc = new RollSum(N, 20, 0), sv = new RollSum(N, 20, 0), svc = new RollSum(N, 20, 0);
    const vc = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        sc.update(t, c, base);
        if (oV) {
          for (let n = 0; n < N; n++) vc[n] = v[base + n] * c[base + n];
          sv.update(t, v, base);
          svc.update(t, vc, 0);
        }
        if (t < 19) continue;
        for (let n = 0; n < N; n++) {
          const sma = sc.sum[n] / 20;
          if (oS) oS[(lo + n) * FS] = sma;
          if (oV) oV[(lo + n) * FS] = sv.sum[n] > 0 ? svc.sum[n] / sv.sum[n] : sma;
        }
      }
    };
  },
};

/** Linearly weighted moving average (weights 1..n, newest heaviest) over lanes. */
class Wma {
  private readonly ring: Float64Array;
  readonly y: Float64Array;
  private readonly ws: Float64Array;
  private readonly s: Float64Array;
  private count = 0;
  private readonly div: number;
  constructor(
    readonly N: number,
    readonly n: number,
    readonly s0: number,
  ) {
    this.ring = new Float64Array(N * n);
    this.y = new Float64Array(N);
    this.ws = new Float64Array(N);
    this.s = new Float64Array(N);
    this.div = (n * (n + 1)) / 2;
  }
  update(t: number, x: Float32Array | Float64Array, xo: number): void {
    const { ring, ws, s, N, n, y } = this;
    const j = t - this.s0;
    const slot = (j % n) * N;
    if (j < n || ++this.count === 512) {
      for (let i = 0; i < N; i++) ring[slot + i] = x[xo + i];
      if (j < n - 1) return;
      this.count = 0;
      // direct: oldest has weight 1
      for (let i = 0; i < N; i++) {
        let a = 0, b = 0;
        for (let q = 0; q < n; q++) {
          const val = ring[((j - n + 1 + q) % n) * N + i];
          a += (q + 1) * val;
          b += val;
        }
        ws[i] = a;
        s[i] = b;
        y[i] = a / this.div;
      }
      return;
    }
    for (let i = 0; i < N; i++) {
      const xv = x[xo + i];
      const old = ring[slot + i];
      ws[i] += n * xv - s[i];
      s[i] += xv - old;
      ring[slot + i] = xv;
      y[i] = ws[i] / this.div;
    }
  }
}

/** HMA_21 = WMA_4(2·WMA_10 − WMA_21), from bar 23. */
export const hma: KernelDef = {
  id: 'hma',
  outputs: ['HMA_21'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c } = ctx;
    const out = ctx.col('HMA_21')!;
    const w10 = new Wma(N, 10, 0), w21 = new Wma(N, 21, 0), w4 = new Wma(N, 4, 20);
    const d = new Float64Array(N);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        w10.update(t, c, base);
        w21.update(t, c, base);
        if (t < 20) continue;
        for (let n = 0; n < N; n++) d[n] = 2 * w10.y[n] - w21.y[n];
        w4.update(t, d, 0);
        if (t < 23) continue;
        for (let n = 0; n < N; n++) out[(lo + n) * FS] = w4.y[n];
      }
    };
  },
};

/** KAMA_10 (10, 2, 30), TA-Lib algorithm: first value at bar 10 from the previous close. */
export const kama: KernelDef = {
  id: 'kama',
  outputs: ['KAMA_10'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c } = ctx;
    const out = ctx.col('KAMA_10')!;
    const cMax = 2 / 31, cDiff = 2 / 3 - cMax;
    const roc = new RollSum(N, 10, 1);
    const ad = new Float64Array(N), y = new Float64Array(N);
    return (t0, t1) => {
      for (let t = Math.max(1, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) ad[n] = Math.abs(c[base + n] - c[base - N + n]);
        roc.update(t, ad, 0);
        if (t < 10) continue;
        for (let n = 0; n < N; n++) {
          const x = c[base + n];
          const pr = x - c[base - 10 * N + n];
          const s = roc.sum[n];
          const er = s <= pr || isZero(s) ? 1 : Math.abs(pr / s);
          let sc = er * cDiff + cMax;
          sc *= sc;
          const prev = t === 10 ? c[base - N + n] : y[n];
          const k = prev + (x - prev) * sc;
          y[n] = k;
          out[(lo + n) * FS] = k;
        }
      }
    };
  },
};

/** ADX_14, PLUS_DI_14, MINUS_DI_14: TA-Lib sum form (S = S − S/14 + x), DX mean seed at bar 27. */
export const adx: KernelDef = {
  id: 'adx',
  outputs: ['ADX_14', 'PLUS_DI_14', 'MINUS_DI_14'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c } = ctx;
    const oA = ctx.col('ADX_14'), oP = ctx.col('PLUS_DI_14'), oM = ctx.col('MINUS_DI_14');
    const P = 14;
    const pdm = new Float64Array(N), mdm = new Float64Array(N), tr = new Float64Array(N);
    const sumDX = new Float64Array(N), adxv = new Float64Array(N);
    return (t0, t1) => {
      for (let t = Math.max(1, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        const sumPhase = t < P;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const dP = h[i] - h[i - N], dM = l[i - N] - l[i];
          let p = 0, m = 0;
          if (dM > 0 && dP < dM) m = dM;
          else if (dP > 0 && dP > dM) p = dP;
          const pc = c[i - N];
          const th = h[i] > pc ? h[i] : pc, tl = l[i] < pc ? l[i] : pc;
          const x = th - tl;
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
          if (oP) oP[(lo + n) * FS] = pdi;
          if (oM) oM[(lo + n) * FS] = mdi;
          if (t < 2 * P - 1) {
            if (dx === dx) sumDX[n] += dx;
          } else if (t === 2 * P - 1) {
            if (dx === dx) sumDX[n] += dx;
            adxv[n] = sumDX[n] / P;
          } else if (dx === dx) {
            adxv[n] = (adxv[n] * (P - 1) + dx) / P;
          }
          if (oA && t >= 2 * P - 1) oA[(lo + n) * FS] = adxv[n];
        }
      }
    };
  },
};

/** AROONOSC_25 = 4·(bars since low − bars since high) over 26 bars, ties to the latest (TA-Lib). */
export const aroon: KernelDef = {
  id: 'aroon',
  outputs: ['AROONOSC_25'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l } = ctx;
    const out = ctx.col('AROONOSC_25')!;
    const hh = new RollExt(N, 26, 0, true), ll = new RollExt(N, 26, 0, false);
    return (t0, t1) => {
      for (let t = t0; t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        hh.update(t, h, base);
        ll.update(t, l, base);
        if (t < 25) continue;
        for (let n = 0; n < N; n++) out[(lo + n) * FS] = 4 * (hh.idx[n] - ll.idx[n]);
      }
    };
  },
};

/**
 * SUPERTREND_10_3 / SUPERTREND_DIR (pandas-ta loop): bands hl2 ± 3·ATR10 (TA-Lib ATR(10), Wilder),
 * direction flips when the close crosses the previous band, bands ratchet while it holds.
 */
export const supertrend: KernelDef = {
  id: 'supertrend',
  outputs: ['SUPERTREND_10_3', 'SUPERTREND_DIR'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l, c } = ctx;
    const oS = ctx.col('SUPERTREND_10_3'), oD = ctx.col('SUPERTREND_DIR');
    const atr = new Wilder(N, 10, 1);
    const tr = new Float64Array(N), ub = new Float64Array(N), lb = new Float64Array(N), dir = new Float64Array(N);
    return (t0, t1) => {
      for (let t = Math.max(1, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n, pc = c[i - N];
          tr[n] = (h[i] > pc ? h[i] : pc) - (l[i] < pc ? l[i] : pc);
        }
        atr.update(t, tr, 0);
        if (t < 10) continue;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const mid = (h[i] + l[i]) / 2, a = 3 * atr.y[n];
          let u = mid + a, lw = mid - a, d: number;
          if (t === 10) d = 1;
          else {
            const cc = c[i];
            if (cc > ub[n]) d = 1;
            else if (cc < lb[n]) d = -1;
            else {
              d = dir[n];
              if (d > 0 && lw < lb[n]) lw = lb[n];
              if (d < 0 && u > ub[n]) u = ub[n];
            }
          }
          ub[n] = u; lb[n] = lw; dir[n] = d;
          if (oS) oS[(lo + n) * FS] = d > 0 ? lw : u;
          if (oD) oD[(lo + n) * FS] = d;
        }
      }
    };
  },
};

/** PSAR (0.02, 0.2): the TA-Lib SAR algorithm, one lane per ticker. */
export const psar: KernelDef = {
  id: 'psar',
  outputs: ['PSAR'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, h, l } = ctx;
    const out = ctx.col('PSAR')!;
    const ACC = 0.02, MAX = 0.2;
    const isLong = new Uint8Array(N), af = new Float64Array(N), ep = new Float64Array(N), sar = new Float64Array(N);
    return (t0, t1) => {
      for (let t = Math.max(1, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        for (let n = 0; n < N; n++) {
          const i = base + n;
          const newHigh = h[i], newLow = l[i];
          let prevHigh: number, prevLow: number;
          if (t === 1) {
            const dP = h[i] - h[i - N], dM = l[i - N] - l[i];
            const long = !(dM > 0 && dP < dM);
            isLong[n] = long ? 1 : 0;
            af[n] = ACC;
            if (long) { ep[n] = h[i]; sar[n] = l[i - N]; } else { ep[n] = l[i]; sar[n] = h[i - N]; }
            prevHigh = newHigh; prevLow = newLow;
          } else {
            prevHigh = h[i - N]; prevLow = l[i - N];
          }
          let s = sar[n], e = ep[n], a = af[n];
          if (isLong[n]) {
            if (newLow <= s) {
              isLong[n] = 0;
              s = e;
              if (s < prevHigh) s = prevHigh;
              if (s < newHigh) s = newHigh;
              out[(lo + n) * FS] = s;
              a = ACC; e = newLow;
              s = s + a * (e - s);
              if (s < prevHigh) s = prevHigh;
              if (s < newHigh) s = newHigh;
            } else {
              out[(lo + n) * FS] = s;
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
            out[(lo + n) * FS] = s;
            a = ACC; e = newHigh;
            s = s + a * (e - s);
            if (s > prevLow) s = prevLow;
            if (s > newLow) s = newLow;
          } else {
            out[(lo + n) * FS] = s;
            if (newLow < e) { e = newLow; a += ACC; if (a > MAX) a = MAX; }
            s = s + a * (e - s);
            if (s < prevHigh) s = prevHigh;
            if (s < newHigh) s = newHigh;
          }
          sar[n] = s; ep[n] = e; af[n] = a;
        }
      }
    };
  },
};

/** LINREG_SLOPE_20: OLS slope of close on bar index over 20 bars (O(1) update, resynced). */
export const linreg: KernelDef = {
  id: 'linreg',
  outputs: ['LINREG_SLOPE_20'],
  make(ctx) {
    const FS = ctx.FS;
    const { N, c } = ctx;
    const out = ctx.col('LINREG_SLOPE_20')!;
    const W = 20, SX = (W * (W - 1)) / 2, SXX = ((W - 1) * W * (2 * W - 1)) / 6, DEN = W * SXX - SX * SX;
    const S = new Float64Array(N), WS = new Float64Array(N);
    let cnt = 0;
    return (t0, t1) => {
      for (let t = Math.max(W - 1, t0); t < t1; t++) {
        const base = t * N, lo = (t - t0) * N;
        if (t === W - 1 || ++cnt === 512) {
          cnt = 0;
          for (let n = 0; n < N; n++) {
            let a = 0, b = 0;
            for (let q = 0; q < W; q++) {
              const y = c[(t - W + 1 + q) * N + n];
              a += q * y;
              b += y;
            }
            WS[n] = a;
            S[n] = b;
          }
        } else {
          for (let n = 0; n < N; n++) {
            const yo = c[base - W * N + n], yn = c[base + n];
            WS[n] += (W - 1) * yn - (S[n] - yo);
            S[n] += yn - yo;
          }
        }
        for (let n = 0; n < N; n++) out[(lo + n) * FS] = (W * WS[n] - SX * S[n]) / DEN;
      }
    };
  },
};

export const TREND_KERNELS: KernelDef[] = [ema, smaVwma, hma, kama, macd, pvo, tsi, adx, aroon, supertrend, psar, linreg];
