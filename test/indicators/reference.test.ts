/**
 * The 68 outputs without a TA-Lib counterpart against plain float64 definitions
 * (test/indicators/reference.ts), on synthetic panels and on the real sample.
 */
import { describe, expect, it } from 'vitest';
import type { Panel } from '../../src/data/panel.js';
import { computeIndicators, INDICATOR_NAMES } from '../../src/indicators/index.js';
import { diffSeries, hasReal, loadRealPanel, REAL_DATES, REAL_TICKERS, realSkipMessage, series, synthPanel } from './fixtures.js';
import { referenceFor } from './reference.js';

/** Tolerances: float32 output of float64 math (relative), absolute where values cross 0. */
const TOL: Record<string, { rtol?: number; atol?: number }> = {
  AVWAP_SESSION_SD: { rtol: 1e-5, atol: 1e-5 },
  AVWAP_SESSION_Z: { rtol: 1e-4, atol: 1e-4 },
  AVWAP_WEEKLY_Z: { rtol: 1e-4, atol: 1e-4 },
  AVWAP_SESSION_DIST_PCT: { atol: 1e-5 },
  AVWAP_SESSION_SLOPE5: { atol: 1e-3 },
  TSI_25_13: { atol: 1e-4 },
  SQZ_MOM: { atol: 1e-5 },
  GK_30: { atol: 1e-7, rtol: 1e-4 },
  PARKINSON_30: { atol: 1e-8, rtol: 1e-5 },
  CMF_20: { atol: 1e-5 },
  EFI_13: { atol: 1e-2, rtol: 1e-5 },
  VOL_Z_20: { atol: 1e-4, rtol: 1e-4 },
  RET_1: { atol: 1e-9, rtol: 1e-5 },
  RET_5: { atol: 1e-9, rtol: 1e-5 },
  RET_15: { atol: 1e-9, rtol: 1e-5 },
  RET_30: { atol: 1e-9, rtol: 1e-5 },
  RET_60: { atol: 1e-9, rtol: 1e-5 },
  RET_SESSION: { atol: 1e-9, rtol: 1e-5 },
  UPPER_WICK_PCT: { atol: 1e-6 },
  LOWER_WICK_PCT: { atol: 1e-6 },
  CLV: { atol: 1e-6 },
  POS_IN_DAY_RANGE: { atol: 1e-6 },
  DIST_HOD_ATR: { atol: 1e-5, rtol: 1e-5 },
  DIST_LOD_ATR: { atol: 1e-5, rtol: 1e-5 },
  ROLL_SPREAD_30: { atol: 1e-8, rtol: 1e-4 },
  AMIHUD_30: { atol: 1e-16, rtol: 1e-5 },
  TOD_COS: { atol: 1e-7 },
  TOD_SIN: { atol: 1e-7 },
  GAP_PCT: { atol: 1e-6 },
};

function check(p: Panel, tickers: number[]): string[] {
  const res = computeIndicators(p);
  const errs: string[] = [];
  for (const n of tickers) {
    const ref = referenceFor(p, n);
    for (const [name, r] of Object.entries(ref)) {
      const e = diffSeries(`${name} ticker ${p.tickers[n]}`, series(res, name, n), r, { rtol: 3e-6, atol: 1e-6, ...TOL[name] });
      if (e) errs.push(e);
    }
  }
  return errs;
}

describe('outputs without a TA-Lib counterpart vs plain float64 definitions', () => {
  it('the reference covers the 68 non-TA-Lib outputs', () => {
    const p = synthPanel({ N: 1, days: 1 });
    const names = Object.keys(referenceFor(p, 0));
    expect(names.length).toBe(68);
    for (const nm of names) expect(INDICATOR_NAMES).toContain(nm);
  });

  it('match on a synthetic panel over 2 weeks + a month change (gaps, flat bars, missing minutes, a half day)', () => {
    const p = synthPanel({ N: 3, days: 9, seed: 5, start: '2026-02-24', halfDays: [4] });
    expect(check(p, [0, 1, 2])).toEqual([]);
  });

  it('match on a tiny hand-checkable session', () => {
    const p = synthPanel({ N: 2, days: 2, seed: 9, missing: 0.2, flat: 0.2 });
    expect(check(p, [0, 1])).toEqual([]);
  });

  describe.skipIf(!hasReal)('on the real 1-minute sample', () => {
    it('match on 4 real tickers × 8 days', () => {
      const p = loadRealPanel(['AAPL.csv', 'TSLA.csv', 'SPY.csv', 'BA.csv'], REAL_DATES);
      expect(check(p, [0, 1, 2, 3])).toEqual([]);
    });
    it('match on SPY over 40 days (RVOL_TOD over 20 prior sessions)', () => {
      const p = loadRealPanel(['long/SPY.csv']);
      expect(check(p, [0])).toEqual([]);
    });
  });
  it.skipIf(hasReal)(realSkipMessage, () => {});
  void REAL_TICKERS;
});
