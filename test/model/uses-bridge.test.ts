import { describe, expect, it, vi } from 'vitest';

// Wrap the bridge so the model code's calls through it can be counted.
vi.mock('../../src/tensor/mlx-bridge.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/tensor/mlx-bridge.js')>();
  return {
    ...orig,
    toMxMany: vi.fn(orig.toMxMany),
    toMx: vi.fn(orig.toMx),
    fromMx: vi.fn(orig.fromMx),
    fromMxMany: vi.fn(orig.fromMxMany),
    fromMxF32: vi.fn(orig.fromMxF32),
    f32ToMx: vi.fn(orig.f32ToMx),
  };
});

const bridge = await import('../../src/tensor/mlx-bridge.js');
const { trainModel } = await import('../../src/model/train.js');
const { predict } = await import('../../src/model/predict.js');
const { synthSet } = await import('./helpers.js');

describe('model code moves bulk data through the safetensors bridge', () => {
  it('trainModel loads weights and data with toMxMany and exports weights with fromMxMany; predict uses it too', async () => {
    const set = synthSet({ tickers: 4, times: 100, F: 5 });
    const r = await trainModel(set, { model: 'mlp', preset: 'small', epochs: 1, batchSize: 64, learningRate: 1e-3, seed: 1, valFraction: 0.15, testFraction: 0.2 });
    const loads = vi.mocked(bridge.toMxMany).mock.calls;
    expect(loads.length).toBeGreaterThanOrEqual(2);
    expect(loads.some((c) => 'Xtr' in c[0] && 'ytr' in c[0])).toBe(true);
    expect(loads.some((c) => 'head.weight' in c[0])).toBe(true);
    expect(vi.mocked(bridge.fromMxMany)).toHaveBeenCalled();
    expect(Object.keys(r.weights)).toContain('head.weight');
    vi.mocked(bridge.f32ToMx).mockClear();
    await predict(r, set.X, set.S);
    expect(vi.mocked(bridge.f32ToMx)).toHaveBeenCalled();
  });
});
