/**
 * A resumed training must not depend on the order of the names in the state it resumes from.
 * A state read back from the store lists its tensors in the store's order, not initWeights'
 * order; the gradient-clipping norm is a float32 sum over the parameters, so summing them in
 * the record's order made a store-resumed training differ in the last bits from the same
 * training from scratch (or resumed from the in-memory state): different weights after the
 * resumed epochs and different epoch losses in `history` (seen as a 2-worker sweep disagreeing
 * with the local one in the 9th digit of an epoch loss).
 */
import { describe, expect, it } from 'vitest';
import { trainModel } from '../../src/model/train.js';
import type { TrainParams, TrainState } from '../../src/model/types.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { synthSet } from './helpers.js';

const base: TrainParams = {
  model: 'indicator-transformer',
  preset: 'small',
  epochs: 2,
  batchSize: 64,
  learningRate: 3e-3,
  seed: 5,
  valFraction: 0.15,
  testFraction: 0.2,
};

/** The same record with its keys in another order (what a round trip through the store can give). */
function reordered(r: Record<string, Tensor>, order: 'reversed' | 'sorted'): Record<string, Tensor> {
  const names = Object.keys(r);
  const keys = order === 'sorted' ? [...names].sort() : [...names].reverse();
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}

function reorderedState(s: TrainState, order: 'reversed' | 'sorted'): TrainState {
  return { ...s, weights: reordered(s.weights, order), adamM: reordered(s.adamM, order), adamV: reordered(s.adamV, order), best: reordered(s.best, order), history: s.history.map((h) => ({ ...h })) };
}

const losses = (h: { epoch: number; trainLoss: number; valLoss: number }[]) => h.map(({ epoch, trainLoss, valLoss }) => ({ epoch, trainLoss, valLoss }));

function expectSameTensors(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const [name, t] of Object.entries(a)) {
    const u = b[name];
    expect(u.shape, name).toEqual(t.shape);
    expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), `${name} bytes`).toBe(true);
  }
}

describe('resuming a training', () => {
  it('gives the same bits whatever order the state lists its tensors in (and the same as from scratch)', async () => {
    const set = synthSet({ tickers: 6, times: 240, F: 8 });
    const first = await trainModel(set, base, { keepState: true });
    // The sorted order is the one a state loaded from the store comes back in.
    expect(Object.keys(first.state!.weights)).not.toEqual(Object.keys(first.state!.weights).sort());
    const longer = { ...base, epochs: 5 };
    const scratch = await trainModel(set, longer, { keepState: true });
    for (const order of ['reversed', 'sorted'] as const) {
      const resumed = await trainModel(set, longer, { keepState: true, resume: reorderedState(first.state!, order) });
      expect(losses(resumed.history), order).toEqual(losses(scratch.history));
      expectSameTensors(scratch.state!.weights, resumed.state!.weights);
      expectSameTensors(scratch.state!.adamV, resumed.state!.adamV);
      expectSameTensors(scratch.weights, resumed.weights);
      expect(resumed.metrics.bestValLoss).toBe(scratch.metrics.bestValLoss);
      expect(resumed.metrics.testLoss).toBe(scratch.metrics.testLoss);
    }
  }, 120_000);
});
