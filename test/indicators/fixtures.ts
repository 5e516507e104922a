/**
 * Test fixtures for the indicator engine, independent of src/data providers:
 * - synthPanel: a deterministic random-walk panel (gaps, flat bars, missing minutes, a half day);
 * - loadRealPanel: the real 1-minute CSV sample in ../shared/data/real-1min, aligned on a calendar;
 * - talibRun: the `talib` oracle, one ticker at a time;
 * - column helpers to read one indicator/ticker out of an IndicatorResult.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyPanel, type Panel, type SessionInfo } from '../../src/data/panel.js';
import type { IndicatorResult } from '../../src/indicators/index.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const realDir = path.resolve(repoRoot, '../shared/data/real-1min');
export const hasReal = existsSync(realDir);
export const realSkipMessage = `real-data tests skipped: ${realDir} is absent (it is a sibling of the clone in CI)`;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** UTC ms of 09:30 America/New_York on `date` (YYYY-MM-DD), DST-aware via Intl. */
export function nyOpenMs(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const guess = Date.UTC(y, m - 1, d, 13, 30);
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour12: false, hour: '2-digit', minute: '2-digit' });
  const parts = fmt.formatToParts(new Date(guess));
  const hh = Number(parts.find((p) => p.type === 'hour')!.value) % 24;
  const mm = Number(parts.find((p) => p.type === 'minute')!.value);
  return guess - ((hh * 60 + mm) - (9 * 60 + 30)) * 60_000;
}

/** NY calendar date of a UTC instant. */
export function nyDate(ms: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

/** Weekdays from `start` (YYYY-MM-DD), `count` of them. */
export function weekdays(start: string, count: number): string[] {
  const out: string[] = [];
  let ms = Date.parse(start + 'T12:00:00Z');
  while (out.length < count) {
    const d = new Date(ms);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
    ms += 86_400_000;
  }
  return out;
}

export interface SynthOptions {
  N?: number;
  days?: number;
  seed?: number;
  start?: string;
  /** indices of sessions that are early-close (210 bars) */
  halfDays?: number[];
  /** probability a minute is missing (mask 0) */
  missing?: number;
  /** probability a bar is flat (o = h = l = c) */
  flat?: number;
}

/** A deterministic random-walk panel. */
export function synthPanel(opts: SynthOptions = {}): Panel {
  const { N = 4, days = 3, seed = 1, start = '2026-02-26', halfDays = [], missing = 0.02, flat = 0.03 } = opts;
  const rnd = mulberry32(seed);
  const gauss = () => {
    const u = Math.max(rnd(), 1e-12), v = rnd();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const sessions: SessionInfo[] = weekdays(start, days).map((date, i) => ({
    date,
    openMs: nyOpenMs(date),
    bars: halfDays.includes(i) ? 210 : 390,
    start: 0,
  }));
  const tickers = Array.from({ length: N }, (_, n) => `T${n}`);
  const p = emptyPanel(tickers, sessions);
  for (let n = 0; n < N; n++) {
    let price = 20 + 480 * rnd();
    const vol = 0.0006 + 0.0015 * rnd();
    const baseV = 200 + 20000 * rnd();
    for (let t = 0; t < p.T; t++) {
      const i = t * N + n;
      const first = p.minuteOfSession[t] === 0;
      if (first && t > 0) price *= Math.exp((rnd() < 0.25 ? 4 : 1) * 0.01 * gauss()); // overnight gap
      const prevClose = t > 0 ? p.close[i - N] : price;
      if (t > 0 && rnd() < missing) {
        p.open[i] = p.high[i] = p.low[i] = p.close[i] = prevClose;
        p.volume[i] = 0;
        p.mask[i] = 0;
        continue;
      }
      const o = first ? price : prevClose;
      if (rnd() < flat) {
        p.open[i] = p.high[i] = p.low[i] = p.close[i] = o;
        p.volume[i] = Math.round(baseV * rnd());
        p.mask[i] = 1;
        price = o;
        continue;
      }
      const c = Math.round(o * Math.exp(vol * gauss()) * 100) / 100;
      const hi = Math.round(Math.max(o, c) * (1 + Math.abs(vol * 0.6 * gauss())) * 100) / 100;
      const lo = Math.round(Math.min(o, c) * (1 - Math.abs(vol * 0.6 * gauss())) * 100) / 100;
      p.open[i] = o;
      p.close[i] = c;
      p.high[i] = Math.max(hi, o, c);
      p.low[i] = Math.min(lo, o, c);
      p.volume[i] = Math.round(baseV * Math.exp(0.8 * gauss()) * (first ? 5 : 1));
      p.mask[i] = 1;
      price = c;
    }
  }
  return p;
}

interface Bar { o: number; h: number; l: number; c: number; v: number }

function readCsv(file: string): Map<number, Bar> {
  const rows = new Map<number, Bar>();
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k].trim();
    if (!line) continue;
    const [ts, o, h, l, c, v] = line.split(',');
    rows.set(Date.parse(ts), { o: +o, h: +h, l: +l, c: +c, v: +v });
  }
  return rows;
}

/**
 * A panel from real CSVs: `files` relative to realDir (e.g. 'AAPL.csv', 'long/SPY.csv'); the
 * sessions are `dates` (default: every NY date present in the first file). Missing minutes:
 * price carried forward (a leading gap takes the first bar's open), volume 0, mask 0.
 */
