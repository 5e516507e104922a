/**
 * Rejected updates leave the state unchanged: late and duplicate bars, off-session minutes, bad
 * and unknown-ticker bars, too long gaps. Checked two ways: the snapshot is deep-equal before and
 * after each rejection, and the state keeps matching the batch engine bar for bar afterwards
 * (so no hidden lane state moved either). Plus the option errors of createLiveState.
 */
import { describe, expect, it } from 'vitest';
import { computeIndicators, INDICATOR_NAMES } from '../../src/indicators/index.js';
import { createLiveState, isLiveIndicator, LIVE_INDICATORS, LiveBarError, type LiveState, type LiveUpdate } from '../../src/live/index.js';
import { barsAt, close32, cutPanel, replayAndCompare, syntheticPanel } from './helpers.js';

function rejects(state: LiveState, u: LiveUpdate, code: string, text: RegExp): void {
  const before = state.snapshot();
  const rows = state.rows, last = state.lastTime;
  let err: unknown;
  try {
    state.update(u);
  } catch (e) {
    err = e;
  }
  expect(err, `update should be rejected (${code})`).toBeInstanceOf(LiveBarError);
  expect((err as LiveBarError).code).toBe(code);
  expect((err as Error).message).toMatch(text);
  const after = state.snapshot();
  expect(after).toEqual(before);
  expect(Buffer.from(after.values.buffer).equals(Buffer.from(before.values.buffer))).toBe(true); // NaN payloads too
  expect(state.rows).toBe(rows);
  expect(state.lastTime).toBe(last);
}

describe('rejected updates', () => {
  it('late, duplicate, off-session, bad and unknown bars are rejected with the state unchanged, and it still equals batch after', async () => {
    const p = await syntheticPanel(['SPY', 'AAPL', 'QQQ'], '2026-10-19', '2026-10-23', 5);
    const S = p.sessions[1].start + 40;
    const names = [...INDICATOR_NAMES];
    const batch = computeIndicators(p, { names });
    const state = createLiveState({ tickers: p.tickers, history: cutPanel(p, S) });
    const F = names.length, N = p.N;
    let checked = 0;
    for (let t = S; t < p.T; t++) {
      if (t % 37 === 0) {
        const prev = barsAt(p, t - 1), older = barsAt(p, t - 2), cur = barsAt(p, t);
        rejects(state, prev, 'duplicate', /duplicate bar at .*already at/);
        rejects(state, { ...older, time: new Date(older.time as number).toISOString() }, 'late', /late bar/);
        rejects(state, { time: (cur.time as number) + 30_000, bars: cur.bars }, 'bad-time', /whole minute/);
        rejects(state, { time: 'yesterday', bars: cur.bars }, 'bad-time', /not a valid instant/);
        const sat = Date.parse('2026-10-24T14:00:00Z');
        rejects(state, { time: sat, bars: {} }, 'off-session', /closed that day/);
        const openMs = p.sessions[p.sessionOfRow[t]].openMs;
        if (p.minuteOfSession[t] < 389) {
          rejects(state, { time: openMs + 390 * 60_000, bars: {} }, 'off-session', /not a regular-session minute/);
        }
        // one good bar and one bad bar in the same update: nothing of it is applied
        const good = { open: 10, high: 11, low: 9, close: 10.5, volume: 100 };
        rejects(state, { time: cur.time, bars: { SPY: good, AAPL: { ...good, volume: -1 } } }, 'bad-bar', /AAPL .*negative volume/);
        rejects(state, { time: cur.time, bars: { SPY: good, AAPL: { ...good, high: 8 } } }, 'bad-bar', /high 8 < low 9/);
        rejects(state, { time: cur.time, bars: { SPY: good, AAPL: { ...good, close: Number.NaN } } }, 'bad-bar', /close is null|close is NaN|finite number/);
        rejects(state, { time: cur.time, bars: { SPY: good, MSFT: good } }, 'unknown-ticker', /unknown ticker "MSFT"/);
        rejects(state, { time: '2026-12-07T15:00:00Z', bars: {} }, 'gap', /more than 5 sessions/); // a Monday 10:00 ET, weeks later
      }
      const snap = state.update(barsAt(p, t));
      for (let i = 0; i < N * F; i++) {
        if (!close32(snap.values[i], batch.values[t * N * F + i])) {
          throw new Error(`after rejections: t=${t} ${p.tickers[Math.floor(i / F)]} ${names[i % F]}: live ${snap.values[i]} batch ${batch.values[t * N * F + i]}`);
        }
      }
      checked++;
    }
    expect(checked).toBe(p.T - S);
  });
});

