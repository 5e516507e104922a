/**
 * The live (incremental) indicator state: `createLiveState` warms up from a history Panel, then
 * `update` takes one new 1-minute bar per ticker and advances every indicator in O(1) per bar
 * per indicator. Values equal the batch engine's (computeIndicators on the history panel with
 * the new minutes appended) — see docs/live.md and test/live/.
 *
 * How the new minutes map onto the batch engine's panel:
 * - A bar is the minute starting at `time` (epoch ms or ISO 8601, on a whole minute, inside a
 *   regular session of the NYSE calendar in src/data/calendar.ts: 09:30–16:00 ET, 13:00 on an
 *   early close).
 * - A ticker absent from an update is a masked row: price carried forward from its last close
 *   (open = high = low = close), volume 0 — what the providers' fill puts in a Panel.
 * - Minutes skipped between two updates (no update at all for a minute, the rest of a session,
 *   whole sessions in between) are added as masked rows for every ticker, as the Panel's grid
 *   has them; session opens reset what the batch engine resets.
 * - Prices and volume are stored as float32, as the Panel stores them; high/low are widened to
 *   cover open and close (as the folder provider does).
 * - A bar at or before the last minute (late or duplicate), an off-session minute, an unknown
 *   ticker or a bad bar is rejected with a LiveBarError before anything changes.
 */
import type { Panel } from '../data/panel.js';
import { dayNumber, exchangeDate, formatDay, sessionFor } from '../data/calendar.js';
import { INDICATOR_NAMES, resolveIndicatorNames } from '../indicators/compute.js';
import { CLOSE_DEPTH, type Row } from './row.js';
import { LIVE_GROUPS, LIVE_INDICATORS, liveGroupOf } from './registry.js';

export interface LiveBar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface LiveUpdate {
  /** Start of the minute: epoch milliseconds (UTC) or an ISO 8601 string with an offset. */
  time: number | string;
  /** One bar per ticker that traded this minute; a ticker may be missing (carried forward). */
  bars: Record<string, LiveBar>;
}

export interface LiveStateOptions {
  /** Indicator names (default: all 111). A name the live engine does not implement is an error naming it. */
  indicators?: string[];
  /** Tickers to follow, each a column of `history`, in the order of the state's outputs. */
  tickers: string[];
  /** Past bars to warm up from (a Panel from any provider); every ticker must have at least one observed bar in it. */
  history: Panel;
  /** Most sessions an update may skip over (filled as masked rows); more is rejected. Default 5. */
  maxGapSessions?: number;
  /**
   * Internal (the model state, src/live/select.ts): called after each row's indicators are
   * computed (warm-up, filled and live rows), with the row, which tickers were observed, and the
   * float64 outputs in `names` order. It must not change what it is given.
   */
  rowHook?: (r: Row, observed: Uint8Array, outputs: readonly Float64Array[]) => void;
}

export interface LiveSnapshot {
  /** Epoch ms of the minute these values are for. */
  time: number;
  /** Exchange-local date of that minute's session and its minute of session (0 = 09:30). */
  date: string;
  minuteOfSession: number;
  tickers: string[];
  names: string[];
  /** [N, F] row-major: values[n * F + f], float32 like the batch engine, NaN where not (yet) defined. */
  values: Float32Array;
  /** 1 where the ticker's bar was observed this minute, 0 where it was carried forward. */
  observed: Uint8Array;
}

export type LiveBarErrorCode = 'late' | 'duplicate' | 'off-session' | 'unknown-ticker' | 'bad-bar' | 'bad-time' | 'gap';

/** A rejected update: the state is unchanged. */
export class LiveBarError extends Error {
  constructor(
    readonly code: LiveBarErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LiveBarError';
  }
}

export interface LiveState {
  readonly tickers: readonly string[];
  readonly names: readonly string[];
  /** Epoch ms of the last minute processed. */
  readonly lastTime: number;
  /** Rows processed so far (history rows + live rows, including filled minutes). */
  readonly rows: number;
  /** Adds one minute (and any skipped minutes before it); returns the values at that minute. */
  update(u: LiveUpdate): LiveSnapshot;
  /** The values at the last minute processed (a copy). */
  snapshot(): LiveSnapshot;
  /** One value at the last minute processed. */
  value(ticker: string, name: string): number;
}

interface Sess {
  date: string;
  openMs: number;
  bars: number;
}

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function weekKey(date: string): number {
  const days = Math.floor(Date.parse(date + 'T00:00:00Z') / 86_400_000);
  return Math.floor((days + 3) / 7); // Monday-based weeks, as the batch engine
}