export function loadRealPanel(files: string[], dates?: string[]): Panel {
  const data = files.map((f) => readCsv(path.join(realDir, f)));
  const allDates = dates ?? [...new Set([...data[0].keys()].map(nyDate))].sort();
  const sessions: SessionInfo[] = allDates.map((date) => {
    const openMs = nyOpenMs(date);
    // an early close has no bar at or after 13:00 ET in any file
    const late = data.some((d) => {
      for (let m = 210; m < 390; m++) if (d.has(openMs + m * 60_000)) return true;
      return false;
    });
    return { date, openMs, bars: late ? 390 : 210, start: 0 };
  });
  const p = emptyPanel(files.map((f) => path.basename(f, '.csv')), sessions);
  const N = p.N;
  data.forEach((d, n) => {
    let last: Bar | undefined;
    for (let t = 0; t < p.T && !last; t++) last = d.get(p.time[t]);
    let prevC = last ? last.o : NaN;
    for (let t = 0; t < p.T; t++) {
      const i = t * N + n;
      const b = d.get(p.time[t]);
      if (b) {
        p.open[i] = b.o; p.high[i] = b.h; p.low[i] = b.l; p.close[i] = b.c; p.volume[i] = b.v; p.mask[i] = 1;
        prevC = b.c;
      } else {
        p.open[i] = p.high[i] = p.low[i] = p.close[i] = prevC;
        p.volume[i] = 0;
        p.mask[i] = 0;
      }
    }
  });
  return p;
}

export const REAL_TICKERS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'AMD', 'AVGO', 'NFLX', 'INTC', 'PLTR', 'ORCL', 'MU', 'BA', 'DIS', 'SPY', 'QQQ', 'IWM', 'SMH'];
/** Days common to all 20 top-level tickers (BA ends 2026-03-23). */
export const REAL_DATES = ['2026-03-12', '2026-03-13', '2026-03-16', '2026-03-17', '2026-03-18', '2026-03-19', '2026-03-20', '2026-03-23'];

/** One indicator's series for one ticker, as float64. */
export function series(res: IndicatorResult, name: string, n: number): Float64Array {
  const f = res.names.indexOf(name);
  if (f < 0) throw new Error(`no ${name} in result`);
  const out = new Float64Array(res.T);
  for (let t = 0; t < res.T; t++) out[t] = res.values[(t * res.N + n) * res.F + f];
  return out;
}

/** One panel field for one ticker, as a plain array (what the talib binding takes). */
export function field(p: Panel, f: 'open' | 'high' | 'low' | 'close' | 'volume', n: number, from = 0, to = p.T): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t++) out.push(p[f][t * p.N + n]);
  return out;
}

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let talibMod: any;
/** The talib binding, loaded on first use (tests that do not need it do not depend on its build). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function talib(): any {
  talibMod ??= require('talib');
  return talibMod;
}

/**
 * Runs a talib function on ticker n of the panel and returns its outputs aligned to rows
 * (NaN before begIndex). Inputs are passed exactly as talib.explain(name) lists them.
 */
export function talibRun(
  p: Panel,
  n: number,
  name: string,
  opt: Record<string, number> = {},
  from = 0,
  to = p.T,
  inReal?: ArrayLike<number>,
): Record<string, Float64Array> {
  const info = talib().explain(name);
  const args: Record<string, unknown> = { name, startIdx: 0, endIdx: to - from - 1, ...opt };
  for (const inp of info.inputs) {
    if (inp.type === 'price') {
      for (const key of Object.keys(inp.flags)) args[inp.flags[key]] = field(p, inp.flags[key], n, from, to);
    } else if (inp.name === 'inReal') args.inReal = inReal ? Array.from(inReal).slice(from, to) : field(p, 'close', n, from, to);
    else throw new Error(`talibRun: unsupported input ${inp.name}`);
  }
  const r = talib().execute(args);
  if (r.error) throw new Error(`talib ${name}: ${r.error}`);
  const out: Record<string, Float64Array> = {};
  for (const [k, arr] of Object.entries(r.result as Record<string, (number | null)[]>)) {
    const s = new Float64Array(to - from).fill(NaN);
    arr.forEach((x, j) => (s[r.begIndex + j] = x === null ? NaN : x));
    out[k] = s;
  }
  return out;
}

export interface CloseOpts {
  from?: number;
  rtol?: number;
  atol?: number;
  /** rows to leave out of the comparison (documented deviations) */
  skip?: (t: number) => boolean;
}

/**
 * Compares two aligned series; returns a description of the first few mismatches ('' if none).
 * NaN must match NaN. Rows before `from` are compared for NaN-ness only.
 */
export function diffSeries(label: string, ours: ArrayLike<number>, ref: ArrayLike<number>, o: CloseOpts = {}): string {
  const { from = 0, rtol = 2e-6, atol = 1e-9, skip } = o;
  const bad: string[] = [];
  let count = 0;
  for (let t = 0; t < ref.length; t++) {
    if (skip?.(t)) continue;
    const a = ours[t], b = ref[t];
    let ok: boolean;
    if (t < from) ok = Number.isNaN(a) === Number.isNaN(b) || Number.isNaN(a);
    else if (Number.isNaN(b) || Number.isNaN(a)) ok = Number.isNaN(a) && Number.isNaN(b);
    else ok = Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) {
      count++;
      if (bad.length < 5) bad.push(`t=${t}: ours ${a} ref ${b}`);
    }
  }
  return count === 0 ? '' : `${label}: ${count} mismatches (${bad.join('; ')})`;
}
