/**
 * Live-vs-batch harness: a Panel from a real provider (synthetic, or the real CSV folder), cut at
 * a row into a history and the rest; the rest is fed bar by bar to the live state, and every
 * live snapshot is compared with the batch engine's row on the whole panel.
 */
import path from 'node:path';
import type { Panel } from '../../src/data/panel.js';
import { sessionsBetween } from '../../src/data/calendar.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { fillColumn, FolderProvider } from '../../src/data/providers/folder.js';
import { computeIndicators, type IndicatorResult } from '../../src/indicators/index.js';
import { createLiveState, type LiveSnapshot, type LiveState } from '../../src/live/index.js';
import { headOf as cutPanel, updateAt as barsAt } from '../../src/live/replay.js';
import { realDir } from '../indicators/fixtures.js';

export { hasReal, realDir, realSkipMessage } from '../indicators/fixtures.js';

export async function syntheticPanel(tickers: string[], from: string, to: string, seed = 7): Promise<Panel> {
  return new SyntheticProvider(seed).fetch({ tickers, sessions: sessionsBetween(from, to) });
}

/** The real 1-minute sample, read in place through the folder provider (never copied). */
export async function realPanel(sub: string, tickers: string[], from: string, to: string): Promise<Panel> {
  return new FolderProvider({ path: path.join(realDir, sub) }).fetch({ tickers, sessions: sessionsBetween(from, to), onWarning: () => {} });
}

// Rows [0, S) of a panel (the history may end mid-session) and the update for row t: the
// replay module's own helpers, so tests and replay feed the live engine the same way.
export { cutPanel, barsAt };

/**
 * Float tolerance: 1 float32 ulp at the value's magnitude (≈ 1.2e-7 relative), nothing absolute.
 * Why: the batch engine accumulates in float64 and stores float32. The live engine mirrors its
 * float64 arithmetic operation for operation (same seeding, same summation order, the same
 * periodic re-summation of rolling sums) and rounds to float32 once, the same way, so in practice
 * every value is bit-identical (the tests log the count). A harmless float64-level difference
 * (a re-ordered sum, ~1e-16 relative) can still move a value across a float32 rounding boundary,
 * which is one float32 step: that, and no more, is allowed. Any real difference — a bar off, a
 * missed reset, a wrong carry-forward — is orders of magnitude larger and fails.
 */
export function close32(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  const mag = Math.max(Math.abs(a), Math.abs(b));
  const ulp = 2 ** (Math.floor(Math.log2(mag)) - 23);
  return Math.abs(a - b) <= ulp;
}

export interface Mismatch {
  name: string;
  count: number;
  first: string;
}

export interface ReplayResult {
  state: LiveState;
  batch: IndicatorResult;
  compared: number;
  exact: number;
  mismatches: Mismatch[];
}

/**
 * The panel as the batch engine would get it when the minutes `skip` says never arrived: those
 * rows masked for every ticker and re-filled (price carried forward, volume 0) with the
 * providers' own fill.
 */
export function withoutRows(p: Panel, skip: (t: number) => boolean): Panel {
  const q = cutPanel(p, p.T);
  for (let t = 0; t < q.T; t++) if (skip(t)) for (let n = 0; n < q.N; n++) q.mask[t * q.N + n] = 0;
  for (let n = 0; n < q.N; n++) fillColumn(q, n);
  return q;
}

/**
 * Warms a live state on rows [0, S) of `p`, feeds rows S..T−1 (skipping the updates `skip` says,
 * so those minutes reach the state only as skipped minutes), and compares every snapshot with
 * the batch engine on the whole panel.
 */
export function replayAndCompare(p0: Panel, S: number, names: readonly string[], skip: (t: number) => boolean = () => false): ReplayResult {
  for (let t = 0; t < S; t++) if (skip(t)) throw new Error('replayAndCompare: skip only rows after the history');
  const p = withoutRows(p0, skip);
  const batch = computeIndicators(p, { names: [...names] });
  const state = createLiveState({ indicators: [...names], tickers: p.tickers, history: cutPanel(p, S) });
  const F = batch.F, N = p.N;
  const bad = new Map<string, Mismatch>();
  let compared = 0, exact = 0;
  const check = (t: number, snap: LiveSnapshot) => {
    if (snap.time !== p.time[t]) throw new Error(`snapshot at ${snap.time}, expected row ${t} at ${p.time[t]}`);
    for (let n = 0; n < N; n++)
      for (let f = 0; f < F; f++) {
        const a = snap.values[n * F + f], b = batch.values[(t * N + n) * F + f];
        compared++;
        if (Object.is(a, b) || (a !== a && b !== b)) exact++;
        if (!close32(a, b)) {
          const name = names[f];
          const m = bad.get(name) ?? { name, count: 0, first: `t=${t} (${new Date(p.time[t]).toISOString()}) ${p.tickers[n]}: live ${a} batch ${b}` };
          m.count++;
          bad.set(name, m);
        }
      }
  };
  check(S - 1, state.snapshot());
  for (let t = S; t < p.T; t++) {
    if (skip(t)) continue;
    check(t, state.update(barsAt(p, t)));
  }
  return { state, batch, compared, exact, mismatches: [...bad.values()] };
}
