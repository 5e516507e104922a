/**
 * Live = batch for every implemented indicator, bar by bar, on synthetic bars (SyntheticProvider
 * over real calendar sessions: a holiday, an early close, week and month turns, missing minutes,
 * halts, skipped updates) and on the real 1-minute sample (a day with missing minutes, a thinly
 * traded half day).
 */
import { describe, expect, it } from 'vitest';
import { LIVE_INDICATORS } from '../../src/live/index.js';
import { mulberry32 } from '../indicators/fixtures.js';
import { hasReal, realPanel, realSkipMessage, replayAndCompare, syntheticPanel, type ReplayResult } from './helpers.js';

function expectEqual(r: ReplayResult, label: string): void {
  const lines = r.mismatches.map((m) => `${m.name}: ${m.count} (first ${m.first})`);
  expect(lines, `${label}: live ≠ batch`).toEqual([]);
  expect(r.compared).toBeGreaterThan(0);
  console.log(`${label}: ${r.compared} values compared, ${r.exact} bit-identical, names ${LIVE_INDICATORS.length}`);
}

describe('live = batch (synthetic)', () => {
  it('Thanksgiving week (holiday, early close 2026-11-27, week and month turns, skipped minutes)', async () => {
    const p = await syntheticPanel(['SPY', 'AAPL', 'ZZLOW', 'NVDA'], '2026-11-16', '2026-12-02');
    const S = p.sessions[3].start + 17; // history ends mid-session
    const half = p.sessions.find((s) => s.bars === 210)!;
    expect(half.date).toBe('2026-11-27');
    // skip some updates outright: a few single minutes, a 20-minute stretch, and the early close's last 30 minutes
    const skip = (t: number) => (t > S && t % 97 === 0) || (t >= S + 500 && t < S + 520) || (t >= half.start + 180 && t < half.start + 210);
    const r = replayAndCompare(p, S, LIVE_INDICATORS, skip);
    expectEqual(r, 'synthetic');
  });

  it('a whole session with no update at all is filled as masked rows', async () => {
    const p = await syntheticPanel(['MSFT', 'XYZ'], '2026-10-26', '2026-11-04', 11);
    const S = p.sessions[2].start;
    const gap = p.sessions[4];
    const r = replayAndCompare(p, S, LIVE_INDICATORS, (t) => t >= gap.start - 5 && t < gap.start + gap.bars + 3);
    expectEqual(r, 'synthetic gap');
  });
});

describe('live = batch (history edges)', () => {
  it('a history of one bar, of exactly one session, and one ending one bar before the close', async () => {
    const p = await syntheticPanel(['SPY', 'TSLA'], '2026-10-29', '2026-11-03', 4);
    for (const S of [1, p.sessions[1].start, p.sessions[2].start - 1]) {
      const r = replayAndCompare(p, S, LIVE_INDICATORS, (t) => t === p.sessions[2].start);
      expectEqual(r, `cut at ${S}`);
    }
  });
});

describe('live = batch (random cuts and skipped updates)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: history cut at a random row, a random share of updates never sent`, async () => {
      const rnd = mulberry32(seed * 7919);
      const p = await syntheticPanel(['SPY', `R${seed}`, 'IWM'], '2026-06-26', '2026-07-07', seed); // a month turn; Independence Day observed on Fri 2026-07-03
      const S = 1 + Math.floor(rnd() * (p.T - 400));
      const share = 0.02 + 0.3 * rnd();
      const drop = new Uint8Array(p.T);
      for (let t = S; t < p.T; t++) drop[t] = rnd() < share ? 1 : 0;
      const r = replayAndCompare(p, S, LIVE_INDICATORS, (t) => drop[t] === 1);
      expectEqual(r, `random seed ${seed} (cut ${S}/${p.T}, ${(share * 100).toFixed(0)}% skipped)`);
    });
  }
});

describe.skipIf(!hasReal)('live = batch (real 1-minute bars)', () => {
  if (!hasReal) it.skip(realSkipMessage, () => {});
  it('7 liquid tickers, 2026-03-12…2026-03-27 (2026-03-27 misses two minutes; BA ends 03-23)', async () => {
    const p = await realPanel('', ['AAPL', 'MSFT', 'NVDA', 'SPY', 'QQQ', 'TSLA', 'BA'], '2026-03-12', '2026-03-27');
    const S = p.sessions[5].start;
    const r = replayAndCompare(p, S, LIVE_INDICATORS);
    expectEqual(r, 'real');
  });
  it('40 full days of SPY (2024): the time-of-day rings wrap past 20 sessions, rolling sums re-summed many times', async () => {
    const p = await realPanel('long', ['SPY'], '2024-03-22', '2024-05-17');
    expect(p.sessions.length).toBe(40);
    const S = p.sessions[22].start + 211;
    const r = replayAndCompare(p, S, LIVE_INDICATORS);
    expectEqual(r, 'long SPY');
  });
  it('thinly traded ETFs through the 2025-07-03 early close and the 07-04 holiday', async () => {
    const p = await realPanel('sparse', ['DBB', 'FXY'], '2025-06-16', '2025-07-08');
    expect(p.sessions.find((s) => s.date === '2025-07-03')?.bars).toBe(210);
    const S = p.sessions[2].start + 100;
    const r = replayAndCompare(p, S, LIVE_INDICATORS);
    expectEqual(r, 'sparse');
  });
});
