/**
 * sample: every `sample_interval` minutes after a `warmup`-minute warm-up, one row of indicator
 * values per observed ticker (features use bars ≤ t only) and its label: the log return from
 * t's close to the close `horizon` minutes later in the same session (bars > t only). Also the
 * baseline signal close/AVWAP_SESSION − 1 for the backtest's traditional rule.
 */
import { samplePoints } from '../data/precheck.js';
import type { Panel } from '../data/panel.js';
import { tensor } from '../tensor/tensor.js';
import { inputOfKind, type StepKind } from './kind.js';
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

export const sampleKind: StepKind = {
  name: 'sample',
  version: 1,
  perBatch: true,
  contentIdMode: 'key',
  sharedParams: ['sample_interval', 'warmup', 'horizon'],
  inputs: { required: ['indicators', 'fetch'] },
  async run(ctx) {
    const bars = inputOfKind(ctx.inputs, 'fetch');
    const ind = inputOfKind(ctx.inputs, 'indicators');
    const panel = panelFromTensors(await bars.tensors(), bars.meta as any);
    const cube = (await ind.tensors()).values;
    const names = ind.meta.names as string[];
    const F = names.length;
    const avwapIndex = names.indexOf('AVWAP_SESSION');
    if (avwapIndex < 0) ctx.warn('AVWAP_SESSION is not among the indicators, so the AVWAP baseline rule has no signal; add it to indicators.names');
    const points = samplePoints(panel, { warmup: ctx.params.warmup, interval: ctx.params.sample_interval, horizon: ctx.params.horizon });
    const s = buildSamples(panel, cube.data as Float32Array, F, avwapIndex, points, ctx.params.horizon);
    return {
      tensors: {
        X: tensor(s.X, [s.S, F]),
        y: tensor(s.y, [s.S]),
        time: tensor(s.time, [s.S]),
        ticker: tensor(s.ticker, [s.S]),
        baseline: tensor(s.baseline, [s.S]),
      },
      meta: { featureNames: names, tickers: panel.tickers, S: s.S, F, horizon: ctx.params.horizon },
      metrics: { samples: s.S },
    };
  },
};
