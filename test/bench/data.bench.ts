/**
 * Market-data benchmark (`npm run bench -- data`): the synthetic provider over the 655-ticker
 * universe × 30 days in batches of 50, the fingerprint of a batch, the precheck over the same
 * grid, and the folder provider on the real 1-minute sample (when the shared folder is there).
 * Measures only; asserts nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from './run.js';
import { sessionsBetween, sessionsEnding } from '../../src/data/calendar.js';
import { fingerprintPanel } from '../../src/data/fingerprint.js';
import { runPrecheck } from '../../src/data/precheck.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { FolderProvider } from '../../src/data/providers/folder.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const now = () => performance.now();
const rssMB = () => process.memoryUsage().rss / 2 ** 20;

export default async function (): Promise<BenchSection> {
  const all: string[] = JSON.parse(readFileSync(join(repoRoot, 'pipelines/tickers/all.json'), 'utf8'));
  const sessions = sessionsEnding('2026-10-30', 30);
  const rows: Record<string, string | number>[] = [];
  const provider = new SyntheticProvider(7);

  // Warm-up (JIT, luxon zone data, market series).
  await provider.fetch({ tickers: all.slice(0, 5), sessions });

  const times: number[] = [];
  let fpMs = 0;
  let bars = 0;
  for (let b = 0; b < all.length; b += 50) {
    const batch = all.slice(b, b + 50);
    const t0 = now();
    const p = await provider.fetch({ tickers: batch, sessions });
    times.push(now() - t0);
    bars += p.T * p.N;
    const t1 = now();
    fingerprintPanel(p);
    fpMs += now() - t1;
  }
  const total = times.reduce((a, b) => a + b, 0);
  const sorted = [...times].sort((a, b) => a - b);
  rows.push({
    case: `synthetic ${all.length} tickers × 30 days, batches of 50`,
    'total ms': Math.round(total),
    'per batch ms (median)': Math.round(sorted[Math.floor(sorted.length / 2)]),
    'per batch ms (max)': Math.round(sorted[sorted.length - 1]),
    'M bars/s': Math.round(bars / total / 1000 * 100) / 100,
    'rss MB': Math.round(rssMB()),
  });
  rows.push({ case: `fingerprintPanel, ${times.length} batches of 50 × 30 days`, 'total ms': Math.round(fpMs), 'per batch ms (median)': Math.round(fpMs / times.length) });

  const t0 = now();
  const report = await runPrecheck(provider, { tickers: all, sessions, sampleInterval: 15, warmup: 120, horizon: 15, minSamples: 1000 });
  rows.push({
    case: `precheck (synthetic) ${all.length} tickers × 30 days`,
    'total ms': Math.round(now() - t0),
    'per batch ms (median)': Math.round((now() - t0) / Math.ceil(all.length / 50)),
    note: `formula ${report.estimate.formula}, real ${report.estimate.real}`,
    'rss MB': Math.round(rssMB()),
  });

  const sample = resolve(repoRoot, '../shared/data/real-1min');
  if (existsSync(join(sample, 'AAPL.csv'))) {
    const tickers = ['AAPL', 'AMD', 'AMZN', 'AVGO', 'BA', 'DIS', 'GOOG', 'INTC', 'IWM', 'META', 'MSFT', 'MU', 'NFLX', 'NVDA', 'ORCL', 'PLTR', 'QQQ', 'SMH', 'SPY', 'TSLA'];
    const s = sessionsBetween('2026-03-12', '2026-03-30');
    const fp = new FolderProvider({ path: sample });
    await fp.fetch({ tickers: tickers.slice(0, 2), sessions: s });
    const t1 = now();
    const p = await fp.fetch({ tickers, sessions: s });
    const ms = now() - t1;
    rows.push({ case: `folder: real sample, 20 CSV files × 13 days (~97k rows)`, 'total ms': Math.round(ms), 'M bars/s': Math.round((p.T * p.N) / ms / 1000 * 100) / 100 });
  } else {
    rows.push({ case: 'folder: real sample', note: `skipped: ${sample} not found` });
  }
  return {
    title: 'Market data',
    rows,
    notes: ['M bars/s counts panel cells (rows × tickers) produced per second, masked cells included.'],
  };
}
