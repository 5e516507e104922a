/**
 * `mlx-intraday serve --model <ckpt> --data <folder|synthetic> [--tickers A,B] [--days 2]
 * [--end D] [--port 8787] [--host 127.0.0.1]`: warms a live model state up from the last `--days`
 * sessions of the data (ending at `--end`, default the data's latest), then serves it over HTTP
 * (src/live/server.ts) until SIGTERM / SIGINT, which close it gracefully (requests in flight
 * finish). Bad flags, a bad checkpoint or data are UsageErrors: a message, a fix, exit 2.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createProvider, defaultEndDate, type DataConfig } from '../data/index.js';
import { sessionsEnding } from '../data/calendar.js';
import type { Panel } from '../data/panel.js';
import { symbolProblem, SYMBOL_HINT } from '../data/symbols.js';
import { sidecarPath } from '../model/sidecar.js';
import { createLiveModelState, type LiveModelState } from '../live/select.js';
import { startLiveServer, type LiveServer } from '../live/server.js';
import { DataError, UsageError } from '../util/errors.js';
import { openModel } from './select.js';

export interface ServeCliOptions {
  model: string;
  data: string;
  tickers?: string;
  days: number;
  end?: string;
  seed?: number;
  host: string;
  port: number;
  top: number;
  maxBody: number;
}

const usage = (message: string, hint: string, where: string) => UsageError.one(message, hint, { file: where });

function sidecarTickers(modelPath: string): string[] | undefined {
  try {
    const sc = JSON.parse(readFileSync(sidecarPath(modelPath), 'utf8')) as { data?: { tickers?: string[] } };
    return Array.isArray(sc.data?.tickers) && sc.data.tickers.length > 0 ? sc.data.tickers : undefined;
  } catch {
    return undefined;
  }
}

/** Loads the model and the warm-up bars and builds the live state (no server yet). */
export async function warmServeState(o: ServeCliOptions): Promise<{ state: LiveModelState; history: Panel; tickers: string[] }> {
  const model = openModel(o.model);
  const synthetic = o.data === 'synthetic';
  if (!synthetic && !(existsSync(o.data) && statSync(o.data).isDirectory())) {
    throw usage(`--data ${o.data} is neither "synthetic" nor a folder`, 'pass a folder of <TICKER>.csv / .csv.gz / .parquet minute bars, or --data synthetic', `--data ${o.data}`);
  }
  const list = o.tickers !== undefined ? o.tickers.split(',').map((x) => x.trim()).filter((x) => x.length > 0) : (sidecarTickers(o.model) ?? (synthetic ? ['AAPL'] : undefined));
  if (!list || list.length === 0) throw usage('which tickers? pass --tickers', 'e.g. --tickers SPY,AAPL (files SPY.csv, AAPL.csv in the data folder)', `--data ${o.data}`);
  for (const t of list) {
    const bad = symbolProblem(t);
    if (bad) throw usage(`--tickers: ${JSON.stringify(t)} is not a ticker symbol: ${bad}`, SYMBOL_HINT, `--tickers ${o.tickers}`);
  }
  const tickers = [...new Set(list)];
  const config: DataConfig = synthetic
    ? { provider: 'synthetic', ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.end ? { end: o.end } : {}) }
    : { provider: 'folder', folder: { path: resolve(o.data) }, ...(o.end ? { end: o.end } : {}) };
  let history: Panel;
  try {
    const provider = createProvider(config, { baseDir: process.cwd(), env: {} });
    history = await provider.fetch({ tickers, sessions: sessionsEnding(defaultEndDate(config, { provider }), o.days), onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  } catch (e) {
    if (e instanceof DataError) throw usage(e.message, e.hint ?? 'check --data, --tickers, --end and --days', `--data ${o.data}`);
    if (e instanceof RangeError || (e instanceof Error && /date|session/i.test(e.message))) throw usage(e.message, 'check --end (YYYY-MM-DD) and --days', `--end ${o.end ?? ''}`);
    throw e;
  }
  let state: LiveModelState;
  try {
    state = createLiveModelState({ model, tickers, history, topK: o.top });
  } catch (e) {
    throw usage((e as Error).message.replace(/^live: /, ''), 'pick tickers that traded in the warm-up sessions, or more --days / another --end', `--tickers ${tickers.slice(0, 5).join(',')}`);
  }
  await state.ready();
  return { state, history, tickers };
}

export async function runServe(o: ServeCliOptions, out: (line: string) => void = (l) => console.log(l)): Promise<LiveServer> {
  const { state, history, tickers } = await warmServeState(o);
  let server: LiveServer;
  try {
    server = await startLiveServer({ state, host: o.host, port: o.port, maxBodyBytes: o.maxBody, log: (l) => process.stderr.write(`serve: ${l}\n`) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw usage(`port ${o.port} on ${o.host} is already in use`, 'pick another --port (or --port 0 for a free one)', `--port ${o.port}`);
    if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') throw usage(`cannot listen on ${o.host}:${o.port} (${err.code})`, 'use --host 127.0.0.1 and a port above 1023', `--host ${o.host}`);
    throw e;
  }
  const first = history.sessions[0].date, last = history.sessions[history.sessions.length - 1].date;
  out(`serving ${tickers.length} ticker${tickers.length > 1 ? 's' : ''} × ${state.names.length} indicators (model ${o.model}) on ${server.url}`);
  out(`warmed up on ${history.sessions.length} sessions ${first}…${last}; the next bar must be after ${new Date(state.lastTime).toISOString()}`);
  out('routes: POST /bars, GET /selection[/TICKER][?top=k], GET /health; SIGTERM or Ctrl-C stops');
  return server;
}

const positiveInt = (flag: string, min = 1) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw usage(`${flag} takes a whole number ≥ ${min}, got "${v}"`, `e.g. ${flag} ${min === 0 ? 8787 : 10}`, `${flag} ${v}`);
  return n;
};

/** Adds the `serve` command (errors go to the program's handler: UsageError → exit 2). */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve per-bar indicator selection over loopback HTTP (POST /bars, GET /selection, GET /health)')
    .requiredOption('--model <path>', 'checkpoint (.safetensors) written by the train step')
    .requiredOption('--data <folder|synthetic>', 'where the warm-up bars come from: a folder of minute-bar files, or "synthetic"')
    .option('--tickers <list>', 'comma-separated tickers to follow (default: those the model was trained on, or AAPL for synthetic)')
    .option('--days <n>', 'warm-up sessions, ending at --end', positiveInt('--days'), 2)
    .option('--end <YYYY-MM-DD>', "last warm-up session (default: the data's latest, 2026-10-30 for synthetic)")
    .option('--seed <n>', 'synthetic data seed (default 7)', positiveInt('--seed'))
    .option('--host <address>', 'interface to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 = a free one)', positiveInt('--port', 0), 8787)
    .option('--top <n>', 'indicators per selection by default', positiveInt('--top'), 10)
    .option('--max-body <bytes>', 'largest POST body accepted', positiveInt('--max-body'), 1 << 20)
    .action(async (o: ServeCliOptions) => {
      const server = await runServe(o);
      await new Promise<void>((done) => {
        const stop = (sig: string) => {
          console.log(`${sig}: closing (requests in flight finish first)`);
          server.close().then(done, done);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      console.log('stopped');
      process.exit(0);
    });
}
