/**
 * `mlx-intraday replay <spec> --date YYYY-MM-DD [--history-days 2] [--json]`: one session of the
 * spec's data fed bar by bar through the live engine (src/live/) and checked value by value
 * against the batch engine on the same bars (src/live/replay.ts). Prints every indicator that
 * differs (count and first case); exit 0 when none does, 1 when one does, 2 for bad input.
 */
import { createProvider, type DataConfig } from '../data/index.js';
import { dayNumber, sessionFor, sessionsEnding } from '../data/calendar.js';
import { selectTickers, type Panel } from '../data/panel.js';
import { replaySession, type ReplayReport } from '../live/replay.js';
import type { Spec } from '../spec/types.js';
import { DataError, UsageError } from '../util/errors.js';

export interface ReplayCliOptions {
  date: string;
  historyDays: number;
  json?: boolean;
}

export interface ReplayOutput extends ReplayReport {
  spec: string;
  history: { from: string; to: string; sessions: number };
  /** Tickers of the spec left out: no bar in the history (live cannot start from nothing) or none at all. */
  skipped: { ticker: string; reason: string }[];
}

const usage = (message: string, hint: string, where: string) => UsageError.one(message, hint, { file: where });

export async function runReplay(spec: Spec, o: ReplayCliOptions): Promise<ReplayOutput> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.date) || !Number.isFinite(dayNumber(o.date)) || new Date(o.date + 'T00:00:00Z').toISOString().slice(0, 10) !== o.date) {
    throw usage(`--date ${o.date} is not a date`, 'use YYYY-MM-DD, e.g. --date 2026-03-20', `--date ${o.date}`);
  }
  let sess;
  try {
    sess = sessionFor(o.date);
  } catch (e) {
    throw usage(`--date ${o.date}: ${(e as Error).message}`, 'pick a date inside the calendar the data covers', `--date ${o.date}`);
  }
  if (!sess) throw usage(`${o.date} is not a trading session (weekend or NYSE holiday)`, 'pick a weekday the exchange was open', `--date ${o.date}`);
  const sessions = sessionsEnding(o.date, o.historyDays + 1);
  const tickers = spec.universe.tickers;
  let panel: Panel;
  try {
    const provider = createProvider(spec.data as DataConfig, { baseDir: spec.dir, env: process.env });
    panel = await provider.fetch({ tickers, sessions, onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  } catch (e) {
    if (e instanceof DataError) throw usage(e.message, e.hint ?? 'check the spec\'s data block and --date', spec.path);
    throw e;
  }
  const si = panel.sessions.findIndex((s) => s.date === o.date);
  if (si < 1) throw usage(`no session before ${o.date} to warm up from`, 'use a later --date or more --history-days', `--date ${o.date}`);
  const S = panel.sessions[si].start;
  const keep: number[] = [];
  const skipped: ReplayOutput['skipped'] = [];
  for (let n = 0; n < panel.N; n++) {
    let before = false, on = false;
    for (let t = 0; t < panel.T && !(before && on); t++) if (panel.mask[t * panel.N + n]) (t < S ? (before = true) : (on = true));
    if (before) keep.push(n);
    else skipped.push({ ticker: panel.tickers[n], reason: on ? `no bar in the ${o.historyDays} history sessions (live cannot start from nothing)` : 'no bars at all' });
  }
  if (keep.length === 0) throw usage(`none of the spec's ${tickers.length} tickers has bars before ${o.date}`, 'use a --date inside the data, or more --history-days', `--date ${o.date}`);
  const sub = keep.length === panel.N ? panel : selectTickers(panel, keep);
  const report = replaySession(sub, si);
  return { spec: spec.path, history: { from: panel.sessions[0].date, to: panel.sessions[si - 1].date, sessions: si }, skipped, ...report };
}

export function formatReplay(r: ReplayOutput): string[] {
  const lines = [
    `replay ${r.date} (${r.spec}): ${r.tickers.length} ticker${r.tickers.length > 1 ? 's' : ''} × ${r.names} indicators, ${r.updates} bars sent of ${r.rows} minutes, warmed up on ${r.history.sessions} session${r.history.sessions > 1 ? 's' : ''} ${r.history.from}…${r.history.to}`,
    `  ${r.compared.toLocaleString('en-US')} values compared with the batch engine: ${r.exact.toLocaleString('en-US')} bit-identical, ${r.mismatches.reduce((s, m) => s + m.count, 0)} mismatches (tolerance 1 float32 ulp)`,
    `  live update median ${r.liveMedianMs.toFixed(3)} ms, p99 ${r.liveP99Ms.toFixed(3)} ms; batch (the whole panel once) ${r.batchMs.toFixed(0)} ms`,
  ];
  for (const s of r.skipped) lines.push(`  skipped ${s.ticker}: ${s.reason}`);
  for (const m of r.mismatches) lines.push(`  MISMATCH ${m.name}: ${m.count} values; first at ${m.first.time} ${m.first.ticker}: live ${m.first.live} vs batch ${m.first.batch}`);
  return lines;
}
