/**
 * `mlx-intraday replay <spec> --date`: real bars read in place from the shared real sample
 * through a folder-provider spec (never copied), each session fed bar by bar through the live
 * engine and compared with the batch engine: zero mismatches.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../runner/cli.js';
import { writeSpec } from '../runner/helpers.js';
import { hasReal, realDir, realSkipMessage } from './helpers.js';

const spec = () =>
  writeSpec(`version: 1
name: live-replay
universe:
  tickers: [SPY, AAPL, MSFT, NVDA, TSLA, BA, IWM]
data:
  provider: folder
  folder: { path: ${JSON.stringify(realDir)} }
steps:
  bars:
    kind: fetch
`);

describe.skipIf(!hasReal)('replay on real bars', () => {
  if (!hasReal) console.log(realSkipMessage);

  it('a full day and a day with missing minutes (BA gone): zero mismatches over all 111', async () => {
    const path = spec();
    for (const [date, tickers] of [['2026-03-20', 7], ['2026-03-27', 6]] as const) {
      const r = await runCli(['replay', path, '--date', date, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      console.log(`replay ${date}: ${out.tickers.length} tickers, ${out.updates} bars, ${out.compared} values, ${out.exact} bit-identical, ${out.mismatches.length} mismatching names`);
      expect(out.date).toBe(date);
      expect(out.tickers).toHaveLength(tickers);
      expect(out.names).toBe(111);
      expect(out.compared).toBe(out.updates * tickers * 111);
      expect(out.updates).toBeGreaterThan(380);
      expect(out.mismatches).toEqual([]);
      if (date === '2026-03-27') expect(out.skipped.map((s: { ticker: string }) => s.ticker)).toEqual(['BA']);
    }
    // the human form says the same
    const text = await runCli(['replay', path, '--date', '2026-03-20']);
    expect(text.stdout).toMatch(/bit-identical, 0 mismatches/);
  });

  it('bad input exits 2 with what to fix', async () => {
    const path = spec();
    const sat = await runCli(['replay', path, '--date', '2026-03-21']);
    expect(sat.code).toBe(2);
    expect(sat.stderr).toMatch(/not a trading session[\s\S]*fix: pick a weekday/);
    const bad = await runCli(['replay', path, '--date', '21/03/2026']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a date/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
