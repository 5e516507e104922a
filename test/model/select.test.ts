import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { sessionsEnding } from '../../src/data/calendar.js';
import { samplePoints } from '../../src/data/precheck.js';
import { computeIndicators } from '../../src/indicators/index.js';
import { buildSamples, sampleRegimeContext } from '../../src/steps/sample.js';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { loadModel, wrapModel } from '../../src/model/select.js';
import { REGIME_NAMES } from '../../src/model/regime.js';
import type { Panel } from '../../src/data/panel.js';
import { tempDir } from '../runner/helpers.js';

const NAMES = ['AVWAP_SESSION', 'EMA_21', 'RSI_14', 'ROC_10', 'ATR_14', 'OBV_SESSION'];

async function bars(tickers: string[], days: number, seed = 7): Promise<Panel> {
  return new SyntheticProvider(seed).fetch({ tickers, sessions: sessionsEnding('2026-10-30', days) });
}

async function trained() {
  const tickers = ['AAPL', 'MSFT', 'KO', 'AMD', 'TSLA', 'XOM'];
  const panel = await bars(tickers, 4);
  const ind = computeIndicators(panel, { names: NAMES });
  const pts = samplePoints(panel, { warmup: 120, sample_interval: 5, horizon: 15 });
  const s = buildSamples(panel, ind.values, ind.F, ind.names.indexOf('AVWAP_SESSION'), pts, 15);
  const rc = sampleRegimeContext(panel, pts);
  return trainModel(
    { X: s.X, y: s.y, time: s.time, ticker: s.ticker, tickers, featureNames: ind.names, S: s.S, F: ind.F, horizonMinutes: 15, regime: rc.regime, context: rc.context },
    { ...TRAIN_DEFAULTS, epochs: 2 },
  );
}

describe('selection API', () => {
  it('loadModel(path).selectIndicators ranks the model’s indicators by their gates at the latest bar', async () => {
    const r = await trained();
    const path = join(tempDir(), 'm.safetensors');
    saveCheckpoint(path, r);
    const model = loadModel(path);
    expect(model.indicatorNames).toEqual(r.config.featureNames.slice(0, NAMES.length));
    const now = await bars(['NVDA', 'KO'], 2, 11);
    const sel = await model.selectIndicators(now, undefined, { topK: 3, ticker: 'KO' });
    expect(sel.ticker).toBe('KO');
    expect(sel.time).toBe(now.time[now.T - 1]);
    expect(REGIME_NAMES).toContain(sel.regime);
    expect(sel.regimeGiven).toBe(false);
    expect(sel.indicators).toHaveLength(3);
    for (const x of sel.indicators) {
      expect(NAMES).toContain(x.name);
      expect(x.score).toBeGreaterThanOrEqual(0);
      expect(x.score).toBeLessThanOrEqual(1);
    }
    expect(sel.indicators.map((x) => x.score)).toEqual([...sel.indicators.map((x) => x.score)].sort((a, b) => b - a));
    // A given regime is used as given, and the gates follow it.
    const scored = await Promise.all(REGIME_NAMES.map((g) => model.selectIndicators(now, g, { topK: Infinity, ticker: 'KO' })));
    scored.forEach((s, i) => expect([s.regime, s.regimeGiven]).toEqual([REGIME_NAMES[i], true]));
    const byName = (s: (typeof scored)[number]) => Object.fromEntries(s.indicators.map((x) => [x.name, x.score]));
    expect(byName(scored[0])).not.toEqual(byName(scored[3]));
    // getOptimalIndicators adds the latest values, computed on the same bars.
    const best = await model.getOptimalIndicators(now, { topK: 2, ticker: 'KO' });
    const ind = computeIndicators(now, { names: NAMES });
    const k = (now.T - 1) * now.N + 1;
    for (const x of best.indicators) expect(x.value).toBeCloseTo(ind.values[k * NAMES.length + NAMES.indexOf(x.name)], 5);
  });

  it('says which indicator names differ from the engine’s, and refuses an MLP', async () => {
    const r = await trained();
    const names = [...r.config.featureNames];
    names[1] = 'RSI_99';
    expect(() => wrapModel({ ...r, config: { ...r.config, featureNames: names } })).toThrow(/does not compute: RSI_99/);
    expect(() => wrapModel({ ...r, config: { ...r.config, kind: 'mlp' } })).toThrow(/no gates/);
  });
});
