/**
 * The chunked evaluation engine.
 *
 * Every kernel keeps one lane of state per ticker and walks time in row order (t outer, tickers
 * inner and contiguous, Float64 accumulators). The engine drives all active kernels over the
 * same chunk of rows [t0, t1) one after another, each writing its outputs into one small
 * cell-major scratch laid out like the output ([cell, F], cache-resident; `col(name)` is the
 * view starting at the output's feature, written with stride FS = F), then copies the chunk
 * into the [T, N, F] result as one block (one block per row for a ticker slice). So the big
 * output buffer is written once, sequentially, and no full-length column per output is ever
 * materialised (only the few series that several kernels share).
 */
import type { Panel } from '../data/panel.js';

export interface Ctx {
  readonly panel: Panel;
  readonly T: number;
  readonly N: number;
  readonly o: Float32Array;
  readonly h: Float32Array;
  readonly l: Float32Array;
  readonly c: Float32Array;
  readonly v: Float32Array;
  /** Row of the first bar of the session containing row t, [T]. */
  readonly sessStart: Int32Array;
  /**
   * Chunk scratch of output `name`, or null if not requested: the value of cell
   * (t − t0) * N + n goes at index ((t − t0) * N + n) * FS (the scratch is cell-major, like the
   * output).
   */
  col(name: string): Float32Array | null;
  /** Stride of the `col` arrays: the number of outputs F. */
  readonly FS: number;
  /** A shared full-length [T*N] Float64 series, allocated on first call (by its provider). */
  series(name: string): Float64Array;
}

export interface KernelDef {
  id: string;
  /** Public outputs this kernel can write. */
  outputs: readonly string[];
  /** Shared series this kernel writes (always, when active). */
  provides?: readonly string[];
  /** Shared series this kernel reads (their providers run first, on the same chunk). */
  needs?: readonly string[];
  /** Sets up lane state; returns the per-chunk step. */
  make(ctx: Ctx): (t0: number, t1: number) => void;
}

/**
 * Rows per chunk: about 1K (t, n) cells, so the scratch (1K × 111 × 4 B ≈ 450 KB) stays in the
 * 1 MB L2 (4K cells, 1.8 MB, measured ~5 % slower with the earlier feature-major scratch;
 * 256–2K cells measure the same with the cell-major one).
 */
export function chunkRows(N: number): number {
  return Math.max(8, Math.min(1024, Math.ceil(1024 / Math.max(1, N))));
}

/**
 * Where the panel's columns go in `out`: ticker n of the panel is column nOffset + n of an
 * output with nTotal columns (index ((t * nTotal) + nOffset + n) * F + f). Default: the whole
 * output (0, N). Lets several threads fill disjoint ticker slices of one shared buffer.
 */
export interface OutLayout {
  nOffset: number;
  nTotal: number;
}

export function run(
  panel: Panel,
  kernels: readonly KernelDef[],
  names: readonly string[],
  out: Float32Array,
  layout: OutLayout = { nOffset: 0, nTotal: panel.N },
  countNaN = false,
): number {
  const { T, N } = panel;
  const { nOffset, nTotal } = layout;
  const F = names.length;
  const CH = chunkRows(N);
  // one cell-major scratch buffer: output f of chunk cell i lives at i * F + f
  const CAP = CH * N;
  const SC = new Float32Array(F * CAP);
  const ctx = makeCtx(panel, names, SC);
  const SCw = new Uint32Array(SC.buffer, SC.byteOffset, SC.length);
  const outW = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const steps = kernels.map((k) => k.make(ctx));
  let nan = 0;
  for (let t0 = 0; t0 < T; t0 += CH) {
    const t1 = Math.min(T, t0 + CH);
    const vals = (t1 - t0) * N * F;
    SC.fill(NaN, 0, vals);
    for (const s of steps) s(t0, t1);
    if (countNaN) nan += countNaNs(SC, vals);
    // the scratch is already in [t, n, f] order: copy it as raw 32-bit words (NaN payloads kept)
    if (nTotal === N) outW.set(SCw.subarray(0, vals), t0 * N * F);
    else for (let t = t0; t < t1; t++) outW.set(SCw.subarray((t - t0) * N * F, (t - t0 + 1) * N * F), (t * nTotal + nOffset) * F);
  }
  keepOptimizedCode(kernels);
  return nan;
}

/** NaNs among the chunk's values (counted here, cache-hot, instead of in a pass over the output). */
function countNaNs(SC: Float32Array, vals: number): number {
  let k = 0;
  for (let i = 0; i < vals; i++) if (SC[i] !== SC[i]) k++;
  return k;
}

function makeCtx(panel: Panel, names: readonly string[], SC: Float32Array): Ctx {
  const { T, N } = panel;
  const fIndex = new Map(names.map((n, i) => [n, i]));
  const scratch = names.map((_, f) => SC.subarray(f));
  const seriesMap = new Map<string, Float64Array>();
  const sessStart = new Int32Array(T);
  for (let t = 0; t < T; t++) sessStart[t] = panel.sessions[panel.sessionOfRow[t]].start;
  return {
    panel,
    T,
    N,
    o: panel.open,
    h: panel.high,
    l: panel.low,
    c: panel.close,
    v: panel.volume,
    sessStart,
    FS: names.length,
    col(name) {
      const f = fIndex.get(name);
      return f === undefined ? null : scratch[f];
    },
    series(name) {
      let s = seriesMap.get(name);
      if (!s) {
        s = new Float64Array(T * N);
        seriesMap.set(name, s);
      }
      return s;
    },
  };
}

/**
 * Keeps each kernel's optimized machine code alive between calls.
 *
 * A kernel's step is a fresh closure per call, and V8 keeps the optimized code it shares between
 * closures of the same site only weakly: once the last call's closures are garbage, a GC drops it
 * and the next call starts again in the interpreter, re-tiering inside the chunk loop (measured
 * 1.5× slower on 100 tickers, 2.5× on 25, whenever a full GC ran in between — which a runner
 * allocating a 100+ MB cube per batch does every batch). So after each run we make one tiny
 * "keeper" closure per kernel (on a 1 × 1 panel, so it holds no batch data) and call it once on
 * an empty row range: a first call picks the site's current optimized code and holds it
 * strongly. Only keepers are retained (a few hundred bytes per kernel).
 */
const keepers = new Map<KernelDef, (t0: number, t1: number) => void>();
let keeperCtx: Ctx | null = null;

function keepOptimizedCode(kernels: readonly KernelDef[]): void {
  if (!keeperCtx) {
    const panel: Panel = {
      tickers: ['_'],
      T: 1,
      N: 1,
      open: new Float32Array(1).fill(1),
      high: new Float32Array(1).fill(1),
      low: new Float32Array(1).fill(1),
      close: new Float32Array(1).fill(1),
      volume: new Float32Array(1),
      mask: new Uint8Array(1),
      time: new Float64Array(1),
      minuteOfSession: new Int16Array(1),
      sessionOfRow: new Int32Array(1),
      sessions: [{ date: '2000-01-03', openMs: 0, bars: 1, start: 0 }],
    };
    keeperCtx = makeCtx(panel, [], new Float32Array(0));
  }
  for (const k of kernels) {
    const keep = k.make(keeperCtx);
    keep(0, 0);
    keepers.set(k, keep);
  }
}
