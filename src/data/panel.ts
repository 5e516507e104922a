/**
 * Panel: the minute bars of one batch of tickers on the regular-session grid.
 *
 * Layout is row-major [T, N]: value of minute t for ticker n sits at index t * N + n.
 * T covers every regular-session minute of every session in the range (390 a full day,
 * 210 an early close), in time order. Missing minutes are kept as rows with the price carried
 * forward, volume 0 and mask 0, so every ticker shares one time axis and vectorized code can
 * walk a whole batch at once.
 */
export interface SessionInfo {
  /** Exchange-local date, YYYY-MM-DD. */
  date: string;
  /** Epoch milliseconds (UTC) of the 09:30 bar's start. */
  openMs: number;
  /** Number of regular-session bars: 390, or 210 on an early close. */
  bars: number;
  /** Row index of this session's first bar in the panel. */
  start: number;
}

export interface Panel {
  tickers: string[];
  /** Number of rows (minutes). */
  T: number;
  /** Number of tickers (columns). */
  N: number;
  open: Float32Array;
  high: Float32Array;
  low: Float32Array;
  close: Float32Array;
  volume: Float32Array;
  /** 1 where the bar was observed, 0 where it was filled (price carried forward, volume 0). */
  mask: Uint8Array;
  /** Epoch milliseconds (UTC) of each row's bar start, [T]. */
  time: Float64Array;
  /** Minute of the session of each row (0 = 09:30), [T]. */
  minuteOfSession: Int16Array;
  /** Index into `sessions` of each row, [T]. */
  sessionOfRow: Int32Array;
  sessions: SessionInfo[];
}

export const PANEL_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;
export type PanelField = (typeof PANEL_FIELDS)[number];

/** Builds the row-indexing arrays of a panel from its sessions. */
export function rowsFromSessions(sessions: SessionInfo[]): {
  T: number;
  time: Float64Array;
  minuteOfSession: Int16Array;
  sessionOfRow: Int32Array;
} {
  const T = sessions.reduce((s, x) => s + x.bars, 0);
  const time = new Float64Array(T);
  const minuteOfSession = new Int16Array(T);
  const sessionOfRow = new Int32Array(T);
  let row = 0;
  sessions.forEach((s, si) => {
    s.start = row;
    for (let m = 0; m < s.bars; m++, row++) {
      time[row] = s.openMs + m * 60_000;
      minuteOfSession[row] = m;
      sessionOfRow[row] = si;
    }
  });
  return { T, time, minuteOfSession, sessionOfRow };
}

/** An empty panel (NaN-free zeros, mask 0) over the given sessions and tickers. */
export function emptyPanel(tickers: string[], sessions: SessionInfo[]): Panel {
  const rows = rowsFromSessions(sessions);
  const size = rows.T * tickers.length;
  return {
    tickers,
    N: tickers.length,
    ...rows,
    open: new Float32Array(size),
    high: new Float32Array(size),
    low: new Float32Array(size),
    close: new Float32Array(size),
    volume: new Float32Array(size),
    mask: new Uint8Array(size),
    sessions,
  };
}

/** The columns of `panel` for the tickers at `indices`, as a new panel sharing the time axis. */
export function selectTickers(panel: Panel, indices: number[]): Panel {
  const out = emptyPanel(
    indices.map((i) => panel.tickers[i]),
    panel.sessions.map((s) => ({ ...s })),
  );
  const N = panel.N;
  const M = indices.length;
  for (const f of PANEL_FIELDS) {
    const src = panel[f];
    const dst = out[f];
    for (let t = 0; t < panel.T; t++) for (let j = 0; j < M; j++) dst[t * M + j] = src[t * N + indices[j]];
  }
  for (let t = 0; t < panel.T; t++) for (let j = 0; j < M; j++) out.mask[t * M + j] = panel.mask[t * N + indices[j]];
  return out;
}
