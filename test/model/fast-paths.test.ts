/**
 * The speed switches compute the same model: mx.fast.scaledDotProductAttention (NET_OPTIONS)
 * matches matmul + softmax + matmul, and an mx.compile'd loss-and-gradient step trains to the
 * same weights as the plain one (to float tolerance), deterministically.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { core as mx } from '@frost-beta/mlx';
import { forward, initWeights, makeConfig, NET_OPTIONS } from '../../src/model/nets.js';
import { toMx, toMxMany, fromMxF32 } from '../../src/tensor/mlx-bridge.js';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { synthSet } from './helpers.js';

const saved = { ...NET_OPTIONS };
afterEach(() => {
  Object.assign(NET_OPTIONS, saved);
});

describe('fast paths', () => {
  it('the token-free one-layer form = the token form (small preset): predictions, attention, gradients, masks', () => {
    const names = Array.from({ length: 30 }, (_, i) => `f${i}`);
    const config = makeConfig('indicator-transformer', 'small', names, 15, 6);
    expect(config.transformer!.layers).toBe(1);
    const p = toMxMany(initWeights(config, 9));
    // Non-trivial norms and a learned linear path, so every term of the closed form is exercised.
    p['layers.0.ln1.weight'] = mx.add(p['layers.0.ln1.weight'], mx.multiply(0.3, mx.sin(mx.arange(32))));
    p['layers.0.ln1.bias'] = mx.multiply(0.2, mx.cos(mx.arange(32)));
    if (p['lin.weight']) p['lin.weight'] = mx.multiply(0.1, mx.sin(mx.arange(24)));
    const n = 16;
    const x = toMx({ dtype: 'F32', shape: [n, 30], data: Float32Array.from({ length: n * 30 }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i * 0.71) * 3)) });
    const y = toMx({ dtype: 'F32', shape: [n], data: Float32Array.from({ length: n }, (_, i) => Math.cos(i)) });
    const mask = toMx({ dtype: 'F32', shape: [n, 24], data: Float32Array.from({ length: n * 24 }, (_, i) => (i % 3 === 0 ? 0 : 1)) });
    const run = (tokenFree: boolean) => {
      NET_OPTIONS.tokenFree = tokenFree;
      const out = forward(p, config, x, true, mask);
      const grads = mx.valueAndGrad((pp: typeof p) => mx.mean(mx.square(mx.subtract(forward(pp, config, x).pred, y))))(p)[1] as unknown as typeof p;
      return { pred: fromMxF32(out.pred), attn: fromMxF32(out.clsAttention!), gates: fromMxF32(out.gates!), grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, fromMxF32(g)])) };
    };
    const a = run(false);
    const b = run(true);
    const close = (u: Float32Array, v: Float32Array, tol: number, what: string) => {
      expect(v.length, what).toBe(u.length);
      let m = 0;
      let scale = 1e-8;
      for (let i = 0; i < u.length; i++) {
        m = Math.max(m, Math.abs(u[i] - v[i]));
        scale = Math.max(scale, Math.abs(u[i]));
      }
      expect(m / scale, what).toBeLessThan(tol);
    };
    close(a.pred, b.pred, 1e-4, 'pred');
    close(a.attn, b.attn, 1e-4, 'attention');
    close(a.gates, b.gates, 1e-6, 'gates');
    for (const k of Object.keys(a.grads)) close(a.grads[k], b.grads[k], 1e-3, `grad ${k}`);
  });

  for (const preset of ['small', 'reference'] as const) {
    it(`the factored last layer = keys and values per token (${preset}): predictions, attention, gradients`, () => {
      const names = Array.from({ length: 20 }, (_, i) => `f${i}`);
      const config = makeConfig('indicator-transformer', preset, names, 15, 6);
      const p = toMxMany(initWeights(config, 5));
      const x = toMx({ dtype: 'F32', shape: [8, 20], data: Float32Array.from({ length: 160 }, (_, i) => Math.cos(i * 0.29) * 2) });
      const y = toMx({ dtype: 'F32', shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => i / 8 - 0.5) });
      const run = (factored: boolean) => {
        NET_OPTIONS.factoredLastLayer = factored;
        const out = forward(p, config, x, true);
        const grads = mx.valueAndGrad((pp: typeof p) => mx.mean(mx.square(mx.subtract(forward(pp, config, x).pred, y))))(p)[1] as unknown as typeof p;
        return { pred: fromMxF32(out.pred), attn: fromMxF32(out.clsAttention!), grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, fromMxF32(g)])) };
      };
      const a = run(false);
      const b = run(true);
      const close = (u: Float32Array, v: Float32Array, tol: number, what: string) => {
        expect(v.length, what).toBe(u.length);
        let m = 0;
        let scale = 1e-8;
        for (let i = 0; i < u.length; i++) {
          m = Math.max(m, Math.abs(u[i] - v[i]));
          scale = Math.max(scale, Math.abs(u[i]));
        }
        expect(m / scale, what).toBeLessThan(tol);
      };
      close(a.pred, b.pred, 1e-5, 'pred');
      close(a.attn, b.attn, 1e-5, 'attention');
      for (const k of Object.keys(a.grads)) close(a.grads[k], b.grads[k], 1e-4, `grad ${k}`);
    });
  }

  for (const preset of ['small', 'reference'] as const) {
    it(`scaledDotProductAttention = plain attention (${preset} preset, context token)`, () => {
      const names = Array.from({ length: 20 }, (_, i) => `f${i}`);
      const config = makeConfig('indicator-transformer', preset, names, 15, 6);
      const p = toMxMany(initWeights(config, 3));
      const x = toMx({ dtype: 'F32', shape: [8, 20], data: Float32Array.from({ length: 160 }, (_, i) => Math.sin(i * 0.37) * 2) });
      NET_OPTIONS.fastAttention = false;
      const a = fromMxF32(forward(p, config, x).pred);
      NET_OPTIONS.fastAttention = true;
      const b = fromMxF32(forward(p, config, x).pred);
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 4);
      mx.eval();
    });
  }

  it('mx.compile step trains to the plain step’s weights; twice the same bits', async () => {
    const set = synthSet({ tickers: 5, times: 120, F: 6 });
    const p = { ...TRAIN_DEFAULTS, epochs: 2, batchSize: 64, seed: 1 };
    const plain = await trainModel(set, { ...p, compile: false });
    const c1 = await trainModel(set, { ...p, compile: true });
    const c2 = await trainModel(set, { ...p, compile: true });
    for (const k of Object.keys(plain.weights)) {
      const a = plain.weights[k].data as Float32Array;
      const b = c1.weights[k].data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      expect(maxDiff, k).toBeLessThan(1e-4);
      expect(Buffer.from(c2.weights[k].data.buffer).equals(Buffer.from(c1.weights[k].data.buffer)), k).toBe(true);
    }
    expect(c1.history.map((h) => h.valLoss)[1]).toBeCloseTo(plain.history[1].valLoss, 5);
    // Gradients flow through scaledDotProductAttention too.
    NET_OPTIONS.fastAttention = true;
    const fast = await trainModel(set, { ...p, compile: false });
    for (const k of Object.keys(plain.weights)) {
      const a = plain.weights[k].data as Float32Array;
      const b = fast.weights[k].data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      expect(maxDiff, k).toBeLessThan(1e-3);
    }
  });
});
