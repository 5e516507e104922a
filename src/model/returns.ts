/**
 * One-minute log returns as the regime classifier and the market context see them: only at
 * observed bars (mask 1), never across the overnight gap (the first bar of a session has none).
 * A missing bar carries the last close forward, so the next observed return spans the gap.
 */
import type { Panel } from '../data/panel.js';

export type BarsView = Pick<Panel, 'T' | 'N' | 'close' | 'mask' | 'minuteOfSession' | 'sessionOfRow'>;

/** r[t*N+n] and valid[t*N+n] (1 where r is a return). */
export function minuteReturns(p: BarsView): { r: Float64Array; valid: Uint8Array } {
  const { T, N, close, mask, minuteOfSession } = p;
  const r = new Float64Array(T * N);
  const valid = new Uint8Array(T * N);
  for (let t = 1; t < T; t++) {
    if (minuteOfSession[t] === 0) continue;
    for (let n = 0; n < N; n++) {
      const i = t * N + n;
      const c0 = close[i - N];
      const c1 = close[i];
      if (mask[i] && c0 > 0 && c1 > 0) {
        r[i] = Math.log(c1 / c0);
        valid[i] = 1;
      }
    }
  }
  return { r, valid };
}

/** Column-wise prefix sums over rows: out[(t+1)*N+n] = Σ_{k≤t} x[k*N+n]; out has (T+1)·N values. */
export function prefixSums(x: ArrayLike<number>, T: number, N: number): Float64Array {
  const out = new Float64Array((T + 1) * N);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) out[(t + 1) * N + n] = out[t * N + n] + x[t * N + n];
  return out;
}
