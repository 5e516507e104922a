/**
 * `mlx-intraday select --model <path> --data <folder|synthetic> [--ticker T] [--regime R]
 * --top 10 [--json]`: which indicators the model trusts now. Loads the checkpoint, fetches the
 * last `--days` sessions of one ticker, and ranks the model's indicators by their gates at the
 * latest bar (regime computed from those bars unless given), with their latest values.
 * Every bad input (regime, ticker, checkpoint, data) is a UsageError: a message, a fix, exit 2.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createProvider, defaultEndDate, type DataConfig } from '../data/index.js';
import { sessionsEnding } from '../data/calendar.js';
import { symbolProblem, SYMBOL_HINT } from '../data/symbols.js';
import { loadModel, unknownIndicators, type LoadedModel, type OptimalSelection } from '../model/select.js';
import { decodeCheckpoint } from '../model/checkpoint.js';
import { REGIME_NAMES, type RegimeName } from '../model/regime.js';
import { sidecarPath } from '../model/sidecar.js';
import { DataError, UsageError } from '../util/errors.js';

export interface SelectCliOptions {
  model: string;
  data: string;
  ticker?: string;
  regime?: string;
  top: number;
  days: number;
  end?: string;
  seed?: number;
  json?: boolean;
}

export interface SelectOutput {
  model: string;
  data: string;
  ticker: string;
  /** ISO time of the bar the selection is for. */
  time: string;
  regime: RegimeName;
  regimeGiven: boolean;
  indicators: { rank: number; name: string; score: number; value: number | null }[];
}

const usage = (message: string, hint: string, where: string) => UsageError.one(message, hint, { file: where });

/** Reads the checkpoint; a missing, truncated or foreign file or a mismatched indicator list is a UsageError naming why. */
export function openModel(path: string): LoadedModel {
  const where = `--model ${path}`;
  if (!existsSync(path)) throw usage(`no checkpoint at ${path}`, 'train one with: mlx-intraday run pipelines/quickstart.yaml (it writes models/indicator_transformer_mlx_best.safetensors)', where);
  if (!statSync(path).isFile()) throw usage(`${path} is not a file`, 'pass the .safetensors file a train step wrote', where);
  // Decode first: every problem with the bytes is the file's, not a bug.
  let names: string[];
  const bytes = readFileSync(path);
  const cut = truncation(bytes);
  if (cut) throw usage(`the checkpoint is truncated: ${cut}`, 'the copy or the write was cut short; copy the file again, or retrain (mlx-intraday run …)', where);
  try {
    const m = decodeCheckpoint(bytes, path);
    names = m.config.featureNames.slice(0, m.config.F - (m.config.contextF ?? 0));
  } catch (e) {
    throw usage(
      `cannot read the checkpoint: ${(e as Error).message}`,
      'the file is truncated or not an mlx-intraday model; pass a .safetensors file written by the train step (retrain to get a fresh one)',
      where,
    );
  }
  const unknown = unknownIndicators(names);
  if (unknown.length > 0) {
    throw usage(
      `the checkpoint's indicator list differs from this engine's: it reads ${unknown.length} indicator${unknown.length > 1 ? 's' : ''} the engine does not compute (${unknown.join(', ')})`,
      'it was trained with another indicator set; retrain it with this version (mlx-intraday run …)',
      where,
    );
  }
  const side = sidecarPath(path);
  if (existsSync(side)) {
    try {
      const sc = JSON.parse(readFileSync(side, 'utf8')) as { indicators?: string[] };
      if (Array.isArray(sc.indicators) && sc.indicators.join('\n') !== names.join('\n')) {
        const a = new Set(names);
        const b = new Set(sc.indicators);
        const onlyCkpt = names.filter((n) => !b.has(n));
        const onlySide = sc.indicators.filter((n) => !a.has(n));
        throw usage(
          `the sidecar ${side} lists other indicators than the checkpoint` +
            (onlyCkpt.length || onlySide.length ? `: only in the checkpoint ${onlyCkpt.join(', ') || '—'}; only in the sidecar ${onlySide.join(', ') || '—'}` : ' (same names, another order)'),
          'the two files come from different trainings; copy both from one run (or delete the stale sidecar)',
          where,
        );
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      // An unreadable sidecar does not stop selection: the checkpoint is the source of truth.
    }
  }
  try {
    return loadModel(path);
  } catch (e) {
    throw usage(`cannot use the checkpoint: ${(e as Error).message}`, 'pass an indicator-transformer checkpoint written by the train step', where);
  }
}

/** "N bytes, the header promises M" when a safetensors file ends before its last tensor; else undefined. */
function truncation(bytes: Buffer): string | undefined {
  if (bytes.length < 8) return undefined;
  const n = Number(bytes.readBigUInt64LE(0));
  if (n <= 0 || n > 100_000_000) return undefined;
  if (8 + n > bytes.length) return `${bytes.length} bytes, shorter than its own ${n}-byte header`;
  let header: Record<string, { data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return undefined;
  }
  let end = 0;
  for (const [k, v] of Object.entries(header)) if (k !== '__metadata__' && Array.isArray(v?.data_offsets)) end = Math.max(end, v.data_offsets[1]);
  return 8 + n + end > bytes.length ? `${bytes.length} bytes, its header promises ${8 + n + end}` : undefined;
}

function defaultTicker(modelPath: string): string | undefined {
  try {
    const sc = JSON.parse(readFileSync(sidecarPath(modelPath), 'utf8')) as { data?: { tickers?: string[] } };
    return sc.data?.tickers?.[0];
  } catch {
    return undefined;
  }
}

export async function runSelect(o: SelectCliOptions): Promise<SelectOutput> {
  let regime: RegimeName | undefined;
  if (o.regime !== undefined) {
    if (!(REGIME_NAMES as readonly string[]).includes(o.regime)) throw usage(`unknown regime "${o.regime}"`, `use one of ${REGIME_NAMES.join(', ')} (or leave --regime out to compute it from the bars)`, `--regime ${o.regime}`);
    regime = o.regime as RegimeName;
  }
  if (!(Number.isInteger(o.top) && o.top >= 1)) throw usage(`--top takes a positive whole number, got ${o.top}`, 'e.g. --top 10', `--top ${o.top}`);
  const model = openModel(o.model);
  const synthetic = o.data === 'synthetic';
  if (!synthetic && !(existsSync(o.data) && statSync(o.data).isDirectory())) {
    throw usage(`--data ${o.data} is neither "synthetic" nor a folder`, 'pass a folder of <TICKER>.csv / .csv.gz / .parquet minute bars, or --data synthetic', `--data ${o.data}`);
  }
  const ticker = o.ticker ?? defaultTicker(o.model) ?? (synthetic ? 'AAPL' : undefined);
  if (!ticker) throw usage('which ticker? the data folder needs --ticker', 'e.g. --ticker AAPL (a file AAPL.csv in the folder)', `--data ${o.data}`);
  const bad = symbolProblem(ticker);
  if (bad) throw usage(`--ticker ${ticker} is not a ticker symbol: ${bad}`, SYMBOL_HINT, `--ticker ${ticker}`);
  const config: DataConfig = synthetic ? { provider: 'synthetic', ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.end ? { end: o.end } : {}) } : { provider: 'folder', folder: { path: resolve(o.data) }, ...(o.end ? { end: o.end } : {}) };
  let sel: OptimalSelection;
  try {
    const provider = createProvider(config, { baseDir: process.cwd(), env: {} });
    const sessions = sessionsEnding(defaultEndDate(config, { provider }), o.days);
    const bars = await provider.fetch({ tickers: [ticker], sessions });
    sel = await model.getOptimalIndicators(bars, { topK: o.top, ticker, regime });
  } catch (e) {
    if (e instanceof DataError) throw usage(e.message, e.hint ?? 'check --data, --ticker, --end and --days', `--ticker ${ticker}`);
    if (e instanceof Error && /^(no observed bar|ticker .* is not in the bars)/.test(e.message)) throw usage(e.message, 'pick a ticker and dates that have bars (--ticker, --end, --days)', `--ticker ${ticker}`);
    throw e;
  }
  return {
    model: o.model,
    data: synthetic ? 'synthetic' : resolve(o.data),
    ticker: sel.ticker,
    time: new Date(sel.time).toISOString(),
    regime: sel.regime,
    regimeGiven: sel.regimeGiven,
    indicators: sel.indicators.map((x, i) => ({ rank: i + 1, name: x.name, score: x.score, value: Number.isFinite(x.value) ? x.value : null })),
  };
}

