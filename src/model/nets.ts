/**
 * The networks, written as pure functions of a flat parameter record (name → mx.array), so
 * weights map one-to-one onto safetensors entries and gradients come from `mx.valueAndGrad`
 * over that record. Initial weights are drawn in JS from a seeded PRNG and bridged in, so
 * they are identical for a seed regardless of MLX's RNG.
 */
import { core as mx } from '@frost-beta/mlx';
import { Rng } from './rng.js';
import type { ModelConfig, ModelKind, Preset } from './types.js';
import { MLP_PRESETS, TRANSFORMER_PRESETS } from './presets.js';

export { MLP_PRESETS, TRANSFORMER_PRESETS };
import type { Tensor } from '../tensor/tensor.js';

export type Params = Record<string, mx.array>;

/**
 * Implementation switches, measured in test/bench/model.bench.ts (docs/model.md, "Speed"):
 * `fastAttention` uses mx.fast.scaledDotProductAttention instead of matmul + softmax + matmul
 * (never when the attention weights are asked for); `factoredLastLayer` computes the last
 * layer's single-query attention without forming per-token keys and values (same math).
 */
// Measured (docs/model.md, "Speed"): the factored last layer made a small-preset epoch on curated
// 3.43 → 1.49 s (0.95 s at lower load). The fused attention was not faster for the reference
// preset's full layers over four measurements (2.53 → 1.61, 1.12 → 2.18, 3.6 → 2.8, 1.83 → 2.45 s
// per step), so it stays off; it did lower peak RSS (4.7 → 3.9 GB). `tokenFree` (one-layer models):
// the closed-form layer norm, no [B, F, d] tensor at all: 0.75–1.31 → 0.38–0.49 s per curated epoch.
// `gatedLinear` (new configs): the gated linear path beside the head, chosen on curated's
// validation split (val IC 0.026 vs 0.023 without it, both at learning rate 1e-4; docs/model.md).
export const NET_OPTIONS = { fastAttention: false, factoredLastLayer: true, gatedLinear: true, tokenFree: true };

export function makeConfig(kind: ModelKind, preset: Preset, featureNames: string[], horizonMinutes: number, contextF = 0): ModelConfig {
  const F = featureNames.length;
  if (!(Number.isInteger(contextF) && contextF >= 0 && contextF < F)) throw new RangeError(`makeConfig: contextF must be an integer in [0, ${F}) (got ${contextF})`);
  if (kind === 'indicator-transformer') {
    const sizes = TRANSFORMER_PRESETS[preset];
    if (!sizes) throw new Error(`unknown preset "${preset}" (expected small | reference)`);
    return { kind, preset, F, featureNames: [...featureNames], horizonMinutes, contextF, transformer: { ...sizes }, ...(NET_OPTIONS.gatedLinear ? { gatedLinear: true } : {}) };
  }
  if (kind === 'mlp') {
    const sizes = MLP_PRESETS[preset];
    if (!sizes) throw new Error(`unknown preset "${preset}" (expected small | reference)`);
    return { kind, preset, F, featureNames: [...featureNames], horizonMinutes, contextF, mlp: { hidden: [...sizes.hidden] } };
  }
  throw new Error(`unknown model kind "${kind as string}" (expected indicator-transformer | mlp)`);
}

/**
 * Rows per inference batch: 2048, fewer for transformers with full-attention layers so one
 * batch's attention scores stay near 16 M floats (64 MB).
 */
export function evalBatchSize(config: ModelConfig): number {
  if (config.kind !== 'indicator-transformer') return 2048;
  const { heads, layers, dModel } = config.transformer!;
  const T = indicatorCount(config);
  const perRow = layers > 1 ? heads * T * T : T * dModel * 4;
  return Math.max(16, Math.min(2048, Math.floor(16_000_000 / perRow)));
}

// ---------------------------------------------------------------- init (typed arrays)

function uniform(rng: Rng, n: number, bound: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * bound;
  return a;
}

