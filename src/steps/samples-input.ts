/** Gathers the per-batch outputs of sample steps into one SampleSet (ticker indices made global). */
import type { SampleSet } from '../model/types.js';
import type { InputArtifact } from './kind.js';
import { CONTEXT_SIZE } from '../model/context.js';

export interface GatheredSamples extends SampleSet {
  baseline: Float32Array;
  regime: Uint8Array;
  context: Float32Array;
  hiddenRegime: Uint8Array;
  oracle: Float32Array;
}

export async function gatherSamples(parts: InputArtifact[]): Promise<GatheredSamples> {
  const loaded = [];
  for (const p of parts) loaded.push({ meta: p.meta, t: await p.tensors() });
  const F = (loaded[0]?.meta.F as number) ?? 0;
  const featureNames = (loaded[0]?.meta.featureNames as string[]) ?? [];
  const S = loaded.reduce((a, l) => a + (l.meta.S as number), 0);
  const X = new Float32Array(S * F);
  const y = new Float32Array(S);
  const time = new Float64Array(S);
  const ticker = new Int32Array(S);
  const baseline = new Float32Array(S);
  const regime = new Uint8Array(S);
  const context = new Float32Array(S * CONTEXT_SIZE);
  const hiddenRegime = new Uint8Array(S);
  const oracle = new Float32Array(S);
  const tickers: string[] = [];
  let off = 0;
  for (const l of loaded) {
    const n = l.meta.S as number;
    X.set(l.t.X.data as Float32Array, off * F);
    y.set(l.t.y.data as Float32Array, off);
    time.set(l.t.time.data as Float64Array, off);
    baseline.set(l.t.baseline.data as Float32Array, off);
    regime.set(l.t.regime.data as Uint8Array, off);
    context.set(l.t.context.data as Float32Array, off * CONTEXT_SIZE);
    hiddenRegime.set(l.t.hidden_regime.data as Uint8Array, off);
    oracle.set(l.t.oracle.data as Float32Array, off);
    const local = l.t.ticker.data as Int32Array;
    for (let i = 0; i < n; i++) ticker[off + i] = local[i] + tickers.length;
    tickers.push(...(l.meta.tickers as string[]));
    off += n;
  }
  return { X, y, time, ticker, baseline, regime, context, hiddenRegime, oracle, tickers, featureNames, S, F, horizonMinutes: (loaded[0]?.meta.horizon as number) ?? 15 };
}
