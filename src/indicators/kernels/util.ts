/**
 * Lane-vectorized building blocks: one Float64 state slot per ticker, updated one row (all
 * tickers) at a time. `x` is any array and `xo` the offset of the row in it (t * N for a panel
 * field or a full series, 0 for a row buffer). Rows before the input's first valid row `s0`
 * must not be fed.
 */

type Arr = Float32Array | Float64Array;

/** EMA seeded with the SMA of its first n inputs (TA-Lib): defined from row s0 + n - 1. */
export class Ema {
  readonly y: Float64Array;
  private readonly k: number;
  constructor(
    readonly N: number,
    readonly n: number,
    readonly s0: number,
    k?: number,
  ) {
    this.y = new Float64Array(N);
    this.k = k ?? 2 / (n + 1);
  }
  /** First row where `y` is defined. */
  get first(): number {
    return this.s0 + this.n - 1;
  }
  update(t: number, x: Arr, xo: number): void {
    const { y, N } = this;
    const j = t - this.s0;
    if (j < this.n - 1) {
      for (let i = 0; i < N; i++) y[i] += x[xo + i];
    } else if (j === this.n - 1) {
      const inv = 1 / this.n;
      for (let i = 0; i < N; i++) y[i] = (y[i] + x[xo + i]) * inv;
    } else {
      const k = this.k;
      for (let i = 0; i < N; i++) y[i] += k * (x[xo + i] - y[i]);
    }
  }
}

/** Wilder smoothing y = (y·(n−1) + x)/n, seeded with the mean of the first n inputs. */
export class Wilder {
  readonly y: Float64Array;
  constructor(
    readonly N: number,
    readonly n: number,
    readonly s0: number,
  ) {
    this.y = new Float64Array(N);
  }
  get first(): number {
    return this.s0 + this.n - 1;
  }
  update(t: number, x: Arr, xo: number): void {
    const { y, N, n } = this;
    const j = t - this.s0;
    if (j < n - 1) {
      for (let i = 0; i < N; i++) y[i] += x[xo + i];
    } else if (j === n - 1) {
      for (let i = 0; i < N; i++) y[i] = (y[i] + x[xo + i]) / n;
    } else {
      const a = n - 1;
      for (let i = 0; i < N; i++) y[i] = (y[i] * a + x[xo + i]) / n;
    }
  }
}

/**
 * Rolling sum over the last w inputs (ring buffer per lane). Float64; the sum is recomputed
 * from the ring every 1024 rows so add/subtract round-off cannot drift.
 */
export class RollSum {
  readonly sum: Float64Array;
  private readonly ring: Float64Array;
  private count = 0;
  constructor(
    readonly N: number,
    readonly w: number,
    readonly s0: number,
  ) {
    this.sum = new Float64Array(N);
    this.ring = new Float64Array(N * w);
  }
  get first(): number {
    return this.s0 + this.w - 1;
  }
  update(t: number, x: Arr, xo: number): void {
    const { sum, ring, N, w } = this;
    const j = t - this.s0;
    const slot = (j % w) * N;
    if (j < w) {
      for (let i = 0; i < N; i++) {
        const xv = x[xo + i];
        ring[slot + i] = xv;
        sum[i] += xv;
      }
    } else {
      for (let i = 0; i < N; i++) {
        const xv = x[xo + i];
        sum[i] += xv - ring[slot + i];
        ring[slot + i] = xv;
      }
    }
    if (++this.count === 1024) {
      this.count = 0;
      sum.fill(0);
      const m = Math.min(w, j + 1);
      for (let r = 0; r < m; r++) for (let i = 0; i < N; i++) sum[i] += ring[r * N + i];
    }
  }
  /** The input fed `back` rows ago (0 = the current one); valid for back < min(w, rows fed). */
  ago(t: number, back: number, i: number): number {
    const j = t - this.s0 - back;
    return this.ring[(j % this.w) * this.N + i];
  }
}

/**
 * Rolling max (or min) over the last w inputs with the row of the extreme. Ties go to the most
 * recent row (TA-Lib AROON). Rescans the ring only when the extreme leaves the window.
 */
export class RollExt {
  readonly v: Float64Array;
  readonly idx: Float64Array;
  private readonly ring: Float64Array;
  constructor(
    readonly N: number,
    readonly w: number,
    readonly s0: number,
    readonly isMax: boolean,
  ) {
    this.v = new Float64Array(N);
    this.idx = new Float64Array(N).fill(-1e9);
    this.ring = new Float64Array(N * w);
  }
  get first(): number {
    return this.s0 + this.w - 1;
  }
  update(t: number, x: Arr, xo: number): void {
    const { v, idx, ring, N, w } = this;
    const j = t - this.s0;
    const slot = (j % w) * N;
    const lo = t - w + 1;
    const sign = this.isMax ? 1 : -1;
    for (let i = 0; i < N; i++) {
      const xv = x[xo + i];
      ring[slot + i] = xv;
      if (idx[i] >= lo) {
        if (sign * xv >= sign * v[i]) {
          v[i] = xv;
          idx[i] = t;
        }
        continue;
      }
      {
        // the extreme left the window: rescan (oldest to newest, ties to the newest)
        const from = Math.max(lo, this.s0);
        let best = NaN;
        let bi = -1;
        for (let r = from; r <= t; r++) {
          const val = ring[((r - this.s0) % w) * N + i];
          if (bi < 0 || sign * val >= sign * best) {
            best = val;
            bi = r;
          }
        }
        v[i] = best;
        idx[i] = bi;
      }
    }
  }
}
