/**
 * barModelFrom: a model as the backtester's BarModel. Checked against the model library's own
 * inference: predict over modelInputs rows (C, model-all), and the ablation's masked inference
 * with the per-regime selection as the gate mask (A, model); the decision grid and holding.
 */
import { describe, expect, it } from 'vitest';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { sessionsEnding } from '../../src/data/calendar.js';
import { computeIndicators } from '../../src/indicators/index.js';
import { indicatorPlanes, planesFrom } from '../../src/backtest/indicator-planes.js';
import { barModelFrom } from '../../src/backtest/model-bars.js';
import { runVectorizedBacktest } from '../../src/backtest/vectorized.js';
import { makeConfig, initWeights } from '../../src/model/nets.js';
import { CONTEXT_COLUMNS, modelInputs } from '../../src/model/inputs.js';
import { computeContext } from '../../src/model/context.js';
import { computeRegimes, REGIME_NAMES } from '../../src/model/regime.js';
import { fitScaler } from '../../src/model/scaler.js';
import { predict } from '../../src/model/predict.js';
import { predictRows } from '../../src/model/infer.js';
import { applyScaler } from '../../src/model/scaler.js';
import { f32ToMx, toMxMany } from '../../src/tensor/mlx-bridge.js';
import type { SampleSet, TrainedModel } from '../../src/model/types.js';

const tickers = ['AAPL', 'MSFT', 'NVDA'];
const sessions = sessionsEnding('2026-10-30', 3);
const panel = await new SyntheticProvider(7).fetch({ tickers, sessions });
const ind = computeIndicators(panel, { names: ['EMA_9', 'RSI_14', 'AVWAP_SESSION', 'ATR_14', 'MACD_12_26', 'OBV_SESSION'] });
/** The cube's column order (the documented order), which the model's feature names follow here. */
const NAMES = ind.names;
const planes = indicatorPlanes(ind);
const { T, N } = panel;
const every = 15;
const from = sessions[1].openMs + 37 * 60_000;

/** Decision cells as the spec of the adapter says: minute % every = 0, time ≥ from, observed. */
const cells: number[] = [];
for (let t = 0; t < T; t++) if (panel.time[t] >= from && panel.minuteOfSession[t] % every === 0) for (let n = 0; n < N; n++) if (panel.mask[t * N + n]) cells.push(t * N + n);

/** The model library's input rows for those cells (indicators, then context and regime one-hot). */
function libraryRows(values: Float32Array): { X: Float32Array; regime: Uint8Array } {
  const F = NAMES.length;
  const ctx = computeContext(panel);
  const reg = computeRegimes(panel).regime;
  const S = cells.length;
  const set: SampleSet = {
    X: new Float32Array(S * F),
    y: new Float32Array(S),
    time: new Float64Array(S),
    ticker: new Int32Array(S),
    tickers,
    featureNames: NAMES,
    S,
    F,
    horizonMinutes: every,
    regime: Uint8Array.from(cells, (i) => reg[i]),
    context: new Float32Array(S * 10),
  };
  cells.forEach((i, s) => {
    set.X.set(values.subarray(i * F, (i + 1) * F), s * F);
    set.context!.set(ctx.subarray(i * 10, (i + 1) * 10), s * 10);
  });
  return { X: modelInputs(set, CONTEXT_COLUMNS.length), regime: set.regime! };
}

const config = makeConfig('indicator-transformer', 'small', [...NAMES, ...CONTEXT_COLUMNS], every, CONTEXT_COLUMNS.length);
const rows = libraryRows(ind.values);
const model: TrainedModel = {
  weights: initWeights(config, 11),
  config,
  scaler: { ...fitScaler(rows.X, config.F, Int32Array.from({ length: cells.length }, (_, i) => i)), yMean: 0.0001, yStd: 0.002 },
};
// OBV_SESSION is selected in no regime.
const selection = { 'trend-calm': ['EMA_9', 'RSI_14'], 'trend-volatile': ['EMA_9', 'ATR_14'], 'range-calm': ['RSI_14', 'AVWAP_SESSION'], 'range-volatile': ['MACD_12_26'] };

function perturbed(name: string): ReturnType<typeof planesFrom> {
  const out: Record<string, Float32Array> = {};
  const sd = model.scaler.std[NAMES.indexOf(name)];
  for (const n of NAMES) out[n] = n === name ? planes.get(n).map((v, i) => v + 2 * sd * Math.sin(i)) : planes.get(n);
  return planesFrom(T, N, out);
}

