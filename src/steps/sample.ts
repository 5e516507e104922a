/**
 * sample: every `sample_interval` minutes after a `warmup`-minute warm-up, one row of indicator
 * values per observed ticker (features use bars ≤ t only) and its label: the log return from
 * t's close to the close `horizon` minutes later in the same session (bars > t only). Also the
 * baseline signal close/AVWAP_SESSION − 1 for the backtest's traditional rule, the regime and the
 * 10 market-context values at t (bars ≤ t), and on synthetic data the generator's hidden regime
 * and the oracle's expected return (src/model/oracle.ts).
 */
import { samplePoints } from '../data/sampling.js';
import type { Panel } from '../data/panel.js';
import { CONTEXT_NAMES, CONTEXT_SIZE, CONTEXT_VERSION, computeContext } from '../model/context.js';
import { HIDDEN_REGIME_NAMES, REGIME_DEFINITION, REGIME_NAMES, REGIME_VERSION, computeRegimes } from '../model/regime.js';
import { hiddenRegimeIndex, oracleAvailable, syntheticOracle } from '../model/oracle.js';
import { tensor } from '../tensor/tensor.js';
import { defineKind, inputIn } from './kind.js';
import type { Provider } from '../data/provider.js';
import { SyntheticProvider } from '../data/providers/synthetic.js';
import { panelFromTensors } from './panel-artifact.js';

export interface SampleArrays {
  X: Float32Array;
  y: Float32Array;
  time: Float64Array;
  ticker: Int32Array;
  baseline: Float32Array;
  S: number;
}

/** Gathers features, labels and the baseline at the sample points (row, ticker column). */
export function buildSamples(panel: Panel, values: Float32Array, F: number, avwapIndex: number, points: { rows: Int32Array; cols: Int32Array; count: number }, horizon: number): SampleArrays {
  const { N, close } = panel;
  const S = points.count;
  const X = new Float32Array(S * F);
  const y = new Float32Array(S);
  const time = new Float64Array(S);
  const ticker = new Int32Array(S);
  const baseline = new Float32Array(S);
  for (let s = 0; s < S; s++) {
    const r = points.rows[s];
    const n = points.cols[s];
    X.set(values.subarray((r * N + n) * F, (r * N + n + 1) * F), s * F);
    const c0 = close[r * N + n];
    y[s] = Math.log(close[(r + horizon) * N + n] / c0);
    time[s] = panel.time[r];
    ticker[s] = n;
    baseline[s] = avwapIndex >= 0 ? c0 / values[(r * N + n) * F + avwapIndex] - 1 : NaN;
  }
  return { X, y, time, ticker, baseline, S };
}

/** Regime id [S] and context [S, 10] at the sample points, from bars ≤ t. */
export function sampleRegimeContext(panel: Panel, points: { rows: Int32Array; cols: Int32Array; count: number }): { regime: Uint8Array; context: Float32Array } {
  const { N } = panel;
  const reg = computeRegimes(panel).regime;
  const ctxAll = computeContext(panel);
  const regime = new Uint8Array(points.count);
  const context = new Float32Array(points.count * CONTEXT_SIZE);
  for (let s = 0; s < points.count; s++) {
    const i = points.rows[s] * N + points.cols[s];
    regime[s] = reg[i];
    context.set(ctxAll.subarray(i * CONTEXT_SIZE, (i + 1) * CONTEXT_SIZE), s * CONTEXT_SIZE);
  }
  return { regime, context };
}

/** Synthetic data only: the seed whose hidden regimes and drift rules the oracle may use. */
export function syntheticSeed(provider: Provider): number | null {
  return provider instanceof SyntheticProvider && oracleAvailable() ? provider.seed : null;
}

export interface SampleParams {
  sample_interval: number;
  warmup: number;
  horizon: number;
}

/** Unknown hidden regime (real data). */
export const NO_HIDDEN_REGIME = 255;

export const sampleKind = defineKind<SampleParams>({
  name: 'sample',
  description: 'Every sample_interval minutes after warmup: one row of indicator values per observed ticker, its forward-return label, regime and market context.',
  // 2: regime, context, hidden_regime and oracle per sample.
  version: 2,
  cardinality: 'per-batch',
  contentIdMode: 'key',
  sharedParams: ['sample_interval', 'warmup', 'horizon'],
  paramsSchema: {},
  inputs: [
    { role: 'indicators', kind: 'indicators', required: true },
    { role: 'bars', kind: 'fetch', required: true },
  ],
  // The hidden regime and the oracle depend on the generator (its identity is keyed), not only on the bars.
  uses: ['provider'],
  libraryVersions: { regime: REGIME_VERSION, context: CONTEXT_VERSION },
  async run(ctx) {
    const bars = inputIn(ctx.inputs, 'bars');
    const ind = inputIn(ctx.inputs, 'indicators');
    const panel = panelFromTensors(await bars.tensors(), bars.meta as any);
    const cube = (await ind.tensors()).values;
    const names = ind.meta.names as string[];
    const F = names.length;
    const avwapIndex = names.indexOf('AVWAP_SESSION');
    if (avwapIndex < 0) ctx.warn('AVWAP_SESSION is not among the indicators, so the AVWAP baseline rule has no signal; add it to indicators.names');
    const points = samplePoints(panel, ctx.params);
    const s = buildSamples(panel, cube.data as Float32Array, F, avwapIndex, points, ctx.params.horizon);
    const rc = sampleRegimeContext(panel, points);
    const seed = syntheticSeed(ctx.provider());
    const hidden = new Uint8Array(s.S).fill(NO_HIDDEN_REGIME);
    const oracle = seed === null ? new Float32Array(s.S).fill(NaN) : syntheticOracle(panel, points, ctx.params.horizon, seed);
    if (seed !== null) for (let i = 0; i < s.S; i++) hidden[i] = hiddenRegimeIndex(seed, panel.tickers[s.ticker[i]], panel.sessions[panel.sessionOfRow[points.rows[i]]].date);
    return {
      tensors: {
        X: tensor(s.X, [s.S, F]),
        y: tensor(s.y, [s.S]),
        time: tensor(s.time, [s.S]),
        ticker: tensor(s.ticker, [s.S]),
        baseline: tensor(s.baseline, [s.S]),
        regime: tensor(rc.regime, [s.S]),
        context: tensor(rc.context, [s.S, CONTEXT_SIZE]),
        hidden_regime: tensor(hidden, [s.S]),
        oracle: tensor(oracle, [s.S]),
      },
      meta: {
        featureNames: names,
        tickers: panel.tickers,
        S: s.S,
        F,
        horizon: ctx.params.horizon,
        regimeNames: REGIME_NAMES,
        regimeDefinition: REGIME_DEFINITION,
        contextNames: CONTEXT_NAMES,
        hiddenRegimeNames: seed === null ? null : HIDDEN_REGIME_NAMES,
      },
      metrics: { samples: s.S },
    };
  },
});
