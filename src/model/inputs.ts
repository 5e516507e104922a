/**
 * What the model reads: the F indicator columns, then the context columns — the 10 market
 * context values and a one-hot of the regime (CONTEXT_NAMES, REGIME_NAMES). The context columns
 * are scaled with the indicators and feed the context token; `config.contextF` says how many.
 */
import { CONTEXT_NAMES, CONTEXT_SIZE } from './context.js';
import { REGIME_NAMES } from './regime.js';
import type { SampleSet } from './types.js';

export const CONTEXT_COLUMNS: readonly string[] = [...CONTEXT_NAMES, ...REGIME_NAMES.map((r) => `regime=${r}`)];

/** The set with context columns appended (contextF = 14), or unchanged (0) when it has none. */
export function withContext(set: SampleSet): { set: SampleSet; contextF: number } {
  if (!set.context || !set.regime) return { set, contextF: 0 };
  const { S, F } = set;
  const C = CONTEXT_COLUMNS.length;
  const W = F + C;
  const X = new Float32Array(S * W);
  for (let i = 0; i < S; i++) {
    X.set(set.X.subarray(i * F, (i + 1) * F), i * W);
    X.set(set.context.subarray(i * CONTEXT_SIZE, (i + 1) * CONTEXT_SIZE), i * W + F);
    X[i * W + F + CONTEXT_SIZE + set.regime[i]] = 1;
  }
  return { set: { ...set, X, F: W, featureNames: [...set.featureNames, ...CONTEXT_COLUMNS] }, contextF: C };
}

/** Model input rows for a trained model: with context columns when the model was trained with them. */
export function modelInputs(set: SampleSet, contextF: number | undefined): Float32Array {
  if (!contextF) return set.X;
  const { set: s, contextF: c } = withContext(set);
  if (c !== contextF) throw new Error(`the model reads ${contextF} context columns but the samples carry ${c}; rerun the sample step (it stores regime and context since version 2)`);
  return s.X;
}
