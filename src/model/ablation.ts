/**
 * Usefulness by regime and the selection ablation. The top-K indicators of each regime are
 * chosen on the validation split (mean gate over its rows of that regime); on the test split the
 * model is then scored with only those indicators (other gates masked to 0), with all of them,
 * and with K random ones per regime. Usefulness means something only if the top-K keep most of
 * the IC and random-K do not.
 */
import type { core as mx } from '@frost-beta/mlx';
import { gateRows, predictRows } from './infer.js';
import { indicatorCount, type Params } from './nets.js';
import { pearson } from './metrics.js';
import { REGIME_NAMES } from './regime.js';
import { Rng } from './rng.js';
import type { ModelConfig } from './types.js';

// The result types live in types.ts so public declarations never reach MLX's types.
export type { Ablation, RegimeTop } from './types.js';
import type { Ablation, RegimeTop } from './types.js';

export interface AblationInput {
  params: Params;
  config: ModelConfig;
  Xva: mx.array;
  nVa: number;
  regimeVa?: Uint8Array;
  Xte: mx.array;
  nTe: number;
  regimeTe?: Uint8Array;
  /** Raw forward returns of the test rows. */
  yTe: Float32Array;
  /** Standardized prediction of test row i → return units. */
  toReturn: (z: number, i: number) => number;
  k?: number;
  seed?: number;
  signal?: AbortSignal;
}

export const ABLATION_K = 10;
const RANDOM_DRAWS = 5;

export async function usefulnessAndAblation(o: AblationInput): Promise<{ byRegime: RegimeTop[]; ablation: Ablation }> {
  const Fi = indicatorCount(o.config);
  const names = o.config.featureNames.slice(0, Fi);
  const k = Math.min(o.k ?? ABLATION_K, Fi);
  const gates = await gateRows(o.params, o.config, o.Xva, o.nVa, o.signal);
  const groupOf = (r: Uint8Array | undefined, i: number) => (r ? r[i] : 0);
  const groups = o.regimeVa ? REGIME_NAMES.length : 1;
  // Mean gate per indicator over all validation rows: the fallback for a regime without rows.
  const meanOver = (keep: (i: number) => boolean) => {
    const acc = new Float64Array(Fi);
    let n = 0;
    for (let i = 0; i < o.nVa; i++) {
      if (!keep(i)) continue;
      n++;
      for (let j = 0; j < Fi; j++) acc[j] += gates[i * Fi + j];
    }
    return { n, mean: Array.from(acc, (v) => (n ? v / n : 0)) };
  };
  const overall = meanOver(() => true);
  const byRegime: RegimeTop[] = [];
  const topSets: number[][] = [];
  for (let g = 0; g < groups; g++) {
    const m = o.regimeVa ? meanOver((i) => groupOf(o.regimeVa, i) === g) : overall;
    const mean = m.n > 0 ? m.mean : overall.mean;
    const order = mean.map((score, j) => ({ j, score })).sort((a, b) => b.score - a.score || names[a.j].localeCompare(names[b.j]));
    topSets.push(order.slice(0, k).map((x) => x.j));
    byRegime.push({ regime: o.regimeVa ? REGIME_NAMES[g] : 'all', n: m.n, indicators: order.slice(0, k).map((x) => ({ name: names[x.j], score: x.score })) });
  }
  const icWith = async (sets: number[][] | null) => {
    let mask: Float32Array | undefined;
    if (sets) {
      mask = new Float32Array(o.nTe * Fi);
      for (let i = 0; i < o.nTe; i++) for (const j of sets[groupOf(o.regimeTe, i)]) mask[i * Fi + j] = 1;
    }
    const z = await predictRows(o.params, o.config, o.Xte, o.nTe, o.signal, mask);
    return pearson(Float32Array.from(z, (v, i) => o.toReturn(v, i)), o.yTe);
  };
  const rng = new Rng((o.seed ?? 1) ^ 0x2545f491);
  let randomSum = 0;
  for (let d = 0; d < RANDOM_DRAWS; d++) {
    const sets = topSets.map(() => {
      const idx = Int32Array.from({ length: Fi }, (_, j) => j);
      rng.shuffle(idx);
      return Array.from(idx.subarray(0, k));
    });
    randomSum += await icWith(sets);
  }
  return { byRegime, ablation: { k, topK: await icWith(topSets), all: await icWith(null), randomK: randomSum / RANDOM_DRAWS, draws: RANDOM_DRAWS } };
}