export function formatSelect(out: SelectOutput): string[] {
  const lines = [
    `${out.ticker} at ${out.time.slice(0, 16).replace('T', ' ')} UTC — regime ${out.regime} (${out.regimeGiven ? 'given' : 'computed from the bars'}); top ${out.indicators.length} by gate (model ${out.model})`,
  ];
  const w = Math.max(9, ...out.indicators.map((x) => x.name.length));
  lines.push(`  ${'rank'.padStart(4)}  ${'indicator'.padEnd(w)}  ${'score'.padStart(6)}  ${'value'.padStart(12)}`);
  for (const x of out.indicators) {
    const v = x.value === null ? 'NaN' : Math.abs(x.value) >= 1e5 || (x.value !== 0 && Math.abs(x.value) < 1e-3) ? x.value.toExponential(3) : x.value.toFixed(4);
    lines.push(`  ${String(x.rank).padStart(4)}  ${x.name.padEnd(w)}  ${x.score.toFixed(4)}  ${v.padStart(12)}`);
  }
  return lines;
}

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usage(`${flag} takes a positive whole number, got "${v}"`, `e.g. ${flag} 10`, `${flag} ${v}`);
  return n;
};

/** Adds the `select` command to the program (errors go to the program's handler: UsageError → exit 2). */
export function registerSelectCommand(program: Command): void {
  program
    .command('select')
    .description('rank the indicators a trained model trusts now (gates at the latest bar of a ticker)')
    .requiredOption('--model <path>', 'checkpoint (.safetensors) written by the train step')
    .requiredOption('--data <folder|synthetic>', 'a folder of minute-bar files, or "synthetic"')
    .option('--ticker <symbol>', 'which ticker (default: the first the model was trained on, or AAPL)')
    .option('--regime <name>', `rank for this regime (${REGIME_NAMES.join(' | ')}); default: computed from the bars`)
    .option('--top <n>', 'how many indicators', positiveInt('--top'), 10)
    .option('--days <n>', 'sessions of bars to compute indicators and the regime from', positiveInt('--days'), 5)
    .option('--end <YYYY-MM-DD>', 'last session (default: the data\'s latest, 2026-10-30 for synthetic)')
    .option('--seed <n>', 'synthetic data seed (default 7)', positiveInt('--seed'))
    .option('--json', 'machine-readable output')
    .action(async (o: SelectCliOptions) => {
      const out = await runSelect(o);
      console.log(o.json ? JSON.stringify(out, null, 2) : formatSelect(out).join('\n'));
    });
}