function normal(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

function filled(n: number, v: number): Float32Array {
  return new Float32Array(n).fill(v);
}

function t(data: Float32Array, shape: number[]): Tensor {
  return { dtype: 'F32', shape, data };
}

/** Linear layer y = x W + b with W [in, out], PyTorch-style uniform(±1/√in) init. */
function initLinear(out: Record<string, Tensor>, rng: Rng, name: string, fanIn: number, fanOut: number, bias = true, scale = 1): void {
  const bound = scale / Math.sqrt(fanIn);
  out[`${name}.weight`] = t(uniform(rng, fanIn * fanOut, bound), [fanIn, fanOut]);
  if (bias) out[`${name}.bias`] = t(uniform(rng, fanOut, bound), [fanOut]);
}

function initLayerNorm(out: Record<string, Tensor>, name: string, d: number): void {
  out[`${name}.weight`] = t(filled(d, 1), [d]);
  out[`${name}.bias`] = t(filled(d, 0), [d]);
}

/** Indicator tokens of a config (the input columns before the context columns). */
export function indicatorCount(config: ModelConfig): number {
  return config.F - (config.contextF ?? 0);
}

/** Initial weights as typed-array Tensors (deterministic for a seed). */
export function initWeights(config: ModelConfig, seed: number): Record<string, Tensor> {
  const rng = new Rng(seed);
  const out: Record<string, Tensor> = {};
  const F = config.F;
  if (config.kind === 'mlp') {
    const hidden = config.mlp!.hidden;
    let fanIn = F;
    hidden.forEach((h, i) => {
      initLinear(out, rng, `mlp.${i}`, fanIn, h);
      fanIn = h;
    });
    initLinear(out, rng, 'head', fanIn, 1, true, 0.1);
    return out;
  }
  const { dModel: d, layers, dFF } = config.transformer!;
  const Fi = indicatorCount(config);
  const C = config.contextF ?? 0;
  // Token i = x_i · value[i] + embed[i].
  out['tok.value'] = t(normal(rng, Fi * d, 1 / Math.sqrt(d)), [Fi, d]);
  out['tok.embed'] = t(normal(rng, Fi * d, 1 / Math.sqrt(d)), [Fi, d]);
  // The context token: a small MLP of the context columns, or a learned vector without them.
  if (C > 0) {
    initLinear(out, rng, 'ctx.0', C, d);
    initLinear(out, rng, 'ctx.1', d, d);
  } else out['ctx.const'] = t(normal(rng, d, 1 / Math.sqrt(d)), [d]);
  // One gate per indicator from the context token; starts near 0.5 for every indicator.
  initLinear(out, rng, 'gate', d, Fi, true, 0.1);
  for (let l = 0; l < layers; l++) {
    const p = `layers.${l}`;
    initLayerNorm(out, `${p}.ln1`, d);
    if (l === layers - 1) initLayerNorm(out, `${p}.lnq`, d);
    initLinear(out, rng, `${p}.attn.q`, d, d, false);
    initLinear(out, rng, `${p}.attn.k`, d, d, false);
    initLinear(out, rng, `${p}.attn.v`, d, d, false);
    initLinear(out, rng, `${p}.attn.out`, d, d, true);
    initLayerNorm(out, `${p}.ln2`, d);
    initLinear(out, rng, `${p}.ff.0`, d, dFF);
    initLinear(out, rng, `${p}.ff.1`, dFF, d);
  }
  initLinear(out, rng, 'head', d, 1, true, 0.1);
  // The gated linear path: Σ_i g_i·w_i·x_i beside the head (starts at 0).
  if (config.gatedLinear) out['lin.weight'] = t(filled(Fi, 0), [Fi]);
  return out;
}

// ---------------------------------------------------------------- forward (MLX)

function linear(p: Params, name: string, x: mx.array): mx.array {
  const y = mx.matmul(x, p[`${name}.weight`]);
  const b = p[`${name}.bias`];
  return b ? mx.add(y, b) : y;
}

function layerNorm(p: Params, name: string, x: mx.array): mx.array {
  return mx.fast.layerNorm(x, p[`${name}.weight`], p[`${name}.bias`], 1e-5);
}

/** GELU, sigmoid approximation x·σ(1.702x). */
function gelu(x: mx.array): mx.array {
  return mx.multiply(x, mx.sigmoid(mx.multiply(x, 1.702)));
}

export interface ForwardOut {
  /** [B] standardized prediction. */
  pred: mx.array;
  /** Transformer: [B, F_indicators] gates in [0, 1], the usefulness scores. */
  gates?: mx.array;
  /** Transformer only, when asked: [B, heads, F_indicators] attention of the context query in the last layer. */
  clsAttention?: mx.array;
}

function mlpForward(p: Params, config: ModelConfig, x: mx.array): ForwardOut {
  let h = x;
  const n = config.mlp!.hidden.length;
  for (let i = 0; i < n; i++) h = gelu(linear(p, `mlp.${i}`, h));
  const out = linear(p, 'head', h);
  return { pred: mx.reshape(out, [-1]) };
}

/**
 * The gated indicator transformer. Each indicator is a token; a context token (from the market
 * context and regime columns) sets a gate g_i = σ(W·ctx)_i in [0, 1] per indicator. Earlier
 * layers are pre-norm self-attention over the tokens; in the last one the context token is the
 * only query and each indicator's value is scaled by its gate, with no residual from the query:
 * the head reads only gated values, so an indicator whose gate is 0 cannot reach the prediction
 * in that context. Gates act after the layer norms and no layer norm follows them (one would
 * undo a shrink of every gate for free, making the L1 penalty on the gates meaningless).
 */
function transformerForward(p: Params, config: ModelConfig, x: mx.array, wantAttention: boolean, gateMask?: mx.array): ForwardOut {
  const { dModel: d, heads: H, layers: L } = config.transformer!;
  const B = x.shape[0];
  const Fi = indicatorCount(config);
  const C = config.contextF ?? 0;
  const dh = d / H;
  const xi = C > 0 ? x.index(mx.Slice(), mx.Slice(0, Fi)) : x;
  const ctxTok = C > 0 ? linear(p, 'ctx.1', gelu(linear(p, 'ctx.0', x.index(mx.Slice(), mx.Slice(Fi, Fi + C))))) : mx.broadcastTo(mx.reshape(p['ctx.const'], [1, d]), [B, d]);
  const gates = mx.sigmoid(linear(p, 'gate', ctxTok)); // [B, Fi]
  const used = gateMask ? mx.multiply(gates, gateMask) : gates;
  if (L === 1 && NET_OPTIONS.factoredLastLayer && NET_OPTIONS.tokenFree) return oneLayerTokenFree(p, config, xi, ctxTok, gates, used, wantAttention);
  // [B, Fi, 1] * [Fi, d] + [Fi, d] -> [B, Fi, d]
  let h = mx.add(mx.multiply(mx.expandDims(xi, 2), p['tok.value']), p['tok.embed']);
  let clsAttention: mx.array | undefined;
  const scale = 1 / Math.sqrt(dh);
  const heads = (a: mx.array, T: number) => mx.transpose(mx.reshape(a, [B, T, H, dh]), [0, 2, 1, 3]); // [B,H,T,dh]
  for (let l = 0; l < L; l++) {
    const pre = `layers.${l}`;
    const last = l === L - 1;
    const a = layerNorm(p, `${pre}.ln1`, h);
    if (last && NET_OPTIONS.factoredLastLayer) {
      // The same attention with the single context query, factored so no [B, Fi, d] key or value
      // tensor is formed (k and v have no bias): q·(a_i W_k,h) = (W_k,h q_h)·a_i, and
      // Σ_i attn_i g_i (a_i W_v,h) = (Σ_i attn_i g_i a_i) W_v,h, per head h.
      const qh = mx.reshape(linear(p, `${pre}.attn.q`, layerNorm(p, `${pre}.lnq`, ctxTok)), [B, H, 1, dh]);
      const WkH = mx.transpose(mx.reshape(p[`${pre}.attn.k.weight`], [d, H, dh]), [1, 2, 0]); // [H, dh, d]
      const qk = mx.reshape(mx.matmul(qh, WkH), [B, H, d]); // [B, H, d]
      const scores = mx.matmul(a, mx.transpose(qk, [0, 2, 1])); // [B, Fi, H]
      const attn = mx.softmax(mx.multiply(scores, scale), 1); // over the indicators
      if (wantAttention) clsAttention = mx.transpose(attn, [0, 2, 1]);
      const w = mx.multiply(attn, mx.expandDims(used, 2)); // gate-scaled weights [B, Fi, H]
      const pooled = mx.matmul(mx.transpose(w, [0, 2, 1]), a); // [B, H, d]
      const WvH = mx.transpose(mx.reshape(p[`${pre}.attn.v.weight`], [d, H, dh]), [1, 0, 2]); // [H, d, dh]
      const heads_ = mx.matmul(mx.expandDims(pooled, 2), WvH); // [B, H, 1, dh]
      h = mx.reshape(linear(p, `${pre}.attn.out`, mx.reshape(heads_, [B, d])), [B, 1, d]);
      const f = layerNorm(p, `${pre}.ln2`, h);
      h = mx.add(h, linear(p, `${pre}.ff.1`, gelu(linear(p, `${pre}.ff.0`, f))));
      continue;
    }
    const qIn = last ? mx.reshape(layerNorm(p, `${pre}.lnq`, ctxTok), [B, 1, d]) : a;
    const Tq = last ? 1 : Fi;
    const q = heads(linear(p, `${pre}.attn.q`, qIn), Tq);
    let vIn = linear(p, `${pre}.attn.v`, a); // [B, Fi, d]
    if (last) vIn = mx.multiply(vIn, mx.expandDims(used, 2));
    const v = heads(vIn, Fi);
    let ctxOut: mx.array; // [B,H,Tq,dh]
    if (NET_OPTIONS.fastAttention && !(last && wantAttention)) {
      ctxOut = mx.fast.scaledDotProductAttention(q, heads(linear(p, `${pre}.attn.k`, a), Fi), v, scale);
    } else {
      const k = mx.transpose(heads(linear(p, `${pre}.attn.k`, a), Fi), [0, 1, 3, 2]); // [B,H,dh,Fi]
      const attn = mx.softmax(mx.matmul(mx.multiply(q, scale), k), -1); // [B,H,Tq,Fi]
      if (last && wantAttention) clsAttention = mx.reshape(attn, [B, H, Fi]);
      ctxOut = mx.matmul(attn, v);
    }
    const mixed = linear(p, `${pre}.attn.out`, mx.reshape(mx.transpose(ctxOut, [0, 2, 1, 3]), [B, Tq, d]));
    h = last ? mixed : mx.add(h, mixed);
    const f = layerNorm(p, `${pre}.ln2`, h);
    h = mx.add(h, linear(p, `${pre}.ff.1`, gelu(linear(p, `${pre}.ff.0`, f))));
  }
  // h is [B, 1, d] after the last layer.
  // No layer norm here: it would undo a uniform shrink of the gates for free.
  const out = mx.reshape(linear(p, 'head', mx.reshape(h, [B, d])), [-1]);
  // A linear reading of the same gated indicators: what ridge can express, switched per context by the gates.
  const pred = config.gatedLinear ? mx.add(out, mx.sum(mx.multiply(mx.multiply(xi, used), p['lin.weight']), -1)) : out;
  return { pred, gates, clsAttention };
}

/**
 * The one-layer transformer (small preset) without any [B, F, d] tensor. Token i is
 * u_i = x_i·v_i + e_i, so its layer norm has a closed form from per-indicator statistics:
 * with V̄_i = v_i − mean(v_i), Ē_i = e_i − mean(e_i), var_i = x_i²·mean(V̄_i²) + 2x_i·mean(V̄_i Ē_i)
 * + mean(Ē_i²), σ_i = √(var_i + ε): a_i = (x_i V̄_i + Ē_i)∘γ/σ_i + β. Scores a_i·(W_k q) and the
 * gated pooling Σ_i w_i a_i then need only [B, H, F] products with the [F, d] tables. The same
 * function as the token form (tested), far fewer bytes moved.
 */
function oneLayerTokenFree(p: Params, config: ModelConfig, xi: mx.array, ctxTok: mx.array, gates: mx.array, used: mx.array, wantAttention: boolean): ForwardOut {
  const { dModel: d, heads: H } = config.transformer!;
  const B = xi.shape[0];
  const dh = d / H;
  const pre = 'layers.0';
  const V = p['tok.value'];
  const E = p['tok.embed'];
  const Vc = mx.subtract(V, mx.mean(V, -1, true)); // [Fi, d]
  const Ec = mx.subtract(E, mx.mean(E, -1, true));
  const A = mx.mean(mx.square(Vc), -1); // [Fi]
  const Bc = mx.mean(mx.multiply(Vc, Ec), -1);
  const Cc = mx.mean(mx.square(Ec), -1);
  const gamma = p[`${pre}.ln1.weight`];
  const beta = p[`${pre}.ln1.bias`];
  const Vg = mx.multiply(Vc, gamma); // [Fi, d]
  const Eg = mx.multiply(Ec, gamma);
  // 1/σ per (row, indicator): [B, Fi]
  const variance = mx.add(mx.add(mx.multiply(mx.square(xi), A), mx.multiply(mx.multiply(xi, Bc), 2)), Cc);
  const inv = mx.rsqrt(mx.add(variance, 1e-5));
  const qh = mx.reshape(linear(p, `${pre}.attn.q`, layerNorm(p, `${pre}.lnq`, ctxTok)), [B, H, 1, dh]);
  const WkH = mx.transpose(mx.reshape(p[`${pre}.attn.k.weight`], [d, H, dh]), [1, 2, 0]); // [H, dh, d]
  const qk = mx.reshape(mx.matmul(qh, WkH), [B, H, d]);
  const SV = mx.matmul(qk, mx.transpose(Vg)); // [B, H, Fi]
  const SE = mx.matmul(qk, mx.transpose(Eg));
  const Sb = mx.expandDims(mx.sum(mx.multiply(qk, beta), -1), 2); // [B, H, 1]
  const xI = mx.expandDims(xi, 1); // [B, 1, Fi]
  const invI = mx.expandDims(inv, 1);
  const scores = mx.add(mx.multiply(mx.add(mx.multiply(xI, SV), SE), invI), Sb); // [B, H, Fi]
  const attn = mx.softmax(mx.multiply(scores, 1 / Math.sqrt(dh)), -1);
  const w = mx.multiply(attn, mx.expandDims(used, 1)); // gate-scaled [B, H, Fi]
  const wInv = mx.multiply(w, invI);
  const pooled = mx.add(mx.add(mx.matmul(mx.multiply(wInv, xI), Vg), mx.matmul(wInv, Eg)), mx.multiply(mx.sum(w, -1, true), beta)); // [B, H, d]
  const WvH = mx.transpose(mx.reshape(p[`${pre}.attn.v.weight`], [d, H, dh]), [1, 0, 2]); // [H, d, dh]
  const headsOut = mx.matmul(mx.expandDims(pooled, 2), WvH); // [B, H, 1, dh]
  let h = linear(p, `${pre}.attn.out`, mx.reshape(headsOut, [B, d])); // [B, d]
  h = mx.add(h, linear(p, `${pre}.ff.1`, gelu(linear(p, `${pre}.ff.0`, layerNorm(p, `${pre}.ln2`, h)))));
  const out = mx.reshape(linear(p, 'head', h), [-1]);
  const pred = config.gatedLinear ? mx.add(out, mx.sum(mx.multiply(mx.multiply(xi, used), p['lin.weight']), -1)) : out;
  return { pred, gates, clsAttention: wantAttention ? attn : undefined };
}

/** `gateMask` [B, F_indicators] (transformer): multiplies the gates, e.g. 0 to switch indicators off. */
export function forward(p: Params, config: ModelConfig, x: mx.array, wantAttention = false, gateMask?: mx.array): ForwardOut {
  if (config.kind === 'mlp') return mlpForward(p, config, x);
  return transformerForward(p, config, x, wantAttention, gateMask);
}

/** Checks that a weight record has exactly the names and shapes this config needs. */
export function checkWeights(config: ModelConfig, weights: Record<string, Tensor>): void {
  const expected = initWeights(config, 0);
  const missing = Object.keys(expected).filter((k) => !(k in weights));
  const extra = Object.keys(weights).filter((k) => !(k in expected));
  if (missing.length || extra.length) {
    throw new Error(`model weights do not match the ${config.kind}/${config.preset} config: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`);
  }
  for (const k of Object.keys(expected)) {
    const a = expected[k].shape.join('x');
    const b = weights[k].shape.join('x');
    if (a !== b) throw new Error(`model weight "${k}" has shape ${b}, the config needs ${a}`);
  }
}
