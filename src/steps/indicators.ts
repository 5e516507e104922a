/** indicators: the [T, N, F] indicator cube of one batch. */
import { computeIndicatorsParallel, INDICATORS_VERSION } from '../indicators/index.js';
import { tensor } from '../tensor/tensor.js';
import { inputOfKind, type StepKind } from './kind.js';
import { panelFromTensors } from './panel-artifact.js';

export const indicatorsKind: StepKind = {
  name: 'indicators',
  version: 1,
  perBatch: true,
  contentIdMode: 'key',
  sharedParams: [],
  inputs: { required: ['fetch'] },
  // The formulas' version is part of the key: changing any formula invalidates old cubes.
  keyData: () => ({ indicatorsVersion: INDICATORS_VERSION }),
  async run(ctx) {
    const bars = inputOfKind(ctx.inputs, 'fetch');
    const panel = panelFromTensors(await bars.tensors(), bars.meta as any);
    // tickers split over worker threads (bit-identical to computeIndicators; small batches stay synchronous)
    const out = await computeIndicatorsParallel(panel, { names: ctx.params.names, countNaN: true });
    const nan = out.nanCount!;
    return {
      tensors: { values: tensor(out.values, [out.T, out.N, out.F]) },
      meta: { names: out.names, tickers: panel.tickers, T: out.T, N: out.N, F: out.F },
      metrics: { indicators: out.F, nan_pct: (100 * nan) / Math.max(1, out.values.length) },
    };
  },
};
