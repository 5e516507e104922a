/**
 * Replay: one session of a Panel fed bar by bar through the live engine and compared with the
 * batch engine (computeIndicators) on the same panel, value by value. The rows before the
 * session are the warm-up history; a minute where no ticker traded is not sent (the live state
 * fills it, as the Panel's grid has it).
 */
import type { Panel } from '../data/panel.js';
import { computeIndicators } from '../indicators/index.js';
import { createLiveState, type LiveUpdate } from './state.js';

/**
 * 1 float32 ulp at the value's magnitude, nothing absolute (the pass criterion of the live
 * tests, test/live/helpers.ts: live repeats the batch float64 arithmetic and rounds once, so
 * values are bit-identical in practice; one float32 step is the most a re-ordered float64 sum can
 * move). NaN equals NaN.
 */
export function close32(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  const mag = Math.max(Math.abs(a), Math.abs(b));
  return Math.abs(a - b) <= 2 ** (Math.floor(Math.log2(mag)) - 23);
}

export interface ReplayMismatch {
  name: string;
  count: number;
  /** The first one: time, ticker, live and batch values. */
  first: { time: string; ticker: string; live: number; batch: number };
}

export interface ReplayReport {
  date: string;
  tickers: string[];
  names: number;
  /** Updates sent (minutes where at least one ticker traded) and rows compared. */
  updates: number;
  rows: number;
  compared: number;
  exact: number;
  mismatches: ReplayMismatch[];
  /** Wall time of the live updates (per update: median and p99) and of the batch computation. */
  liveMedianMs: number;
  liveP99Ms: number;
  batchMs: number;
}

/** The update for row t: every observed ticker's bar. */
export function updateAt(p: Panel, t: number): LiveUpdate {
  const bars: LiveUpdate['bars'] = {};
  for (let n = 0; n < p.N; n++) {
    const i = t * p.N + n;
    if (p.mask[i]) bars[p.tickers[n]] = { open: p.open[i], high: p.high[i], low: p.low[i], close: p.close[i], volume: p.volume[i] };
  }
  return { time: p.time[t], bars };
}

/** Rows [0, S) of a panel. */
export function headOf(p: Panel, S: number): Panel {
  const N = p.N;
  return {
    tickers: [...p.tickers],
    T: S,
    N,
    open: p.open.slice(0, S * N),
    high: p.high.slice(0, S * N),
    low: p.low.slice(0, S * N),
    close: p.close.slice(0, S * N),
    volume: p.volume.slice(0, S * N),
    mask: p.mask.slice(0, S * N),
    time: p.time.slice(0, S),
    minuteOfSession: p.minuteOfSession.slice(0, S),
    sessionOfRow: p.sessionOfRow.slice(0, S),
    sessions: p.sessions.filter((s) => s.start < S).map((s) => ({ ...s })),
  };
}

const pct = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** Replays the panel's session `si` (rows after it are ignored) against the batch engine. */
export function replaySession(p: Panel, si: number, names?: readonly string[]): ReplayReport {
  const sess = p.sessions[si];
  if (!sess || si === 0) throw new Error('replay: the session needs at least one session of history before it');
  const S = sess.start, E = sess.start + sess.bars;
  const whole = E === p.T ? p : headOf(p, E);
  const t0 = performance.now();
  const batch = computeIndicators(whole, names ? { names: [...names] } : {});
  const batchMs = performance.now() - t0;
  const state = createLiveState({ ...(names ? { indicators: [...names] } : {}), tickers: p.tickers, history: headOf(whole, S) });
  const F = batch.F, N = whole.N;
  const bad = new Map<string, ReplayMismatch>();
  let compared = 0, exact = 0, updates = 0;
  const times: number[] = [];
  let snap = state.snapshot();
  const compare = (t: number) => {
    for (let n = 0; n < N; n++)
      for (let f = 0; f < F; f++) {
        const a = snap.values[n * F + f], b = batch.values[(t * N + n) * F + f];
        compared++;
        if (Object.is(a, b) || (a !== a && b !== b)) exact++;
        else if (!close32(a, b)) {
          const name = batch.names[f];
          const m = bad.get(name) ?? { name, count: 0, first: { time: new Date(whole.time[t]).toISOString(), ticker: whole.tickers[n], live: a, batch: b } };
          m.count++;
          bad.set(name, m);
        }
      }
  };
  for (let t = S; t < E; t++) {
    const u = updateAt(whole, t);
    if (Object.keys(u.bars).length === 0 && t < E - 1) continue; // nobody traded: the next update fills this minute
    const a = performance.now();
    snap = state.update(u);
    times.push(performance.now() - a);
    updates++;
    if (snap.time !== whole.time[t]) throw new Error(`replay: live is at ${new Date(snap.time).toISOString()}, expected row ${t} at ${new Date(whole.time[t]).toISOString()}`);
    compare(t);
  }
  return {
    date: sess.date,
    tickers: [...whole.tickers],
    names: F,
    updates,
    rows: sess.bars,
    compared,
    exact,
    mismatches: [...bad.values()],
    liveMedianMs: pct(times, 0.5),
    liveP99Ms: pct(times, 0.99),
    batchMs,
  };
}
