import { describe, expect, it } from 'vitest';
import {
  computeIndicators,
  INDICATOR_NAMES,
  INDICATORS_VERSION,
  listIndicators,
} from '../../src/indicators/index.js';
import { series, synthPanel } from './fixtures.js';

describe('indicator API', () => {
  it('lists 111 indicators in the documented order, AVWAP family first', () => {
    const list = listIndicators();
    expect(list).toHaveLength(111);
    expect(INDICATOR_NAMES).toHaveLength(111);
    expect(list.map((x) => x.name)).toEqual([...INDICATOR_NAMES]);
    expect(new Set(INDICATOR_NAMES).size).toBe(111);
    expect(INDICATOR_NAMES.slice(0, 3)).toEqual(['AVWAP_SESSION', 'AVWAP_SESSION_SD', 'AVWAP_SESSION_U1']);
    expect(list.slice(0, 21).every((x) => x.group === 'avwap')).toBe(true);
    expect(INDICATOR_NAMES[110]).toBe('MINUTES_TO_CLOSE');
    expect(INDICATOR_NAMES.indexOf('EMA_9')).toBe(21);
    expect(INDICATOR_NAMES.indexOf('RSI_14')).toBe(39);
    expect(INDICATOR_NAMES.indexOf('TRANGE')).toBe(55);
    expect(INDICATOR_NAMES.indexOf('RET_1')).toBe(83);
    for (const x of list) {
      expect(Number.isInteger(x.warmup) && x.warmup >= 0).toBe(true);
      expect(x.reference.length).toBeGreaterThan(0);
    }
    expect(Number.isInteger(INDICATORS_VERSION)).toBe(true);
  });

  it('computes all 111 in [T, N, F] layout', () => {
    const p = synthPanel({ N: 3, days: 2 });
    const r = computeIndicators(p);
    expect(r.F).toBe(111);
    expect(r.T).toBe(p.T);
    expect(r.N).toBe(3);
    expect(r.values.length).toBe(p.T * 3 * 111);
    expect(r.names).toEqual([...INDICATOR_NAMES]);
    // MINUTE_OF_SESSION sits at f = 107 of each (t, n) cell
    const t = 400, n = 2;
    expect(r.values[(t * r.N + n) * r.F + 107]).toBe(p.minuteOfSession[t]);
  });

  it('a selection outputs only those names, in documented order, with identical values', () => {
    const p = synthPanel({ N: 3, days: 2, seed: 7 });
    const all = computeIndicators(p);
    const sel = computeIndicators(p, { names: ['RSI_14', 'AVWAP_SESSION_U2', 'DIST_HOD_ATR', 'EMA_9', 'RSI_14'] });
    expect(sel.names).toEqual(['AVWAP_SESSION_U2', 'EMA_9', 'RSI_14', 'DIST_HOD_ATR']);
    expect(sel.F).toBe(4);
    for (const name of sel.names)
      for (let n = 0; n < 3; n++) expect(Array.from(series(sel, name, n))).toEqual(Array.from(series(all, name, n)));
  });

  it('unknown names throw, listing them with a suggestion', () => {
    const p = synthPanel({ N: 1, days: 1 });
    expect(() => computeIndicators(p, { names: ['EMA_9', 'RSI14', 'avwap_sesion'] })).toThrow(
      /Unknown indicator names: "RSI14" \(did you mean RSI_14\?\), "avwap_sesion" \(did you mean AVWAP_SESSION\?\)/,
    );
  });

  it('writes into a caller-provided buffer', () => {
    const p = synthPanel({ N: 2, days: 1 });
    const out = new Float32Array(p.T * 2 * 2).fill(123);
    const r = computeIndicators(p, { names: ['EMA_9', 'HOD'], out });
    expect(r.values).toBe(out);
    expect(Number.isNaN(out[0])).toBe(true); // EMA_9 at t=0
    expect(() => computeIndicators(p, { names: ['EMA_9'], out })).toThrow(/expected T\*N\*F/);
  });
});