/** The next NYSE session after `date`, looking up to `maxDays` calendar days ahead. */
function nextSession(date: string, maxDays = 30): Sess | null {
  const d = dayNumber(date);
  for (let k = 1; k <= maxDays; k++) {
    const s = sessionFor(formatDay(d + k));
    if (s) return { date: s.date, openMs: s.openMs, bars: s.bars };
  }
  return null;
}

function parseTime(time: number | string): number {
  const ms = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN;
  if (!Number.isFinite(ms)) throw new LiveBarError('bad-time', `live: bar time ${JSON.stringify(time)} is not a valid instant (epoch ms or ISO 8601 with an offset)`);
  if (ms % MIN !== 0) throw new LiveBarError('bad-time', `live: bar time ${iso(ms)} is not on a whole minute (bars are labelled by the start of their minute)`);
  return ms;
}

export function createLiveState(opts: LiveStateOptions): LiveState {
  const { history } = opts;
  const maxGap = opts.maxGapSessions ?? 5;
  // --- names ---
  const requested = opts.indicators ?? [...INDICATOR_NAMES];
  const names = resolveIndicatorNames(requested);
  const missing = names.filter((n) => !liveGroupOf(n));
  if (missing.length > 0) {
    throw new Error(
      `live: not implemented incrementally yet: ${missing.join(', ')} (${missing.length} of the ${names.length} requested). ` +
        `The live engine implements ${LIVE_INDICATORS.length} of ${INDICATOR_NAMES.length} (LIVE_INDICATORS lists them); ` +
        `pass indicators: [...] with those only, or use computeIndicators for the rest.`,
    );
  }
  // --- tickers ---
  const tickers = [...opts.tickers];
  if (tickers.length === 0) throw new Error('live: tickers is empty');
  const dup = tickers.find((x, i) => tickers.indexOf(x) !== i);
  if (dup !== undefined) throw new Error(`live: ticker ${dup} is listed twice`);
  const col = tickers.map((x) => {
    const i = history.tickers.indexOf(x);
    if (i < 0) throw new Error(`live: ticker ${x} is not a column of the history panel (its tickers: ${history.tickers.slice(0, 10).join(', ')}${history.tickers.length > 10 ? ', …' : ''})`);
    return i;
  });
  if (history.T < 1 || history.sessions.length === 0) throw new Error('live: the history panel has no rows: give at least one session to warm up from');
  const HN = history.N;
  for (let n = 0; n < tickers.length; n++) {
    let seen = false;
    for (let t = 0; t < history.T && !seen; t++) seen = history.mask[t * HN + col[n]] === 1;
    if (!seen)
      throw new Error(
        `live: ticker ${tickers[n]} has no observed bar in the history (${history.sessions[0].date}…${history.sessions[history.sessions.length - 1].date}): ` +
          'a live bar cannot be carried forward from nothing (the batch fill would back-fill it from a later bar); start from a history where it traded',
      );
  }
  const N = tickers.length;
  const tickerIndex = new Map(tickers.map((x, n) => [x, n]));
  const F = names.length;

  // --- row buffers ---
  const ring = Array.from({ length: CLOSE_DEPTH }, () => new Float64Array(N));
  let h = new Float64Array(N), l = new Float64Array(N), ph = new Float64Array(N), pl = new Float64Array(N);
  const row: Row = {
    t: -1, m: 0, first: true, bars: 390, newWeek: true, newMonth: true, N,
    o: new Float64Array(N), h, l, c: ring[0], v: new Float64Array(N), ph, pl, pc: ring[CLOSE_DEPTH - 1],
    cAgo: (k) => ring[(row.t - k) % CLOSE_DEPTH],
  };

  // --- groups and outputs ---
  const cols = new Map<string, Float64Array>();
  const colFn = (name: string) => {
    let b = cols.get(name);
    if (!b) {
      b = new Float64Array(N).fill(NaN);
      cols.set(name, b);
    }
    return b;
  };
  const groups = LIVE_GROUPS.filter((g) => names.some((n) => g.outputs.includes(n)));
  const steps = groups.map((g) => g.make(N, colFn));
  const allCols = [...cols.values()];
  const outCols = names.map((n) => cols.get(n)!);
  const values = new Float32Array(N * F);
  const observed = new Uint8Array(N);

  // --- calendar position ---
  let cur: Sess = { date: '', openMs: 0, bars: 0 };
  let m = -1;
  let lastTime = -Infinity;

  /** Advances one row whose bars are already in row.o/h/l/c/v. */
  const hook = opts.rowHook;
  const stepRow = () => {
    for (const b of allCols) b.fill(NaN);
    for (const s of steps) s(row);
    if (hook) hook(row, observed, outCols);
  };
  const beginRow = (s: Sess, minute: number, prevDate: string) => {
    const t = row.t + 1;
    row.t = t;
    row.m = minute;
    row.first = minute === 0;
    row.bars = s.bars;
    if (row.first) {
      // as the batch engine: the first session of the panel, or a week / month key that changed
      row.newWeek = t === 0 || weekKey(s.date) !== weekKey(prevDate);
      row.newMonth = t === 0 || s.date.slice(0, 7) !== prevDate.slice(0, 7);
    }
    // previous row's high/low/close
    const th = ph, tl = pl;
    ph = h; pl = l; h = th; l = tl;
    row.ph = ph; row.pl = pl; row.h = h; row.l = l;
    row.pc = ring[(t + CLOSE_DEPTH - 1) % CLOSE_DEPTH];
    row.c = ring[t % CLOSE_DEPTH];
  };
  const writeOut = () => {
    for (let f = 0; f < F; f++) {
      const b = outCols[f];
      for (let n = 0; n < N; n++) values[n * F + f] = b[n];
    }
  };
  /** A filled (masked) row for every ticker at the next grid minute of `s`. */
  const fillRow = (s: Sess, minute: number, prevDate: string) => {
    beginRow(s, minute, prevDate);
    const { o, c, v, pc } = row;
    for (let n = 0; n < N; n++) {
      const x = pc[n];
      o[n] = x; h[n] = x; l[n] = x; c[n] = x; v[n] = 0;
      observed[n] = 0;
    }
    stepRow();
  };

  // --- warm-up from history ---
  {
    const { open, high, low, close, volume, mask } = history;
    let prevDate = '';
    for (let t = 0; t < history.T; t++) {
      const si = history.sessionOfRow[t];
      const hs = history.sessions[si];
      const minute = t - hs.start;
      if (minute === 0) {
        prevDate = cur.date;
        cur = { date: hs.date, openMs: hs.openMs, bars: hs.bars };
      }
      beginRow(cur, minute, prevDate);
      const { o, c, v } = row;
      for (let n = 0; n < N; n++) {
        const i = t * HN + col[n];
        o[n] = open[i]; h[n] = high[i]; l[n] = low[i]; c[n] = close[i]; v[n] = volume[i];
        observed[n] = mask[i];
      }
      stepRow();
      m = minute;
      lastTime = history.time[t];
    }
    writeOut();
  }

  const snapshot = (): LiveSnapshot => ({
    time: lastTime,
    date: cur.date,
    minuteOfSession: m,
    tickers: [...tickers],
    names: [...names],
    values: values.slice(),
    observed: observed.slice(),
  });

  const stIdx = new Int32Array(N);
  const stO = new Float64Array(N), stH = new Float64Array(N), stL = new Float64Array(N), stC = new Float64Array(N), stV = new Float64Array(N);

  /** Validates an update; returns its minute and session and stages its float32 bars (the state is not changed). */
  const check = (u: LiveUpdate) => {
    if (u === null || typeof u !== 'object') throw new LiveBarError('bad-bar', 'live: update must be an object { time, bars }');
    const time = parseTime(u.time);
    if (time <= lastTime) {
      const code = time === lastTime ? 'duplicate' : 'late';
      throw new LiveBarError(
        code,
        `live: ${code} bar at ${iso(time)}: the state is already at ${iso(lastTime)}; bars must come in time order, one update per minute (rejected, state unchanged)`,
      );
    }
    let date: string, s: ReturnType<typeof sessionFor>;
    try {
      date = exchangeDate(time);
      s = sessionFor(date);
    } catch (e) {
      throw new LiveBarError('off-session', `live: ${iso(time)}: ${(e as Error).message}`);
    }
    if (!s || time < s.openMs || time >= s.openMs + s.bars * MIN) {
      throw new LiveBarError(
        'off-session',
        `live: ${iso(time)} (${date}) is not a regular-session minute${s ? ` (the session runs ${iso(s.openMs)}…${iso(s.openMs + s.bars * MIN - MIN)})` : ' (the exchange is closed that day)'}`,
      );
    }
    const sess: Sess = { date: s.date, openMs: s.openMs, bars: s.bars };
    // sessions skipped over
    let skipped = 0;
    if (sess.date !== cur.date) {
      let d = cur.date;
      for (;;) {
        const nx = nextSession(d);
        if (!nx) throw new LiveBarError('gap', `live: no session found after ${d}`);
        if (nx.date === sess.date) break;
        if (++skipped > maxGap) {
          throw new LiveBarError('gap', `live: ${iso(time)} is more than ${maxGap} sessions after the last bar (${iso(lastTime)}); rebuild the state from a history that reaches closer, or raise maxGapSessions`);
        }
        d = nx.date;
      }
    }
    const bars = u.bars;
    if (bars === null || typeof bars !== 'object') throw new LiveBarError('bad-bar', `live: update at ${iso(time)}: bars must be an object { TICKER: { open, high, low, close, volume } }`);
    // staged in buffers of their own: the state is not touched until every bar has passed
    let count = 0;
    for (const tk in bars) {
      if (!Object.prototype.hasOwnProperty.call(bars, tk)) continue;
      const b = (bars as Record<string, LiveBar>)[tk];
      const n = tickerIndex.get(tk);
      if (n === undefined) throw new LiveBarError('unknown-ticker', `live: update at ${iso(time)}: unknown ticker ${JSON.stringify(tk)} (this state follows ${tickers.slice(0, 10).join(', ')}${N > 10 ? ', …' : ''})`);
      const where = `live: ${tk} at ${iso(time)}`;
      if (b === null || typeof b !== 'object') throw new LiveBarError('bad-bar', `${where}: bar must be { open, high, low, close, volume }`);
      const { open: o, high: hi, low: lo, close: c, volume: v } = b;
      for (const [k, x] of [['open', o], ['high', hi], ['low', lo], ['close', c], ['volume', v]] as const) {
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new LiveBarError('bad-bar', `${where}: ${k} is ${JSON.stringify(x)}, expected a finite number`);
      }
      if (o <= 0 || hi <= 0 || lo <= 0 || c <= 0) throw new LiveBarError('bad-bar', `${where}: non-positive price`);
      if (hi < lo) throw new LiveBarError('bad-bar', `${where}: high ${hi} < low ${lo}`);
      if (v < 0) throw new LiveBarError('bad-bar', `${where}: negative volume ${v}`);
      stIdx[count] = n;
      stO[count] = Math.fround(o);
      stH[count] = Math.fround(Math.max(hi, o, c));
      stL[count] = Math.fround(Math.min(lo, o, c));
      stC[count] = Math.fround(c);
      stV[count] = Math.fround(v);
      count++;
    }
    return { time, sess, count };
  };

  const state: LiveState = {
    tickers: Object.freeze([...tickers]),
    names: Object.freeze([...names]),
    get lastTime() {
      return lastTime;
    },
    get rows() {
      return row.t + 1;
    },
    update(u) {
      const { time, sess, count } = check(u);
      // minutes skipped before this one: masked rows for every ticker
      const target = (time - sess.openMs) / MIN;
      for (;;) {
        if (m + 1 < cur.bars) {
          if (cur.date === sess.date && m + 1 === target) break;
          fillRow(cur, ++m, '');
        } else {
          const nx = nextSession(cur.date)!;
          if (nx.date === sess.date && target === 0) break;
          const prevDate = cur.date;
          cur = nx;
          m = 0;
          fillRow(cur, 0, prevDate);
        }
      }
      // the row itself
      let prevDate = '';
      if (target === 0) {
        prevDate = cur.date;
        cur = sess;
      }
      beginRow(cur, target, prevDate);
      const { o, c, v, pc } = row;
      for (let n = 0; n < N; n++) {
        const x = pc[n];
        o[n] = x; h[n] = x; l[n] = x; c[n] = x; v[n] = 0;
        observed[n] = 0;
      }
      for (let k = 0; k < count; k++) {
        const n = stIdx[k];
        o[n] = stO[k]; h[n] = stH[k]; l[n] = stL[k]; c[n] = stC[k]; v[n] = stV[k];
        observed[n] = 1;
      }
      stepRow();
      m = target;
      lastTime = time;
      writeOut();
      return snapshot();
    },
    snapshot,
    value(ticker, name) {
      const n = tickerIndex.get(ticker);
      if (n === undefined) throw new Error(`live: unknown ticker ${ticker}`);
      const f = names.indexOf(name);
      if (f < 0) throw new Error(`live: ${name} is not one of this state's indicators`);
      return values[n * F + f];
    },
  };
  return state;
}
