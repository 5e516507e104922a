import { describe, expect, it } from 'vitest';
import { sessionsEnding } from '../../src/data/calendar.js';
import { fingerprintPanel } from '../../src/data/fingerprint.js';
import { emptyPanel, selectTickers } from '../../src/data/panel.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';

describe('fingerprintPanel', () => {
  const sessions = sessionsEnding('2026-10-30', 3);
  it('is stable for equal data and changes when any byte changes', async () => {
    const p = await new SyntheticProvider(7).fetch({ tickers: ['AAPL', 'MSFT'], sessions });
    const f = fingerprintPanel(p);
    expect(f).toMatch(/^[0-9a-f]{64}$/);
    const copy = selectTickers(p, [0, 1]);
    expect(fingerprintPanel(copy)).toBe(f);
    copy.mask[5] ^= 1;
    expect(fingerprintPanel(copy)).not.toBe(f);
    copy.mask[5] ^= 1;
    copy.volume[100] += 1;
    expect(fingerprintPanel(copy)).not.toBe(f);
    copy.volume[100] -= 1;
    expect(fingerprintPanel(copy)).toBe(f);
    expect(fingerprintPanel(selectTickers(p, [1, 0]))).not.toBe(f);
  });
  it('covers tickers and sessions even when arrays are equal', () => {
    const a = emptyPanel(['A'], sessionsEnding('2026-10-30', 1));
    const b = emptyPanel(['B'], sessionsEnding('2026-10-30', 1));
    const c = emptyPanel(['A'], sessionsEnding('2026-10-29', 1));
    expect(fingerprintPanel(a)).not.toBe(fingerprintPanel(b));
    expect(fingerprintPanel(a)).not.toBe(fingerprintPanel(c));
  });
});
