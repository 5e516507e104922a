/**
 * A ReportInput from a real runVectorizedBacktest on synthetic bars (4 tickers × 5 sessions; avwap,
 * buy-and-hold, ema-cross), plus FAKE training curves and a FAKE usefulness matrix: those two are
 * made-up numbers for the renderer test only, labelled as such in the report they produce.
 */
import { runVectorizedBacktest } from '../../src/backtest/index.js';
import { reportFromBacktest, type ReportInput } from '../../src/report/index.js';
import { REGIME_NAMES } from '../../src/model/regime.js';

export const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'IWM'];

export const SPEC_TEXT = `# Renderer test spec (the backtest below is real, on synthetic bars)
name: report-test
data: { provider: synthetic, seed: 7 }
symbols: [${SYMBOLS.join(', ')}]
steps:
  - backtest: { strategies: [avwap, buy-and-hold, ema-cross], compare: { a: avwap, b: buy-and-hold } }
`;

export async function backtestReportInput(runId = 'report-test'): Promise<ReportInput> {
  const r = await runVectorizedBacktest({
    symbols: SYMBOLS,
    start: '2026-10-12',
    end: '2026-10-16',
    strategy: ['avwap', 'buy-and-hold', 'ema-cross'],
    data: { provider: 'synthetic', seed: 7 },
    compare: { a: 'avwap', b: 'buy-and-hold', samples: 500 },
  });
  // FAKE: plausible but made-up numbers, only to exercise the heatmap and the training chart.
  const indicators = ['AVWAP_SESSION', 'AVWAP_SESSION_SLOPE5', 'RSI_14', 'EMA_9', 'EMA_21', 'ATR_14', 'MACD', 'BB_WIDTH', 'OBV', 'VWAP_DIST', 'ROC_5', 'STOCH_K'];
  const scores = REGIME_NAMES.map((_, r) => indicators.map((_, i) => +(0.15 + 0.8 * Math.abs(Math.sin(1.3 * i + 2.1 * r + 0.4))).toFixed(3)));
  const epochs = Array.from({ length: 12 }, (_, k) => ({
    epoch: k + 1,
    trainLoss: +(1.0 - 0.35 * (1 - Math.exp(-k / 3))).toFixed(4),
    valLoss: +(1.02 - 0.28 * (1 - Math.exp(-k / 3)) + 0.004 * Math.max(0, k - 7)).toFixed(4),
  }));
  return {
    runId,
    createdAt: '2026-10-16T21:00:00Z',
    specText: SPEC_TEXT,
    params: { backtest: { strategies: ['avwap', 'buy-and-hold', 'ema-cross'], costs: { commissionBps: 0.5, slippageBps: 1 } } },
    dataFingerprint: { 'batch 1': 'sha256:0f3c…synthetic-seed-7' },
    gitCommit: '0000000000000000000000000000000000000000',
    packageVersion: '0.1.0',
    ...reportFromBacktest(r),
    usefulness: { regimes: [...REGIME_NAMES], indicators, scores, topN: 6, measure: 'mean gate', note: 'FAKE scores for the renderer test (no model was trained).' },
    training: [{ name: 'indicator-transformer', epochs, note: 'FAKE curves for the renderer test (no model was trained).' }],
    notes: ['Renderer test: backtest results are real (synthetic bars); usefulness and training curves are fake.'],
  };
}
