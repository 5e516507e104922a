import { describe, expect, it } from 'vitest';
import { trainModel } from '../../src/model/train.js';
import { indicatorImportance, predict, rankIndicators } from '../../src/model/predict.js';
import { TRANSFORMER_PRESETS, initWeights, makeConfig } from '../../src/model/nets.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint.js';
import type { SampleSet } from '../../src/model/types.js';
import { synthSet } from './helpers.js';

/** Moves column perm[j] of the set to position j (names follow their columns). */
function permuteColumns(set: SampleSet, perm: number[]): SampleSet {
  const X = new Float32Array(set.X.length);
  for (let i = 0; i < set.S; i++) for (let j = 0; j < set.F; j++) X[i * set.F + j] = set.X[i * set.F + perm[j]];
  return { ...set, X, featureNames: perm.map((p) => set.featureNames[p]) };
}

describe('indicatorImportance', () => {
  it('is learned from the data: the two informative indicators rank first, wherever their columns are', async () => {
    const base = synthSet({ tickers: 20, times: 300, F: 10, seed: 11 });
    // y depends on f0 (weight 1) and f1 (weight −0.5); put them at columns 7 and 3.
    const set = permuteColumns(base, [2, 3, 4, 1, 5, 6, 8, 0, 9, 7]);
    const r = await trainModel(set, {
      model: 'indicator-transformer', preset: 'small', epochs: 8, batchSize: 128, learningRate: 3e-3, seed: 1, valFraction: 0.15, testFraction: 0.2,
      gatePenalty: 0.05, // the sparsity penalty concentrates importance on what carries the signal
    });
    const imp = await indicatorImportance(r, set.X, set.S);
    expect(imp.length).toBe(set.F);
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    for (const v of imp) expect(v).toBeGreaterThan(0);
    const ranked = rankIndicators(set.featureNames, imp);
    expect(ranked.slice(0, 2).map((x) => x.name).sort()).toEqual(['f0', 'f1']);
    expect(imp[7]).toBeGreaterThan(2 / set.F); // f0 gets well over a uniform share
  });

  it('refuses an MLP (no attention to read)', async () => {
    const set = synthSet({ tickers: 3, times: 60, F: 4 });
    const r = await trainModel(set, { model: 'mlp', preset: 'small', epochs: 1, batchSize: 32, learningRate: 1e-3, seed: 1, valFraction: 0.15, testFraction: 0.2 });
    await expect(indicatorImportance(r, set.X, set.S)).rejects.toThrow(/indicator-transformer|no gates/);
  });
});

describe('presets', () => {
  it('reference preset has the reference size (d 256, 8 heads, 6 layers, d_ff 1024) and trains', async () => {
    expect(TRANSFORMER_PRESETS.reference).toEqual({ dModel: 256, heads: 8, layers: 6, dFF: 1024 });
    const cfg = makeConfig('indicator-transformer', 'reference', ['a', 'b', 'c'], 15);
    const w = initWeights(cfg, 1);
    expect(w['layers.5.ff.0.weight'].shape).toEqual([256, 1024]);
    expect(w['layers.5.attn.q.weight'].shape).toEqual([256, 256]);
    expect(w['tok.value'].shape).toEqual([3, 256]);
    expect(w['layers.6.ln1.weight']).toBeUndefined();
    // A short run on a few features (7 tokens keeps it quick on a CPU).
    const set = synthSet({ tickers: 4, times: 80, F: 6 });
    const r = await trainModel(set, { model: 'indicator-transformer', preset: 'reference', epochs: 1, batchSize: 64, learningRate: 1e-4, seed: 1, valFraction: 0.15, testFraction: 0.2 });
    expect(r.config.transformer).toEqual(TRANSFORMER_PRESETS.reference);
    expect(Number.isFinite(r.history[0].valLoss)).toBe(true);
    const back = decodeCheckpoint(encodeCheckpoint(r));
    const a = await predict(r, set.X, set.S);
    const b = await predict(back, set.X, set.S);
    expect(Buffer.from(b.buffer)).toEqual(Buffer.from(a.buffer));
    const imp = await indicatorImportance(r, set.X, set.S);
    expect(imp.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
  });

  it('rejects unknown kinds/presets and weights that do not match the config', async () => {
    expect(() => makeConfig('indicator-transformer', 'huge' as never, ['a'], 15)).toThrow(/unknown preset "huge"/);
    expect(() => makeConfig('lstm' as never, 'small', ['a'], 15)).toThrow(/unknown model kind "lstm"/);
    const set = synthSet({ tickers: 3, times: 60, F: 4 });
    const r = await trainModel(set, { model: 'mlp', preset: 'small', epochs: 1, batchSize: 32, learningRate: 1e-3, seed: 1, valFraction: 0.15, testFraction: 0.2 });
    await expect(predict(r, new Float32Array(5 * 3), 5)).rejects.toThrow(/trained on 4 features/);
    const { 'head.bias': _drop, ...rest } = r.weights;
    await expect(predict({ ...r, weights: rest }, set.X, set.S)).rejects.toThrow(/missing \[head\.bias\]/);
  });
});
