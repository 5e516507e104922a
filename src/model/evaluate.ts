/**
 * The honest scoreboard on the test split: the model, the ridge baseline (fit on train, λ by
 * validation) and on synthetic data the oracle, each by the same metrics on exactly the same
 * rows, beside the base rate; plus the regime classifier's agreement with the hidden regime.
 */
import { baseRate, predictionMetrics, type PredictionMetrics } from './metrics.js';
import { regimeAgreement, type Agreement } from './regime.js';
import { fitRidge, ridgePredict } from './ridge.js';
import type { Ablation, RegimeTop } from './types.js';
import type { SampleSet, Scaler } from './types.js';

export interface Evaluation {
  split: 'test';
  n: number;
  /** Majority sign share of y ≠ 0 on the test split, and that sign. */
  baseRate: number;
  baseSign: 1 | -1;
  model: PredictionMetrics;
  ridge: PredictionMetrics & { alpha: number };
  /** Synthetic data only. */
  oracle?: PredictionMetrics;
  /** Synthetic data only: our regimes vs the generator's, over all samples. */
  regimeAgreement?: Omit<Agreement, 'confusion'>;
  /** Indicator transformer: the top indicators of each regime by mean gate on the validation split. */
  usefulness?: RegimeTop[];
  /** Indicator transformer: test IC with the top-K per regime vs all vs K random (ablation.ts). */
  ablation?: Ablation;
}

function pick<T extends Uint8Array | Float32Array>(src: T | undefined, rows: Int32Array): T | undefined {
  if (!src) return undefined;
  const out = new (src.constructor as new (n: number) => T)(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]];
  return out;
}

export interface EvaluationInput {
  set: SampleSet;
  scaler: Scaler;
  rows: { train: Int32Array; val: Int32Array; test: Int32Array };
  /** Scaled [n, F] copies of the splits and standardized targets (as training used them). */
  scaled: { Xtr: Float32Array; ytr: Float32Array; Xva: Float32Array; yva: Float32Array; Xte: Float32Array };
  /** The model's test predictions in return units. */
  modelPred: Float32Array;
  /** Per test row, the factor from learned-target units to returns (vol-scaled targets); default 1. */
  testUnits?: Float32Array;
}

export function evaluate({ set, scaler, rows, scaled, modelPred, testUnits }: EvaluationInput): Evaluation {
  const y = pick(set.y, rows.test)!;
  const regime = pick(set.regime, rows.test);
  const toReturn = (z: Float32Array) => z.map((v, i) => (v * scaler.yStd + scaler.yMean) * (testUnits ? testUnits[i] : 1));
  const ridge = fitRidge(scaled.Xtr, scaled.ytr, scaled.Xva, scaled.yva, set.F);
  const ridgePred = toReturn(ridgePredict(ridge, scaled.Xte, rows.test.length, set.F));
  const base = baseRate(y);
  const out: Evaluation = {
    split: 'test',
    n: rows.test.length,
    baseRate: base.rate,
    baseSign: base.sign,
    model: predictionMetrics(modelPred, y, regime),
    ridge: { ...predictionMetrics(ridgePred, y, regime), alpha: ridge.alpha },
  };
  const oracle = pick(set.oracle, rows.test);
  if (oracle && oracle.length > 0 && oracle.every(Number.isFinite)) out.oracle = predictionMetrics(oracle, y, regime);
  if (set.regime && set.hiddenRegime && set.hiddenRegime.some((h) => h !== 255)) {
    const { confusion: _, ...a } = regimeAgreement(set.regime, set.hiddenRegime);
    out.regimeAgreement = a;
  }
  return out;
}

/**
 * The evaluation as flat run metrics: `ic`, `rank_ic`, `directional_accuracy`, `base_rate`,
 * `one_sign_share`, `ridge_*`, `oracle_*`, per regime `ic[trend-calm]`, `ridge_ic[…]`,
 * `oracle_ic[…]`, `n[…]`, and `regime_agreement` / `regime_agreement_chance`.
 */
export function evaluationMetrics(ev: Evaluation): Record<string, number> {
  const m: Record<string, number> = { test_samples: ev.n, base_rate: ev.baseRate, base_sign: ev.baseSign };
  const add = (prefix: string, p: PredictionMetrics) => {
    m[`${prefix}ic`] = p.ic;
    m[`${prefix}rank_ic`] = p.rankIc;
    m[`${prefix}directional_accuracy`] = p.directionalAccuracy;
    m[`${prefix}one_sign_share`] = p.oneSignShare;
    for (const [name, r] of Object.entries(p.byRegime)) {
      if (prefix === '') m[`n[${name}]`] = r.n;
      m[`${prefix}ic[${name}]`] = r.ic;
    }
  };
  add('', ev.model);
  add('ridge_', ev.ridge);
  m.ridge_alpha = ev.ridge.alpha;
  if (ev.oracle) add('oracle_', ev.oracle);
  if (ev.ablation) {
    m.ablation_k = ev.ablation.k;
    m.ic_top_k = ev.ablation.topK;
    m.ic_all_indicators = ev.ablation.all;
    m.ic_random_k = ev.ablation.randomK;
  }
  // The run record keeps each regime's top 5 as `top[<regime>]#<rank> <name>` → mean gate.
  for (const r of ev.usefulness ?? []) r.indicators.slice(0, 5).forEach((x, i) => (m[`top[${r.regime}]#${i + 1} ${x.name}`] = x.score));
  if (ev.regimeAgreement) {
    m.regime_agreement = ev.regimeAgreement.accuracy;
    m.regime_agreement_chance = ev.regimeAgreement.chance;
    m.regime_agreement_kappa = ev.regimeAgreement.kappa;
  }
  return m;
}
