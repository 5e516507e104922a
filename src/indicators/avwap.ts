/**
 * Session AVWAP family on its own planar outputs: AVWAP_SESSION, its σ and the ±1/2/3σ bands as
 * eight [T, N] float32 arrays (index t * N + n), in one fused pass per row (Σv, Σv·Δ, Σv·Δ² in
 * Float64 with Δ = tp − c_A, c_A = tp of the session's first bar), for callers that want only
 * this family without the [T, N, F] cube. Values are bit-identical to the same names in
 * computeIndicators (same arithmetic, same order of operations).
 */
import type { Panel } from '../data/panel.js';
import { checkPanel } from './compute.js';

export interface AvwapSessionPlanes {
  AVWAP_SESSION: Float32Array;
  AVWAP_SESSION_SD: Float32Array;
  AVWAP_SESSION_U1: Float32Array;
  AVWAP_SESSION_L1: Float32Array;
  AVWAP_SESSION_U2: Float32Array;
  AVWAP_SESSION_L2: Float32Array;
  AVWAP_SESSION_U3: Float32Array;
  AVWAP_SESSION_L3: Float32Array;
}

export const AVWAP_SESSION_PLANES = [
  'AVWAP_SESSION', 'AVWAP_SESSION_SD', 'AVWAP_SESSION_U1', 'AVWAP_SESSION_L1',
  'AVWAP_SESSION_U2', 'AVWAP_SESSION_L2', 'AVWAP_SESSION_U3', 'AVWAP_SESSION_L3',
] as const;

/**
 * Computes the eight session-AVWAP planes for every row and ticker of the panel (into `out` if
 * given: eight Float32Arrays of T·N values, e.g. reused across batches).
 */
export function computeAvwapSession(panel: Panel, out?: AvwapSessionPlanes): AvwapSessionPlanes {
  checkPanel(panel);
  const { T, N } = panel;
  const size = T * N;
  const planes = out ?? (Object.fromEntries(AVWAP_SESSION_PLANES.map((k) => [k, new Float32Array(size)])) as unknown as AvwapSessionPlanes);
  for (const k of AVWAP_SESSION_PLANES) {
    if (planes[k].length !== size) throw new Error(`indicators: out.${k} has ${planes[k].length} values, expected T*N = ${size}`);
  }
  const starts = new Uint8Array(T);
  for (const s of panel.sessions) if (s.start < T) starts[s.start] = 1;
  avwapSessionRows(panel.high, panel.low, panel.close, panel.volume, N, 0, T, starts, planes);
  return planes;
}

/** The fused loop over rows [t0, t1) (t0 must be a session start). */
function avwapSessionRows(
  h: Float32Array, l: Float32Array, c: Float32Array, v: Float32Array,
  N: number, t0: number, t1: number, starts: Uint8Array, P: AvwapSessionPlanes,
): void {
  const oA = P.AVWAP_SESSION, oSD = P.AVWAP_SESSION_SD;
  const oU1 = P.AVWAP_SESSION_U1, oL1 = P.AVWAP_SESSION_L1;
  const oU2 = P.AVWAP_SESSION_U2, oL2 = P.AVWAP_SESSION_L2;
  const oU3 = P.AVWAP_SESSION_U3, oL3 = P.AVWAP_SESSION_L3;
  const cA = new Float64Array(N), sv = new Float64Array(N), svd = new Float64Array(N), svd2 = new Float64Array(N);
  for (let t = t0; t < t1; t++) {
    const base = t * N;
    if (starts[t] === 1) {
      for (let n = 0; n < N; n++) {
        const i = base + n;
        cA[n] = (h[i] + l[i] + c[i]) / 3;
        sv[n] = 0;
        svd[n] = 0;
        svd2[n] = 0;
      }
    }
    for (let n = 0; n < N; n++) {
      const i = base + n;
      const a = cA[n];
      const dd = (h[i] + l[i] + c[i]) / 3 - a;
      const vv = v[i];
      const s0 = sv[n] + vv, s1 = svd[n] + vv * dd, s2 = svd2[n] + vv * dd * dd;
      sv[n] = s0;
      svd[n] = s1;
      svd2[n] = s2;
      let m = 0, sd = 0;
      if (s0 > 0) {
        m = s1 / s0;
        const va = s2 / s0 - m * m;
        sd = va > 0 ? Math.sqrt(va) : 0;
      }
      const vw = a + m;
      oA[i] = vw;
      oSD[i] = sd;
      oU1[i] = vw + sd;
      oL1[i] = vw - sd;
      oU2[i] = vw + 2 * sd;
      oL2[i] = vw - 2 * sd;
      oU3[i] = vw + 3 * sd;
      oL3[i] = vw - 3 * sd;
    }
  }
}
