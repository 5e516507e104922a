/** indicators: the [T, N, F] indicator cube of one batch. */
import { computeIndicatorsParallel, INDICATORS_VERSION } from '../indicators/index.js';
import { tensor } from '../tensor/tensor.js';
import { defineKind, inputIn } from './kind.js';
import { panelFromTensors } from './panel-artifact.js';

export const indicatorsKind = defineKind<{ names?: string[] }>({
  name: 'indicators',
  description: 'The 111 indicators (or a chosen subset) of one batch, vectorized over tickers.',
  version: 1,
  cardinality: 'per-batch',
  contentIdMode: 'key',
  sharedParams: [],
  paramsSchema: {
    names: {
      type: 'array',
      items: { $ref: '#/definitions/indicatorName' },
      minItems: 1,
      uniqueItems: true,
      description: 'Indicators to compute (default: all 111, in the documented order).',
    },
  },
  inputs: [{ role: 'bars', kind: 'fetch', required: true }],
  // The formulas' version is part of the key: changing any formula invalidates old cubes.
  libraryVersions: { indicators: INDICATORS_VERSION },
  async run(ctx) {
    const bars = inputIn(ctx.inputs, 'bars');
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
});
