/**
 * Market-data benchmark (`npm run bench -- data`): the synthetic provider over the 655-ticker
 * universe × 30 days in batches of 50, the fingerprint of a batch, the precheck over the same
 * grid, the folder provider on the real 1-minute sample (when the shared folder is there), and
 * the folder provider on one generated big CSV (BENCH_FOLDER_MB, default 200; 0 skips): read
 * without a cache, first read with the artifact cache, and the rerun the cache serves.
 * Measures only; asserts nothing.
 */
import { asyncArtifacts } from '../../src/cache/store-api.js';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from './run.js';
import { sessionsBetween, sessionsEnding } from '../../src/data/calendar.js';
import { fingerprintPanel } from '../../src/data/fingerprint.js';
import { runPrecheck } from '../../src/data/precheck.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { FolderProvider } from '../../src/data/providers/folder.js';
import { ArtifactCache } from '../../src/cache/store.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const now = () => performance.now();
const rssMB = () => process.memoryUsage().rss / 2 ** 20;
const peakMB = () => process.resourceUsage().maxRSS / 1024;

/** Writes about `mb` MB of regular-session minute bars of one ticker (ISO Z, ~66 bytes a row). */
async function writeBigCsv(file: string, mb: number): Promise<number> {
  const all = sessionsBetween('2000-01-03', '2040-12-31');
  const sessions = all.slice(Math.max(0, all.length - Math.ceil((mb * 1e6) / (390 * 56))));
  const out = createWriteStream(file);
  let px = 100;
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let rows = 0;
  let buf = ['timestamp,open,high,low,close,volume'];
  for (const s of sessions) {
    for (let m = 0; m < s.bars; m++, rows++) {
      const o = px;
      px = Math.max(1, px * (1 + (rnd() - 0.5) * 0.002));
      const h = Math.max(o, px) * (1 + rnd() * 0.001);
      const l = Math.min(o, px) * (1 - rnd() * 0.001);
      buf.push(`${new Date(s.openMs + m * 60_000).toISOString().replace('.000Z', 'Z')},${o.toFixed(4)},${h.toFixed(4)},${l.toFixed(4)},${px.toFixed(4)},${Math.floor(rnd() * 1e6)}`);
      if (buf.length >= 10_000) {
        if (!out.write(buf.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
        buf = [];
      }
    }
  }
  out.end(buf.join('\n') + '\n');
  await new Promise<void>((r) => out.on('close', () => r()));
  return rows;
}

/** The big-file case: bounded-memory streaming, then the cache skipping the unchanged file. */
async function folderBigFile(mb: number): Promise<Record<string, string | number>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-folder-'));
  try {
    const rows = await writeBigCsv(join(dir, 'BIG.csv'), mb);
    const old = Date.now() / 1000 - 600; // out of the racy window, so the read may be cached
    utimesSync(join(dir, 'BIG.csv'), old, old);
    const sizeMb = Math.round(statSync(join(dir, 'BIG.csv')).size / 1e6);
    const sessions = sessionsEnding('2040-12-31', 30);
    const cache = ArtifactCache.open(join(dir, 'cache'));
    const out: Record<string, string | number>[] = [];
    const time = async (label: string, provider: FolderProvider) => {
      const t0 = now();
      await provider.fetch({ tickers: ['BIG'], sessions });
      out.push({ case: `folder: ${sizeMb} MB CSV (${(rows / 1e6).toFixed(2)} M rows), ${label}`, 'total ms': Math.round(now() - t0), 'rss MB': Math.round(rssMB()), 'peak rss MB': Math.round(peakMB()) });
    };
    await time('no cache', new FolderProvider({ path: dir }));
    await time('first run with cache', new FolderProvider({ path: dir }, { cache: asyncArtifacts(cache) }));
    await time('rerun (cache hit)', new FolderProvider({ path: dir }, { cache: asyncArtifacts(cache) }));
    cache.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
  const bigMb = Number(process.env.BENCH_FOLDER_MB ?? 200);
  if (bigMb > 0) rows.push(...(await folderBigFile(bigMb)));
  return {
    title: 'Market data',
    rows,
    notes: [
      'M bars/s counts panel cells (rows × tickers) produced per second, masked cells included.',
      'peak rss MB is the process high-water mark so far (it never goes down); see docs/performance.md for per-process figures.',
    ],
  };
}
