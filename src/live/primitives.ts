/**
 * Streaming building blocks of the live engine: one Float64 state slot per ticker ("lane"),
 * fed one row (all tickers) per call, O(1) per lane per row (O(w) only where the batch
 * definition itself is O(w), see below).
 *
 * EMA, Wilder and the rolling sum are the batch kernels' own row-at-a-time classes
 * (src/indicators/kernels/util.ts). The blocks written here (monotone deques, WMA) are the
 * batch definitions made incremental, with the same arithmetic operation for operation, so a
 * live value is the same float64 number the batch engine computed before rounding to float32.
 *
 * `t` is the global row index since the first history row (the batch engine's panel row), `x`
 * a row of N values.
 */

// EMA, Wilder smoothing and the rolling sum are already row-at-a-time in the batch kernels:
// the live engine feeds them one row with offset 0 (`update(t, row, 0)`).
export { Ema, Wilder, RollSum } from '../indicators/kernels/util.js';

/**
 * Rolling max (or min) over the last w inputs and the row where it sits, with a monotone deque
 * per lane (amortised O(1): each row enters and leaves once). Ties go to the most recent row
 * (TA-Lib AROON, as the batch RollExt).
 */
export class MonoDeque {
  readonly v: Float64Array;
  readonly idx: Float64Array;
  private readonly qv: Float64Array;
  private readonly qi: Float64Array;
  private readonly head: Int32Array;
  private readonly size: Int32Array;
  constructor(
    readonly N: number,
    readonly w: number,
    readonly isMax: boolean,
  ) {
    this.v = new Float64Array(N);
    this.idx = new Float64Array(N);
    this.qv = new Float64Array(N * w);
    this.qi = new Float64Array(N * w);
    this.head = new Int32Array(N);
    this.size = new Int32Array(N);
  }
  update(t: number, x: Float64Array): void {
    const { N, w, qv, qi, head, size, isMax } = this;
    const lo = t - w + 1;
    for (let i = 0; i < N; i++) {
      const base = i * w;
      let hd = head[i], sz = size[i];
      while (sz > 0 && qi[base + hd] < lo) {
        hd = hd + 1 === w ? 0 : hd + 1;
        sz--;
      }
      const xv = x[i];
      while (sz > 0) {
        const back = base + ((hd + sz - 1) % w);
        if (isMax ? qv[back] <= xv : qv[back] >= xv) sz--;
        else break;
      }
      const at = base + ((hd + sz) % w);
      qv[at] = xv;
      qi[at] = t;
      sz++;
      head[i] = hd;
      size[i] = sz;
      this.v[i] = qv[base + hd];
      this.idx[i] = qi[base + hd];
    }
  }
}

/**
 * Linearly weighted moving average (weights 1..n, newest heaviest): O(1) update of Σ(w·x) and Σx,
 * recomputed directly while filling and every 512 rows after (the batch Wma's schedule).
 */
export class Wma {
  readonly y: Float64Array;
  private readonly ring: Float64Array;
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
  update(t: number, x: Float64Array): void {
    const { ring, ws, s, N, n, y } = this;
    const j = t - this.s0;
    const slot = (j % n) * N;
    if (j < n || ++this.count === 512) {
      for (let i = 0; i < N; i++) ring[slot + i] = x[i];
      if (j < n - 1) return;
      this.count = 0;
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
      const xv = x[i];
      ws[i] += n * xv - s[i];
      s[i] += xv - ring[slot + i];
      ring[slot + i] = xv;
      y[i] = ws[i] / this.div;
    }
  }
}

/** TA-Lib TA_IS_ZERO (epsilon 1e-14), as the batch kernels use it. */
export const isZero = (x: number): boolean => x > -1e-14 && x < 1e-14;
