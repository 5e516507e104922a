import { describe, expect, it } from 'vitest';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { gateScores, indicatorImportance, predict } from '../../src/model/predict.js';
import { modelInputs } from '../../src/model/inputs.js';
import { CONTEXT_SIZE } from '../../src/model/context.js';
import { Rng } from '../../src/model/rng.js';
import type { SampleSet } from '../../src/model/types.js';
import { synthSet } from './helpers.js';

/**
 * Indicator A (column a) drives y only in regime 0 (trend-calm), indicator B (column b) only in
 * regime 2 (range-calm); the regime changes by session. Shuffled labels: nothing to find.
 */
function plantedSet(a: number, b: number, shuffle = false): SampleSet {
  const set = synthSet({ tickers: 16, times: 480, F: 8, nanShare: 0, seed: 21 });
  const rng = new Rng(4);
  set.regime = new Uint8Array(set.S);
  set.context = new Float32Array(set.S * CONTEXT_SIZE);
  for (let i = 0; i < set.S; i++) {
    const day = Math.floor(set.time[i] / 86_400_000);
    const r = (day * 7 + set.ticker[i]) % 2 === 0 ? 0 : 2;
    set.regime[i] = r;
    for (let k = 0; k < CONTEXT_SIZE; k++) set.context[i * CONTEXT_SIZE + k] = rng.normal();
    const x = (f: number) => set.X[i * set.F + f];
    set.y[i] = 0.002 * (r === 0 ? x(a) : x(b)) + 0.001 * rng.normal();
  }
  if (shuffle) rng.shuffle(set.y);
  return set;
}

const params = { ...TRAIN_DEFAULTS, ablationK: 1, epochs: 6, batchSize: 128, learningRate: 3e-3, gatePenalty: 0.05, weightDecay: 0.01, seed: 3 };

/** Mean gate per indicator over the rows of one regime. */
async function gatesByRegime(model: Awaited<ReturnType<typeof trainModel>>, set: SampleSet, regime: number): Promise<number[]> {
  const X = modelInputs(set, model.config.contextF);
  const g = await gateScores(model, X, set.S);
  const Fi = set.F;
  const acc = new Array(Fi).fill(0);
  let n = 0;
  for (let i = 0; i < set.S; i++) {
    if (set.regime![i] !== regime) continue;
    n++;
    for (let j = 0; j < Fi; j++) acc[j] += g[i * Fi + j];
  }
  return acc.map((v) => v / n);
}

const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));

describe('gated indicator transformer', () => {
  it('learns which indicator matters in which regime: A first in R1, B first in R2 (not the other way round)', async () => {
    const [a, b] = [5, 1];
    const set = plantedSet(a, b);
    const model = await trainModel(set, params);
    expect(model.config.contextF).toBe(14);
    expect(model.metrics.testCorr).toBeGreaterThan(0.6);
    const r1 = await gatesByRegime(model, set, 0);
    const r2 = await gatesByRegime(model, set, 2);
    console.log('gates R1', r1.map((v) => v.toFixed(2)).join(' '), '| R2', r2.map((v) => v.toFixed(2)).join(' '));
    expect(argmax(r1)).toBe(a);
    expect(argmax(r2)).toBe(b);
    expect(r1[a]).toBeGreaterThan(r1[b] + 0.1);
    expect(r2[b]).toBeGreaterThan(r2[a] + 0.1);
    // Usefulness depends on the regime.
    expect(r1[a]).toBeGreaterThan(r2[a] + 0.05);
    expect(r2[b]).toBeGreaterThan(r1[b] + 0.05);
    // The penalty switches uninformative indicators down.
    const others = r1.filter((_, j) => j !== a && j !== b);
    expect(Math.max(...others)).toBeLessThan(r1[a]);
    // Ablation: the top indicator of each regime (chosen on validation) keeps most of the test
    // IC; one random indicator per regime does not.
    const ab = model.metrics.evaluation!.ablation!;
    console.log('ablation', JSON.stringify(ab));
    expect(ab.k).toBe(1);
    expect(ab.all).toBeCloseTo(model.metrics.testCorr, 6);
    expect(ab.topK).toBeGreaterThan(0.8 * ab.all);
    expect(ab.randomK).toBeLessThan(0.6 * ab.all);
    expect(model.metrics.evaluation!.usefulness!.find((u) => u.regime === 'trend-calm')!.indicators[0].name).toBe(`f${a}`);
    expect(model.metrics.evaluation!.usefulness!.find((u) => u.regime === 'range-calm')!.indicators[0].name).toBe(`f${b}`);
    // Predictions use the same inputs.
    const pred = await predict(model, modelInputs(set, model.config.contextF), set.S);
    expect(pred.length).toBe(set.S);
  });

  it('shuffled labels: test IC ≈ 0 and no indicator stands out', async () => {
    const set = plantedSet(5, 1, true);
    const model = await trainModel(set, params);
    expect(Math.abs(model.metrics.testCorr)).toBeLessThan(0.08);
    const imp = await indicatorImportance(model, modelInputs(set, model.config.contextF), set.S);
    console.log('importance, shuffled', Array.from(imp, (v) => v.toFixed(3)).join(' '));
    expect(Math.max(...imp)).toBeLessThan(2 / set.F);
  });
});
