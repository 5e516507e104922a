/**
 * Selection on each bar: the live model state (createLiveState({ model, … })) against the batch
 * path on the same bars — computeContext / computeRegimes row by row, and
 * model.getOptimalIndicators on the panel cut after each bar.
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/select.js';
import { computeContext, CONTEXT_SIZE } from '../../src/model/context.js';
import { computeRegimes, REGIME_NAMES } from '../../src/model/regime.js';
import { createLiveContext, createLiveState, LiveBarError } from '../../src/live/index.js';
import { createLiveState as createIndicatorState } from '../../src/live/state.js';
import { barsAt, cutPanel, syntheticPanel, withoutRows } from './helpers.js';
import { trainedModelPath } from './model-fixture.js';

const TICKERS = ['AAPL', 'MSFT', 'KO', 'TSLA'];
const trainedPath = trainedModelPath;

describe('live context and regime', () => {
  it('equal computeContext and computeRegimes on every row (missing minutes, several sessions)', async () => {
    const p0 = await syntheticPanel(TICKERS, '2026-11-23', '2026-11-27', 3); // holiday + early close
    // thin the bars: some tickers miss single minutes, all miss a stretch
    const p = withoutRows(p0, (t) => t > 500 && (t % 17 === 0 || (t > 900 && t < 930)));
    for (let t = 0; t < p.T; t++) if (t % 5 === 0) p.mask[t * p.N + 2] = 0; // KO misses every 5th minute (fill below)
    const { fillColumn } = await import('../../src/data/providers/folder.js');
    fillColumn(p, 2);
    const ctx = computeContext(p);
    const reg = computeRegimes(p);
    const live = createLiveContext(p.N);
    let compared = 0, diff = 0;
    createIndicatorState({
      indicators: ['EMA_9'],
      tickers: p.tickers,
      history: p,
      rowHook: (row, observed) => {
        live.step(row, observed);
        const t = row.t;
        for (let n = 0; n < p.N; n++) {
          for (let k = 0; k < CONTEXT_SIZE; k++) {
            compared++;
            if (!Object.is(live.context[n * CONTEXT_SIZE + k], ctx[(t * p.N + n) * CONTEXT_SIZE + k])) diff++;
          }
          compared += 3;
          if (live.regime[n] !== reg.regime[t * p.N + n]) diff++;
          if (!Object.is(live.varianceRatio[n], reg.varianceRatio[t * p.N + n])) diff++;
          if (!Object.is(live.volRatio[n], reg.volRatio[t * p.N + n])) diff++;
        }
      },
    });
    console.log(`live context/regime: ${compared} values over ${p.T} rows, ${diff} differ`);
    expect(compared).toBe(p.T * p.N * (CONTEXT_SIZE + 3));
    expect(diff).toBe(0);
    // the regimes do move in this data (the comparison is not all-constant)
    expect(new Set(reg.regime).size).toBeGreaterThan(1);
  });
});

describe('selection on each bar', () => {
  it('equals model.getOptimalIndicators on the same bars, ticker by ticker; regime changes as the batch regimes change', async () => {
    const model = loadModel(await trainedPath());
    const p0 = await syntheticPanel(TICKERS, '2026-11-02', '2026-11-04', 11);
    const p = withoutRows(p0, (t) => t > 400 && t % 13 === 0);
    // TSLA trades only every third minute after the history
    const S = 390 + 200;
    const reg = computeRegimes(p).regime;
    const state = createLiveState({ model, tickers: TICKERS, history: cutPanel(p, S), topK: 5 });
    await state.ready();
    expect(state.selections()).toHaveLength(TICKERS.length);
    const last = new Map(TICKERS.map((x, n) => [x, reg[(S - 1) * p.N + n]]));
    const events: string[] = [];
    const expected: string[] = [];
    let checked = 0;
    for (let t = S; t < p.T; t++) {
      if (p.time[t] % 60_000 !== 0) throw new Error('grid');
      const u = barsAt(p, t);
      if (Object.keys(u.bars).length === 0) continue; // a skipped minute: the next update fills it
      if (t % 3 !== 0) delete u.bars.TSLA;
      if (!u.bars.TSLA) p.mask[t * p.N + 3] = 0;
      const r = await state.update(u);
      expect(r.snapshot.time).toBe(p.time[t]);
      expect(r.selections.map((s) => s.ticker).sort()).toEqual(Object.keys(u.bars).sort());
      for (const c of r.regimeChanges) events.push(`${c.ticker}@${c.time}:${c.from}->${c.to}`);
      if (t % 15 === 0 || t === p.T - 1) {
        // the batch path on the bars so far (TSLA's dropped minutes carried forward, as live does)
        const bars = withoutRows(cutPanel(p, t + 1), () => false);
        for (const ticker of TICKERS) {
          const want = await model.getOptimalIndicators(bars, { ticker, topK: Infinity });
          const got = state.selection(ticker, Infinity);
          expect(got.time).toBe(want.time);
          expect(got.regime).toBe(want.regime);
          expect(got.indicators.map((x) => x.name)).toEqual(want.indicators.map((x) => x.name));
          // the top k (partial selection) is the head of the full ranking
          expect(state.selection(ticker, 3).indicators).toEqual(got.indicators.slice(0, 3));
          expect(state.selection(ticker).indicators).toEqual(got.indicators.slice(0, 5));
          got.indicators.forEach((x, i) => {
            expect(x.score).toBeCloseTo(want.indicators[i].score, 6);
            expect(Object.is(x.value, want.indicators[i].value)).toBe(true);
          });
          checked++;
        }
      }
    }
    // regime changes: the batch regimes at each ticker's observed bars, in order
    const q = withoutRows(p, () => false);
    const breg = computeRegimes(q).regime;
    for (let t = S; t < q.T; t++)
      for (let n = 0; n < q.N; n++) {
        if (!q.mask[t * q.N + n]) continue;
        const g = breg[t * q.N + n];
        if (g !== last.get(TICKERS[n])) expected.push(`${TICKERS[n]}@${q.time[t]}:${REGIME_NAMES[last.get(TICKERS[n])!]}->${REGIME_NAMES[g]}`);
        last.set(TICKERS[n], g);
      }
    console.log(`live selection: ${checked} selections equal to getOptimalIndicators; ${events.length} regime changes`);
    expect(checked).toBeGreaterThan(60);
    expect(events.sort()).toEqual(expected.sort());
    expect(events.length).toBeGreaterThan(0);
  });

  it('a rejected update changes nothing, and the selection needs no second warm-up', async () => {
    const model = loadModel(await trainedPath());
    const p = await syntheticPanel(TICKERS, '2026-11-02', '2026-11-03', 5);
    const S = 500;
    const state = createLiveState({ model, tickers: TICKERS, history: cutPanel(p, S) });
    await state.ready();
    const before = JSON.stringify(state.selections(Infinity));
    const bad = barsAt(p, S);
    bad.bars.AAPL = { ...bad.bars.AAPL, high: -1 };
    await expect(state.update(bad)).rejects.toBeInstanceOf(LiveBarError);
    await expect(state.update(barsAt(p, S - 1))).rejects.toThrow(/duplicate/);
    await expect(state.update({ ...barsAt(p, S), bars: { ZZZ: bad.bars.MSFT } })).rejects.toThrow(/unknown ticker/);
    expect(JSON.stringify(state.selections(Infinity))).toBe(before);
    expect(state.lastTime).toBe(p.time[S - 1]);
    const ok = await state.update(barsAt(p, S));
    expect(ok.selections).toHaveLength(TICKERS.length);
    expect(() => state.selection('NOPE')).toThrow(/unknown ticker NOPE/);
  });
});
