import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { canonicalOrder } from '../../src/model/order.js';
import type { SampleSet } from '../../src/model/types.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { tempDir } from '../runner/helpers.js';
import { synthSet } from './helpers.js';

const sameWeights = (a: Record<string, Tensor>, b: Record<string, Tensor>) => {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const k of Object.keys(a)) expect(Buffer.from(b[k].data.buffer).equals(Buffer.from(a[k].data.buffer)), k).toBe(true);
};

/** The same samples with rows reversed and the ticker list reversed (as other batches would give). */
function shuffledCopy(set: SampleSet): SampleSet {
  const S = set.S;
  const rev = (i: number) => S - 1 - i;
  const tickers = [...set.tickers].reverse();
  const X = new Float32Array(set.X.length);
  for (let i = 0; i < S; i++) X.set(set.X.subarray(rev(i) * set.F, (rev(i) + 1) * set.F), i * set.F);
  return {
    ...set,
    X,
    y: Float32Array.from({ length: S }, (_, i) => set.y[rev(i)]),
    time: Float64Array.from({ length: S }, (_, i) => set.time[rev(i)]),
    ticker: Int32Array.from({ length: S }, (_, i) => tickers.indexOf(set.tickers[set.ticker[rev(i)]])),
    tickers,
  };
}

describe('training does not depend on the order samples arrive in', () => {
  it('canonical order is by time, then ticker symbol', () => {
    const order = canonicalOrder({ S: 4, time: Float64Array.from([2, 1, 2, 1]), ticker: Int32Array.from([0, 1, 1, 0]), tickers: ['B', 'A'] });
    expect(Array.from(order)).toEqual([1, 3, 2, 0]);
  });

  it('reordered rows and ticker list → bit-identical weights and metrics', async () => {
    const set = synthSet({ tickers: 6, times: 200, F: 5 });
    const params = { ...TRAIN_DEFAULTS, model: 'mlp' as const, epochs: 2, batchSize: 64 };
    const a = await trainModel(set, params);
    const b = await trainModel(shuffledCopy(set), params);
    sameWeights(a.weights, b.weights);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.history.map((h) => h.valLoss)).toEqual(a.history.map((h) => h.valLoss));
  });

  it('quickstart with batch_size 5 and 50 (tickers per batch) trains identical weights', async () => {
    const dir = tempDir();
    const out = [];
    for (const batch of [5, 50]) {
      const spec = loadSpec(join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml'), { set: [`batch_size=${batch}`, 'params.epochs=1'] });
      const models = join(dir, `models-${batch}`);
      const r = await runPipeline(spec, { cacheDir: join(dir, `cache-${batch}`), modelsDir: models });
      expect(r.status).toBe('ok');
      out.push({ r, ckpt: loadCheckpoint(join(models, 'quickstart.safetensors')) });
    }
    const [five, fifty] = out;
    expect(five.r.results.size).toBeGreaterThan(fifty.r.results.size); // 2 batches vs 1
    sameWeights(five.ckpt.weights, fifty.ckpt.weights);
    expect(five.r.metrics.train).toEqual(fifty.r.metrics.train);
  });
});