describe('createLiveState options', () => {
  it('implements all 111 names; an unimplemented name would be an error naming it', () => {
    expect(LIVE_INDICATORS).toEqual([...INDICATOR_NAMES]);
    expect(LIVE_INDICATORS.length).toBe(111);
    for (const name of INDICATOR_NAMES.filter((n) => !isLiveIndicator(n))) {
      expect(() => createLiveState({ indicators: [name], tickers: [], history: undefined as never })).toThrow(name);
    }
  });

  it('an unknown name is an error with a suggestion', async () => {
    const p = await syntheticPanel(['SPY'], '2026-10-19', '2026-10-19');
    expect(() => createLiveState({ indicators: ['AVWAP_SESION'], tickers: ['SPY'], history: p })).toThrow(/Unknown indicator name.*AVWAP_SESSION/);
  });

  it('tickers must be history columns, once each, each observed at least once', async () => {
    const p = await syntheticPanel(['SPY', 'AAPL'], '2026-10-19', '2026-10-19');
    expect(() => createLiveState({ tickers: ['MSFT'], history: p })).toThrow(/MSFT is not a column of the history/);
    expect(() => createLiveState({ tickers: ['SPY', 'SPY'], history: p })).toThrow(/listed twice/);
    const q = cutPanel(p, p.T);
    for (let t = 0; t < q.T; t++) q.mask[t * q.N + 1] = 0;
    expect(() => createLiveState({ tickers: ['SPY', 'AAPL'], history: q })).toThrow(/AAPL has no observed bar in the history/);
    expect(() => createLiveState({ tickers: ['SPY'], history: cutPanel(p, 0) })).toThrow(/no rows/);
  });

  it('a subset of names, in any order, and tickers in another order equal the batch columns', async () => {
    const p = await syntheticPanel(['SPY', 'AAPL', 'NVDA'], '2026-10-26', '2026-10-30', 3);
    const names = ['RSI_14', 'AVWAP_SESSION', 'MINUTES_TO_CLOSE', 'AVWAP_PDH', 'RVOL_TOD_20D'];
    const r = replayAndCompare(p, p.sessions[1].start, names);
    expect(r.mismatches).toEqual([]);
    expect(r.state.names).toEqual(['AVWAP_SESSION', 'AVWAP_PDH', 'RSI_14', 'RVOL_TOD_20D', 'MINUTES_TO_CLOSE']);
    // reordered tickers: value(ticker, name) reads the right batch column
    const S = p.sessions[2].start;
    const st = createLiveState({ indicators: names, tickers: ['NVDA', 'SPY'], history: cutPanel(p, S) });
    const batch = computeIndicators(p, { names });
    for (let t = S; t < S + 50; t++) {
      const u = barsAt(p, t);
      delete u.bars.AAPL;
      st.update(u);
    }
    const t = S + 49;
    for (const [n, tk] of p.tickers.entries()) {
      if (tk === 'AAPL') continue;
      for (const [f, name] of batch.names.entries()) {
        expect(close32(st.value(tk, name), batch.values[(t * p.N + n) * batch.F + f]), `${tk} ${name}`).toBe(true);
      }
    }
  });
});