describe('barModelFrom', () => {
  it('predicts at each decision bar what the model library predicts for the same input row', async () => {
    const bm = barModelFrom(model, { selection, from, every });
    const all = await bm.predict({ panel, indicators: planes, selection: 'all' });
    const ref = await predict(model, rows.X, cells.length);
    expect(cells.length).toBeGreaterThan(100);
    cells.forEach((i, s) => expect(all[i]).toBeCloseTo(ref[s], 6));
    expect(bm.decisions).toBe(cells.length);
    // Not constant: the check above means something.
    expect(new Set(Array.from(ref, (v) => v.toFixed(7))).size).toBeGreaterThan(10);
  });

  it('holds each decision until the next decision bar of its session; nothing before `from`', async () => {
    const bm = barModelFrom(model, { selection, from, every });
    const all = await bm.predict({ panel, indicators: planes, selection: 'all' });
    for (let t = 0; t < T; t++) {
      for (let n = 0; n < N; n++) {
        const v = all[t * N + n];
        if (panel.time[t] < from) {
          expect(v).toBeNaN();
          continue;
        }
        const m = panel.minuteOfSession[t];
        if (m % every === 0) continue;
        // The decision row this one holds: the latest decision bar ≤ t in the same session at or after `from`.
        const d = t - (m % every);
        if (panel.time[d] < from) expect(v).toBeNaN();
        else if (panel.mask[d * N + n]) expect(v).toBe(all[d * N + n]);
        else expect(v).toBeNaN();
      }
    }
  });

  it("strategy A is the model's own ablation inference with the per-regime selection as the gate mask (C: no mask)", async () => {
    const bm = barModelFrom(model, { selection, from, every });
    const a = await bm.predict({ panel, indicators: planes, selection: 'selected' });
    const c = await bm.predict({ panel, indicators: planes, selection: 'all' });
    // The mask src/model/ablation.ts builds: 1 for the indicators of the row's regime, 0 elsewhere.
    const S = cells.length;
    const Fi = NAMES.length;
    const mask = new Float32Array(S * Fi);
    for (let s = 0; s < S; s++) for (const name of selection[REGIME_NAMES[rows.regime[s]]]) mask[s * Fi + NAMES.indexOf(name)] = 1;
    const Xs = f32ToMx(applyScaler(rows.X, config.F, model.scaler), [S, config.F]);
    const z = await predictRows(toMxMany(model.weights), config, Xs, S, undefined, mask);
    const { yMean, yStd } = model.scaler;
    cells.forEach((i, s) => expect(a[i]).toBeCloseTo(z[s] * yStd + yMean, 6));
    expect(cells.filter((i) => Math.abs(a[i] - c[i]) > 1e-6).length).toBeGreaterThan(S / 2);
    // A second call with other indicator values recomputes (it is not served from the first pass).
    const p = perturbed('RSI_14');
    const a2 = await bm.predict({ panel, indicators: p, selection: 'selected' });
    expect(cells.some((i) => Math.abs(a2[i] - a[i]) > 1e-6)).toBe(true);
  });

  it('keeps mean gates by regime over the decision bars', async () => {
    const bm = barModelFrom(model, { selection, from, every });
    await bm.predict({ panel, indicators: planes, selection: 'all' });
    const u = bm.usefulness()!;
    expect(u.indicators).toEqual(NAMES);
    expect(u.rows.reduce((a, b) => a + b, 0)).toBe(cells.length);
    for (let r = 0; r < u.regimes.length; r++) {
      for (const g of u.scores[r]) {
        if (u.rows[r] === 0) expect(g).toBeNull();
        else {
          expect(g!).toBeGreaterThan(0);
          expect(g!).toBeLessThan(1);
        }
      }
    }
  });

  it('an MLP has no gates: strategy A says so, model-all runs', async () => {
    const mcfg = makeConfig('mlp', 'small', [...NAMES, ...CONTEXT_COLUMNS], every, CONTEXT_COLUMNS.length);
    const mlp = barModelFrom({ weights: initWeights(mcfg, 2), config: mcfg, scaler: model.scaler }, { from, every });
    await expect(mlp.predict({ panel, indicators: planes, selection: 'selected' })).rejects.toThrow(/no gates/);
    const r = await runVectorizedBacktest({ symbols: tickers, panels: [panel], strategy: ['model-all', 'buy-and-hold'], model: mlp, tradeFrom: from });
    expect(r.strategies[0].overall.trades).toBeGreaterThan(0);
    expect(mlp.usefulness()).toBeUndefined();
  });
});
