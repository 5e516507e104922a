/** A small trained indicator transformer (with context and regime columns), saved once per test file. */
import { join } from 'node:path';
import { samplePoints } from '../../src/data/precheck.js';
import { computeIndicators } from '../../src/indicators/index.js';
import { buildSamples, sampleRegimeContext } from '../../src/steps/sample.js';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { tempDir } from '../runner/helpers.js';
import { syntheticPanel } from './helpers.js';

export const MODEL_NAMES = ['AVWAP_SESSION', 'AVWAP_SESSION_Z', 'EMA_21', 'MACD_HIST', 'RSI_14', 'ROC_10', 'ATR_14', 'BB_PCTB_20', 'OBV_SESSION', 'RVOL_20', 'RET_15', 'MINUTES_TO_CLOSE'];

async function train(): Promise<string> {
  const panel = await syntheticPanel(['AAPL', 'MSFT', 'KO', 'AMD', 'TSLA', 'XOM'], '2026-10-26', '2026-10-29', 7);
  const ind = computeIndicators(panel, { names: MODEL_NAMES });
  const pts = samplePoints(panel, { warmup: 120, sample_interval: 5, horizon: 15 });
  const s = buildSamples(panel, ind.values, ind.F, ind.names.indexOf('AVWAP_SESSION'), pts, 15);
  const rc = sampleRegimeContext(panel, pts);
  const r = await trainModel(
    { X: s.X, y: s.y, time: s.time, ticker: s.ticker, tickers: panel.tickers, featureNames: ind.names, S: s.S, F: ind.F, horizonMinutes: 15, regime: rc.regime, context: rc.context },
    { ...TRAIN_DEFAULTS, epochs: 2 },
  );
  const path = join(tempDir(), 'live-model.safetensors');
  saveCheckpoint(path, r);
  return path;
}

let trained: Promise<string> | undefined;
/** The checkpoint's path (trained on first use). */
export const trainedModelPath = () => (trained ??= train());
