/**
 * The sampling grid: which (row, ticker) points of a panel become training samples. The
 * `sample` step takes them and precheck counts them, so both use this one rule.
 */
import type { Panel } from './panel.js';
import { DataError } from './provider.js';

/** Where samples are taken: every `sample_interval` rows from row `warmup`, label `horizon` rows ahead. */
export interface SampleGrid {
  warmup: number;
  sample_interval: number;
  horizon: number;
}

/** The row-indexing part of a panel (enough to place samples). */
export type PanelRows = Pick<Panel, 'T' | 'sessionOfRow'>;

/** A grid the sampler can take: whole, non-negative steps. DataError naming the bad one. */
export function checkGrid(g: SampleGrid): void {
  if (!Number.isInteger(g.sample_interval) || g.sample_interval < 1) throw new DataError(`sample interval must be an integer ≥ 1, got ${g.sample_interval}`);
  if (!Number.isInteger(g.warmup) || g.warmup < 0) throw new DataError(`warmup must be an integer ≥ 0, got ${g.warmup}`);
  if (!Number.isInteger(g.horizon) || g.horizon < 0) throw new DataError(`horizon must be an integer ≥ 0, got ${g.horizon}`);
}

/**
 * Candidate sample rows of a panel, the same for every ticker: rows r ≥ warmup with
 * (r − warmup) % sample_interval == 0 whose label row r + horizon lies in the same session.
 */
export function sampleRows(rows: PanelRows, grid: SampleGrid): Int32Array {
  checkGrid(grid);
  const out: number[] = [];
  for (let r = grid.warmup; r + grid.horizon < rows.T; r += grid.sample_interval) {
    if (rows.sessionOfRow[r + grid.horizon] === rows.sessionOfRow[r]) out.push(r);
  }
  return Int32Array.from(out);
}

/**
 * The sample points the `sample` step takes: (row, column) pairs over `sampleRows` where the bar
 * at the row was observed (mask 1). Ordered by row, then column.
 */
export function samplePoints(panel: PanelRows & Pick<Panel, 'N' | 'mask'>, grid: SampleGrid): { rows: Int32Array; cols: Int32Array; count: number } {
  const cand = sampleRows(panel, grid);
  const N = panel.N;
  let count = 0;
  for (const r of cand) for (let n = 0; n < N; n++) count += panel.mask[r * N + n];
  const rows = new Int32Array(count);
  const cols = new Int32Array(count);
  let k = 0;
  for (const r of cand) {
    for (let n = 0; n < N; n++) {
      if (panel.mask[r * N + n]) {
        rows[k] = r;
        cols[k] = n;
        k++;
      }
    }
  }
  return { rows, cols, count };
}

/** Sample points per ticker column (same rule as samplePoints). */
export function samplePointsPerTicker(panel: PanelRows & Pick<Panel, 'N' | 'mask'>, grid: SampleGrid): Int32Array {
  const cand = sampleRows(panel, grid);
  const N = panel.N;
  const out = new Int32Array(N);
  for (const r of cand) for (let n = 0; n < N; n++) out[n] += panel.mask[r * N + n];
  return out;
}

