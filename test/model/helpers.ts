import { Rng } from '../../src/model/rng.js';
import type { SampleSet } from '../../src/model/types.js';

export interface SynthOptions {
  tickers?: number;
  times?: number;
  F?: number;
  intervalMinutes?: number;
  horizonMinutes?: number;
  /** y = scale·(a·x0 + b·x1) + noise·N(0,1) */
  a?: number;
  b?: number;
  scale?: number;
  noise?: number;
  nanShare?: number;
  seed?: number;
}

/**
 * Synthetic samples: `times` sample times every `intervalMinutes` across sessions of 26 samples
 * (09:30 + k·interval), each with `tickers` rows, features N(0,1) (x2 in raw units with an
 * offset/scale, and some NaN), y a known linear function of x0 and x1 plus noise.
 */
export function synthSet(o: SynthOptions = {}): SampleSet {
  const N = o.tickers ?? 10;
  const times = o.times ?? 300;
  const F = o.F ?? 8;
  const interval = o.intervalMinutes ?? 15;
  const horizon = o.horizonMinutes ?? 15;
  const a = o.a ?? 1;
  const b = o.b ?? -0.5;
  const scale = o.scale ?? 0.002;
  const noise = o.noise ?? 0.001;
  const nanShare = o.nanShare ?? 0.02;
  const rng = new Rng(o.seed ?? 7);
  const S = N * times;
  const X = new Float32Array(S * F);
  const y = new Float32Array(S);
  const time = new Float64Array(S);
  const ticker = new Int32Array(S);
  const perSession = 24;
  const day0 = Date.UTC(2024, 0, 2, 14, 30);
  for (let k = 0; k < times; k++) {
    const day = Math.floor(k / perSession);
    const t = day0 + day * 86_400_000 + (k % perSession) * interval * 60_000;
    for (let n = 0; n < N; n++) {
      const i = k * N + n;
      time[i] = t;
      ticker[i] = n;
      for (let f = 0; f < F; f++) X[i * F + f] = rng.normal();
      const x0 = X[i * F];
      const x1 = X[i * F + 1];
      y[i] = scale * (a * x0 + b * x1) + noise * rng.normal();
      if (F > 2) X[i * F + 2] = 100 + 5 * X[i * F + 2]; // raw units: the scaler must handle it
      for (let f = 2; f < F; f++) if (rng.next() < nanShare) X[i * F + f] = Number.NaN;
    }
  }
  return {
    X,
    y,
    time,
    ticker,
    tickers: Array.from({ length: N }, (_, i) => `T${i}`),
    featureNames: Array.from({ length: F }, (_, i) => `f${i}`),
    S,
    F,
    horizonMinutes: horizon,
  };
}
