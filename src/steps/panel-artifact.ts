/** A Panel as cache tensors + meta, and back. */
import type { Panel, SessionInfo } from '../data/panel.js';
import { tensor, type Tensor } from '../tensor/tensor.js';

export function panelToTensors(p: Panel): Record<string, Tensor> {
  const tn = [p.T, p.N];
  return {
    open: tensor(p.open, tn),
    high: tensor(p.high, tn),
    low: tensor(p.low, tn),
    close: tensor(p.close, tn),
    volume: tensor(p.volume, tn),
    mask: tensor(p.mask, tn),
    time: tensor(p.time, [p.T]),
    minute_of_session: tensor(p.minuteOfSession, [p.T]),
    session_of_row: tensor(p.sessionOfRow, [p.T]),
  };
}

export function panelMeta(p: Panel): { tickers: string[]; sessions: SessionInfo[]; T: number; N: number } {
  return { tickers: p.tickers, sessions: p.sessions, T: p.T, N: p.N };
}

export function panelFromTensors(t: Record<string, Tensor>, meta: { tickers: string[]; sessions: SessionInfo[] }): Panel {
  const [T, N] = t.close.shape;
  return {
    tickers: meta.tickers,
    sessions: meta.sessions,
    T,
    N,
    open: t.open.data as Float32Array,
    high: t.high.data as Float32Array,
    low: t.low.data as Float32Array,
    close: t.close.data as Float32Array,
    volume: t.volume.data as Float32Array,
    mask: t.mask.data as Uint8Array,
    time: t.time.data as Float64Array,
    minuteOfSession: t.minute_of_session.data as Int16Array,
    sessionOfRow: t.session_of_row.data as Int32Array,
  };
}
