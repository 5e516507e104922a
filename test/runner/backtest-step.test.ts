import { describe, expect, it } from 'vitest';
import { testRows } from '../../src/steps/backtest.js';

describe('backtest step: test rows', () => {
  const m = 60_000;
  // Two tickers sampled every 5 minutes over two sessions (a day apart).
  const day2 = 86_400_000;
  const times = [0, 5, 10, 15, 20, 25, 30].flatMap((k) => [k * m, k * m]).concat([0, 5, 10].flatMap((k) => [day2 + k * m, day2 + k * m]));
  const time = Float64Array.from(times);

  it('keeps only the test split', () => {
    expect(Array.from(testRows(time, 20 * m, 0))).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('spaces holding periods so they do not overlap, restarting each session', () => {
    const rows = testRows(time, 0, 15);
    expect([...new Set(Array.from(rows, (i) => time[i]))]).toEqual([0, 15 * m, 30 * m, day2]);
    // Every ticker at a kept time is kept.
    expect(rows.length).toBe(8);
  });
});
