/**
 * Model + backtest benchmarks: seconds per epoch at 15,000 samples × 111 features for the
 * small indicator transformer and the MLP, one reference-size step at batch 32 (extrapolated
 * to an epoch), prediction and bridge throughput, the backtest over 1 M samples, and RSS.
 * Measures only; asserts nothing.
 */
import type { BenchSection } from './run.js';
import { core as mx } from '@frost-beta/mlx';
import { trainModel, predict, indicatorImportance, TRANSFORMER_PRESETS, MLP_PRESETS } from '../../src/model/index.js';
import type { SampleSet, TrainParams } from '../../src/model/index.js';
import { runBacktest } from '../../src/backtest/index.js';
import { fromMx, toMx } from '../../src/tensor/mlx-bridge.js';
import { collect, rssMB } from '../../src/util/memory.js';
import { synthSet } from '../model/helpers.js';

function sampleSet(tickers: number, times: number, F: number): SampleSet {
  return synthSet({ tickers, times, F, nanShare: 0.02, seed: 3 });
}

export default async function bench(): Promise<BenchSection[]> {
  const sections: BenchSection[] = [];
  const F = 111;
  // 30 tickers × 500 sample times = 15,000 samples (≈ 20 days × 25 samples/day, interval 15).
  const set = sampleSet(30, 500, F);
  const base: TrainParams = {
    model: 'indicator-transformer', preset: 'small', epochs: 3, batchSize: 256, learningRate: 1e-3, seed: 1, valFraction: 0.15, testFraction: 0.2,
  };

  const rows: Record<string, string | number>[] = [];
  for (const model of ['indicator-transformer', 'mlp'] as const) {
    await collect();
    const rss0 = rssMB();
    const t0 = performance.now();
    const r = await trainModel(set, { ...base, model });
    const total = (performance.now() - t0) / 1000;
    const sizes = model === 'mlp' ? `hidden ${MLP_PRESETS.small.hidden.join('-')}` : JSON.stringify(TRANSFORMER_PRESETS.small);
    rows.push({
      model: `${model} (small)`,
      sizes,
      'train rows': r.split.counts.train,
      'epoch 1 s': r.history[0].seconds,
      'epoch 2 s': r.history[1].seconds,
      'epoch 3 s': r.history[2].seconds,
      'total s (3 epochs + test)': total,
      'RSS before MB': Math.round(rss0),
      'RSS after MB': Math.round(rssMB()),
    });
    if (model === 'indicator-transformer') {
      const tp = performance.now();
      await predict(r, set.X, set.S);
      const predS = (performance.now() - tp) / 1000;
      const ti = performance.now();
      await indicatorImportance(r, set.X, set.S);
      const impS = (performance.now() - ti) / 1000;
      sections.push({
        title: 'Inference (small indicator transformer, 15,000 × 111)',
        rows: [{ 'predict s': predS, 'rows/s': set.S / predS, 'indicatorImportance s': impS, 'RSS MB': Math.round(rssMB()) }],
      });
    }
  }
  sections.unshift({
    title: 'Training, 15,000 samples × 111 features, batch 256 (seconds per epoch)',
    rows,
    notes: ['Epoch time includes the validation pass. Epoch 1 includes warm-up.'],
  });

  // Reference size: time a few steps at batch 32 and extrapolate to an epoch of the set above.
  {
    await collect();
    const small = sampleSet(12, 20, F); // 240 rows → a few steps at batch 32
    const stamps: number[] = [];
    const t0 = performance.now();
    const r = await trainModel(small, { ...base, preset: 'reference', epochs: 1, batchSize: 32, valFraction: 0.1, testFraction: 0.1 }, {
      onStep: () => stamps.push(performance.now()),
    });
    const total = (performance.now() - t0) / 1000;
    const deltas = stamps.slice(1).map((t, i) => (t - stamps[i]) / 1000);
    const step = deltas.length ? deltas.reduce((a, b) => a + b) / deltas.length : Number.NaN;
    const stepsPerEpoch = Math.ceil((15_000 * 0.65) / 32);
    sections.push({
      title: 'Reference preset (d 256, 8 heads, 6 layers, d_ff 1024), 111 indicator tokens, batch 32',
      rows: [{
        'steps timed': deltas.length,
        's / step (after warm-up)': step,
        'first step s': stamps.length ? (stamps[0] - t0) / 1000 : Number.NaN,
        'steps / epoch (15,000 samples, 65 % train)': stepsPerEpoch,
        'extrapolated min / epoch': (step * stepsPerEpoch) / 60,
        'run s': total,
        'RSS MB': Math.round(rssMB()),
        'train rows': r.split.counts.train,
      }],
    });
  }

  // Bridge throughput.
  {
    await collect();
    const n = 4_000_000;
    const data = new Float32Array(n).map((_, i) => i % 997);
    const t0 = performance.now();
    const a = toMx({ dtype: 'F32', shape: [n / 100, 100], data });
    const t1 = performance.now();
    const b = mx.add(a, 1);
    mx.eval(b);
    const t2 = performance.now();
    fromMx(b);
    const t3 = performance.now();
    sections.push({
      title: 'Typed array ↔ MLX bridge (safetensors via tmpfs), 4 M float32',
      rows: [{ 'toMx ms': t1 - t0, 'fromMx ms': t3 - t2, 'M values/s in': n / 1e3 / (t1 - t0), 'M values/s out': n / 1e3 / (t3 - t2) }],
    });
  }

  // Backtest throughput.
  {
    const S = 1_000_000;
    const big = synthSet({ tickers: 100, times: S / 100, F: 1, nanShare: 0 });
    const t0 = performance.now();
    const res = runBacktest({
      time: big.time, ticker: big.ticker, forwardReturn: big.y, modelSignal: big.X, baselineSignal: big.X.map((v) => -v), horizonMinutes: 15,
    });
    const s = (performance.now() - t0) / 1000;
    sections.push({
      title: 'Backtest, 1 M samples (100 tickers × 10,000 times), model + baseline + buy-and-hold',
      rows: [{ seconds: s, 'M samples/s': S / 1e6 / s, 'model trades': res.model.trades, 'RSS MB': Math.round(rssMB()) }],
    });
  }
  return sections;
}
