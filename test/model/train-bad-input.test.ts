/**
 * Bad input at the train step: too few rows reach it (the precheck's message and
 * suggestions), feature columns without information in the train split are named, and a NaN
 * loss names the epoch, step, the batch's tickers/dates and its extreme features.
 */
import { describe, expect, it } from 'vitest';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { degenerateColumns } from '../../src/model/checks.js';
import { checkEnoughSamples } from '../../src/steps/train.js';
import { DataError } from '../../src/util/errors.js';
import type { TrainParams } from '../../src/model/types.js';
import { synthSet } from './helpers.js';

const base: TrainParams = { ...TRAIN_DEFAULTS, model: 'mlp', epochs: 1, batchSize: 64, seed: 1 };

describe('train: too few samples', () => {
  const shared = { min_samples: 1000, days: 10, sample_interval: 5, warmup: 120 };

  it('fails with the precheck message and suggestions when rows were dropped below min_samples', () => {
    const set = synthSet({ tickers: 4, times: 300 }); // 1,200 rows
    for (let i = 0; i < 400; i++) set.y[i * 3] = Number.NaN; // 400 without a forward return → 800 usable
    let err: unknown;
    try {
      checkEnoughSamples(shared, set);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    const e = err as DataError;
    expect(e.message).toMatch(/^train: Insufficient samples for training: 800 estimated, 1,000 required\. Try --days \d+ \(≈ [\d,]+\), --sample-interval \d \(≈ [\d,]+\)/);
    expect(e.message).toContain('1,200 samples reached the train step, 400 without a forward return');
    expect(e.hint).toContain('params.min_samples (now 1000)');
    // The suggestions reach the requirement at the observed coverage (800 of the formula's 4 × …).
    const days = Number(/--days (\d+)/.exec(e.message)![1]);
    expect(days).toBeGreaterThan(shared.days);
  });

  it('passes when enough rows are usable', () => {
    expect(() => checkEnoughSamples(shared, synthSet({ tickers: 4, times: 300 }))).not.toThrow();
  });
});

describe('train: feature columns without information', () => {
  it('names constant and all-NaN columns of the train split', async () => {
    const set = synthSet({ tickers: 5, times: 200, F: 6, nanShare: 0 });
    for (let i = 0; i < set.S; i++) {
      set.X[i * set.F + 3] = Number.NaN;
      set.X[i * set.F + 4] = 2.5;
    }
    expect(degenerateColumns(set.X, set.F, Int32Array.from({ length: set.S }, (_, i) => i), set.featureNames)).toEqual({ allNaN: ['f3'], constant: ['f4'] });
    const warnings: string[] = [];
    await trainModel(set, base, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('1 all-NaN (f3)');
    expect(warnings[0]).toContain('1 constant (f4)');
  });

  it('a column constant only in the train split (varying later) is named too', () => {
    const set = synthSet({ tickers: 2, times: 100, F: 3, nanShare: 0 });
    const train = Int32Array.from({ length: 100 }, (_, i) => i);
    for (const r of train) set.X[r * 3 + 1] = 0;
    expect(degenerateColumns(set.X, 3, train, set.featureNames).constant).toEqual(['f1']);
    expect(degenerateColumns(set.X, 3, Int32Array.from({ length: set.S }, (_, i) => i), set.featureNames).constant).toEqual([]);
  });

  it('stops when no column carries information', async () => {
    const set = synthSet({ tickers: 3, times: 100, F: 2, nanShare: 0 });
    set.X.fill(1);
    await expect(trainModel(set, base)).rejects.toThrow(/every feature columns? without information.*2 constant \(f0, f1\)/);
  });
});

describe('train: NaN loss', () => {
  it('names epoch, step, the batch tickers and dates, the extreme features, and what to do', async () => {
    const set = synthSet({ tickers: 5, times: 120, F: 6 });
    // One wild print: a huge but finite value in f5 for T3 in the first session.
    set.X[(2 * 5 + 3) * 6 + 5] = 3e37;
    let err: unknown;
    try {
      await trainModel(set, { ...base, model: 'indicator-transformer', epochs: 3, learningRate: 1e30, gradClip: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    const e = err as DataError;
    expect(e.message).toMatch(/^train: the loss became (NaN|Infinity|-Infinity) at epoch \d+, step \d+\/\d+ \(learning_rate 1e\+30\)\./);
    expect(e.message).toMatch(/That batch holds \d+ samples of \d tickers? \((T\d, )*T\d\) on \d+ days? \(2024-01-\d\d/);
    expect(e.message).toMatch(/most extreme values against the train scaler: \S+ \(\|z\| [\d.e+]+ at T\d 2024-01-\d\d \d\d:\d\d UTC\)/);
    expect(e.hint).toContain('--set train.learning_rate=1e+29');
  });
});
