/**
 * Indicator engine benchmark (`npm run bench -- indicators`): 100 tickers × 30 days × 111
 * indicators; the talib binding on the outputs it has vs ours on the same subset; a per-ticker
 * loop baseline; computeIndicators (sync) and computeIndicatorsParallel (worker threads) side by
 * side; per-family throughput; the planar session AVWAP; MLX vs typed arrays for the cumulative
 * (AVWAP) and elementwise families; peak RSS for a batch of 50. Measures only; asserts nothing.
 * BENCH_INDICATOR_REPS (default 5) sets the repetitions; best and median are shown.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { core as mx } from '@frost-beta/mlx';
import type { BenchSection } from './run.js';
import { selectTickers, type Panel } from '../../src/data/panel.js';
import {
  AVWAP_SESSION_PLANES,
  computeAvwapSession,
  computeIndicators,
  computeIndicatorsParallel,
  INDICATOR_NAMES,
  shutdownIndicatorWorkers,
} from '../../src/indicators/index.js';
import { f32ToMx, fromMxF32 } from '../../src/tensor/mlx-bridge.js';
import { synthPanel } from '../indicators/fixtures.js';

/** 30 calendar days ≈ 20 RTH sessions: 100 tickers × 20 × 390 = 780,000 bars (the size). */
const DAYS = Number(process.env.BENCH_INDICATOR_SESSIONS ?? 20);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const now = () => performance.now();
const maxRssMB = () => process.resourceUsage().maxRSS / 1024;

interface Timing {
  best: number;
  median: number;
  first: number;
  /** CPU time (user + sys, all threads of the process) of the best run. */
  cpu: number;
}

/**
 * Best and median wall time of `reps` runs (gc() before each), and the CPU time of the best run:
 * the machine is shared, so the best run is the least disturbed one.
 */
async function best(fn: () => unknown, reps: number): Promise<Timing> {
  const walls: number[] = [];
  let b = Infinity, first = NaN, cpu = NaN;
  for (let r = 0; r < reps; r++) {
    gc();
    const c0 = process.cpuUsage();
    const t0 = now();
    await fn();
    const dt = now() - t0;
    const c1 = process.cpuUsage(c0);
    walls.push(dt);
    if (r === 0) first = dt;
    if (dt < b) {
      b = dt;
      cpu = (c1.user + c1.system) / 1000;
    }
  }
  walls.sort((x, y) => x - y);
  return { best: b, median: walls[walls.length >> 1], first, cpu };
}

const REPS = Number(process.env.BENCH_INDICATOR_REPS ?? 5);
const load = () => os.loadavg()[0].toFixed(2);

/** The talib calls that cover our TA-Lib-referenced outputs (43 outputs, 36 calls). */
const TALIB_CALLS: { fn: string; opt?: Record<string, number>; input?: 'high' | 'low' | 'volume' | 'logret'; outputs: string[]; perSession?: boolean }[] = [
  { fn: 'EMA', opt: { optInTimePeriod: 9 }, outputs: ['EMA_9'] },
  { fn: 'EMA', opt: { optInTimePeriod: 21 }, outputs: ['EMA_21'] },
  { fn: 'EMA', opt: { optInTimePeriod: 50 }, outputs: ['EMA_50'] },
  { fn: 'SMA', opt: { optInTimePeriod: 20 }, outputs: ['SMA_20'] },
  { fn: 'KAMA', opt: { optInTimePeriod: 10 }, outputs: ['KAMA_10'] },
  { fn: 'MACD', opt: { optInFastPeriod: 12, optInSlowPeriod: 26, optInSignalPeriod: 9 }, outputs: ['MACD_12_26', 'MACD_SIGNAL_9', 'MACD_HIST'] },
  { fn: 'ADX', opt: { optInTimePeriod: 14 }, outputs: ['ADX_14'] },
  { fn: 'PLUS_DI', opt: { optInTimePeriod: 14 }, outputs: ['PLUS_DI_14'] },
  { fn: 'MINUS_DI', opt: { optInTimePeriod: 14 }, outputs: ['MINUS_DI_14'] },
  { fn: 'AROONOSC', opt: { optInTimePeriod: 25 }, outputs: ['AROONOSC_25'] },
  { fn: 'SAR', opt: { optInAcceleration: 0.02, optInMaximum: 0.2 }, outputs: ['PSAR'] },
  { fn: 'LINEARREG_SLOPE', opt: { optInTimePeriod: 20 }, outputs: ['LINREG_SLOPE_20'] },
  { fn: 'RSI', opt: { optInTimePeriod: 14 }, outputs: ['RSI_14'] },
  { fn: 'RSI', opt: { optInTimePeriod: 7 }, outputs: ['RSI_7'] },
  { fn: 'STOCH', opt: { optInFastK_Period: 14, optInSlowK_Period: 3, optInSlowK_MAType: 0, optInSlowD_Period: 3, optInSlowD_MAType: 0 }, outputs: ['STOCH_K_14_3', 'STOCH_D_3'] },
  { fn: 'STOCHRSI', opt: { optInTimePeriod: 14, optInFastK_Period: 14, optInFastD_Period: 3, optInFastD_MAType: 0 }, outputs: ['STOCHRSI_K'] },
  { fn: 'WILLR', opt: { optInTimePeriod: 14 }, outputs: ['WILLR_14'] },
  { fn: 'CCI', opt: { optInTimePeriod: 20 }, outputs: ['CCI_20'] },
  { fn: 'ROC', opt: { optInTimePeriod: 10 }, outputs: ['ROC_10'] },
  { fn: 'CMO', opt: { optInTimePeriod: 14 }, outputs: ['CMO_14'] },
  { fn: 'PPO', opt: { optInFastPeriod: 12, optInSlowPeriod: 26, optInMAType: 1 }, outputs: ['PPO_12_26'] },
  { fn: 'ULTOSC', opt: { optInTimePeriod1: 7, optInTimePeriod2: 14, optInTimePeriod3: 28 }, outputs: ['ULTOSC_7_14_28'] },
  { fn: 'BOP', outputs: ['BOP'] },
  { fn: 'IMI', opt: { optInTimePeriod: 14 }, outputs: ['IMI_14'] },
  { fn: 'TRANGE', outputs: ['TRANGE'] },
  { fn: 'ATR', opt: { optInTimePeriod: 14 }, outputs: ['ATR_14'] },
  { fn: 'NATR', opt: { optInTimePeriod: 14 }, outputs: ['NATR_14'] },
  { fn: 'BBANDS', opt: { optInTimePeriod: 20, optInNbDevUp: 2, optInNbDevDn: 2, optInMAType: 0 }, outputs: ['BB_UPPER_20_2', 'BB_LOWER_20_2', 'BB_WIDTH_20', 'BB_PCTB_20'] },
  { fn: 'MAX', opt: { optInTimePeriod: 20 }, input: 'high', outputs: ['DONCH_HIGH_20'] },
  { fn: 'MIN', opt: { optInTimePeriod: 20 }, input: 'low', outputs: ['DONCH_LOW_20'] },
  { fn: 'STDDEV', opt: { optInTimePeriod: 30, optInNbDev: 1 }, input: 'logret', outputs: ['RV_30'] },
  { fn: 'OBV', outputs: ['OBV_SESSION'], perSession: true },
  { fn: 'AD', outputs: ['AD_SESSION'], perSession: true },
  { fn: 'ADOSC', opt: { optInFastPeriod: 3, optInSlowPeriod: 10 }, outputs: ['ADOSC_3_10'] },
  { fn: 'MFI', opt: { optInTimePeriod: 14 }, outputs: ['MFI_14'] },
  { fn: 'SMA', opt: { optInTimePeriod: 20 }, input: 'volume', outputs: ['VOL_SMA_20'] },
  { fn: 'PPO', opt: { optInFastPeriod: 12, optInSlowPeriod: 26, optInMAType: 1 }, input: 'volume', outputs: ['PVO_12_26'] },
];

/** The talib binding over all tickers: column extraction, JS arrays in, results written back into [T, N] float32. */
function runTalib(p: Panel): number {
  const require = createRequire(import.meta.url);
  const talib = require('talib');
  const { T, N } = p;
  const col = (f: Float32Array, n: number, a = 0, b = T) => {
    const out = new Array<number>(b - a);
    for (let t = a; t < b; t++) out[t - a] = f[t * N + n];
    return out;
  };
  const sink = new Float32Array(T * N);
  let calls = 0;
  for (let n = 0; n < N; n++) {
    const fields = { open: col(p.open, n), high: col(p.high, n), low: col(p.low, n), close: col(p.close, n), volume: col(p.volume, n) };
    for (const c of TALIB_CALLS) {
      const ranges = c.perSession ? p.sessions.map((s) => [s.start, s.start + s.bars]) : [[0, T]];
      for (const [a, b] of ranges) {
        const info = talib.explain(c.fn);
        const args: Record<string, unknown> = { name: c.fn, startIdx: 0, endIdx: b - a - 1, ...c.opt };
        for (const inp of info.inputs) {
          if (inp.type === 'price') for (const k of Object.keys(inp.flags)) args[inp.flags[k]] = fields[inp.flags[k] as keyof typeof fields].slice(a, b);
          else if (c.input === 'logret') args.inReal = fields.close.slice(a, b).map((x, t, arr) => (t === 0 ? 0 : Math.log(x / arr[t - 1])));
          else args.inReal = fields[c.input ?? 'close'].slice(a, b);
        }
        const r = talib.execute(args);
        calls++;
        const first = Object.values(r.result)[0] as number[];
        for (let j = 0; j < first.length; j++) sink[(a + r.begIndex + j) * N + n] = first[j];
      }
    }
  }
  return calls;
}

/** AVWAP_SESSION + SD + 6 bands in MLX (full 390-bar days: [S, 390, N], cumsum along minutes). */
function mlxAvwap(h: mx.array, l: mx.array, c: mx.array, v: mx.array): mx.array[] {
  const tp = mx.divide(mx.add(mx.add(h, l), c), mx.array(3));
  const anchor = mx.take(tp, mx.array([0], mx.int32), 1);
  const d = mx.subtract(tp, anchor);
  const vd = mx.multiply(v, d);
  const sv = mx.cumsum(v, 1);
  const s1 = mx.cumsum(vd, 1);
  const s2 = mx.cumsum(mx.multiply(vd, d), 1);
  const safe = mx.maximum(sv, mx.array(1e-30));
  const m = mx.divide(s1, safe);
  const sd = mx.sqrt(mx.maximum(mx.subtract(mx.divide(s2, safe), mx.multiply(m, m)), mx.array(0)));
  const vw = mx.add(anchor, m);
  const out = [vw, sd];
  for (const k of [1, 2, 3]) {
    const ks = mx.multiply(sd, mx.array(k));
    out.push(mx.add(vw, ks), mx.subtract(vw, ks));
  }
  return out;
}

export default async function (): Promise<BenchSection[]> {
  const sections: BenchSection[] = [];
  const cpu = `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;

  const threads = os.availableParallelism();
  const loadStart = load();

  // --- peak RSS for a batch of 50: sync first (so the lifetime max RSS is its own), then the
  // parallel path after freeing the sync result (it shows only if it goes higher)
  const rss0 = maxRssMB();
  const p50 = synthPanel({ N: 50, days: DAYS, seed: 42 });
  const rssPanel = maxRssMB();
  let r50: { values: Float32Array } | null = computeIndicators(p50);
  const rss50 = maxRssMB();
  const out50MB = (r50.values.byteLength / 2 ** 20).toFixed(0);
  r50 = null;
  gc();
  const rssFreed = process.memoryUsage().rss / 2 ** 20;
  r50 = await computeIndicatorsParallel(p50);
  const rss50p = maxRssMB();
  r50 = null;
  gc();

  // --- main: 100 × 30 days × 111, synchronous and over worker threads
  const p = synthPanel({ N: 100, days: DAYS, seed: 42 });
  const bars = p.T * p.N;
  const cold = await best(() => computeIndicators(p), 1);
  const all = await best(() => computeIndicators(p), REPS);
  const reuse = new Float32Array(bars * 111);
  computeIndicators(p, { out: reuse });
  const allReuse = await best(() => computeIndicators(p, { out: reuse }), REPS);
  const parCold = await best(() => computeIndicatorsParallel(p), 1); // includes starting the workers
  const par = await best(() => computeIndicatorsParallel(p), REPS);
  const reuseShared = new Float32Array(new SharedArrayBuffer(bars * 111 * 4));
  await computeIndicatorsParallel(p, { out: reuseShared });
  const parReuse = await best(() => computeIndicatorsParallel(p, { out: reuseShared }), REPS);

  // --- talib subset
  const subset = TALIB_CALLS.flatMap((c) => c.outputs);
  let calls = 0;
  const talibRun = await best(() => (calls = runTalib(p)), 1);
  const talibMs = talibRun.best;
  const oursSubset = await best(() => computeIndicators(p, { names: subset }), REPS);
  await computeIndicatorsParallel(p, { names: subset });
  const parSubset = await best(() => computeIndicatorsParallel(p, { names: subset }), REPS);

  // --- per-ticker loop baseline (same kernels, one ticker at a time: no vectorization across tickers)
  const singles = Array.from({ length: p.N }, (_, n) => selectTickers(p, [n]));
  const perTicker = await best(() => {
    for (const s of singles) computeIndicators(s);
  }, 1);

  const row = (what: string, t: Timing, values: number, extra: Record<string, string> = {}) => ({
    what,
    'best ms': t.best,
    'median ms': t.median,
    'cpu ms (best)': t.cpu,
    'M bar·ind/s': values / t.best / 1e3,
    ...extra,
  });
  const vsTalib = (t: Timing) => ({ 'vs talib': `${(talibMs / t.best).toFixed(1)}× (cpu ${(talibRun.cpu / t.cpu).toFixed(1)}×)` });
  sections.push({
    title: `Indicators: 100 tickers × ${DAYS} sessions (${bars.toLocaleString('en-US')} bars) × 111 — ${cpu}, load ${loadStart} at start`,
    rows: [
      row('sync, all 111, fresh output, first call (incl. JIT warm-up)', cold, bars * 111),
      row(`sync, all 111, fresh output (${REPS} runs)`, all, bars * 111),
      row(`sync, all 111, reused output (${REPS} runs)`, allReuse, bars * 111),
      row(`parallel ×${threads}, all 111, fresh shared output, first call (incl. starting workers)`, parCold, bars * 111),
      row(`parallel ×${threads}, all 111, fresh shared output (${REPS} runs)`, par, bars * 111),
      row(`parallel ×${threads}, all 111, reused shared output (${REPS} runs)`, parReuse, bars * 111),
      row(`talib binding, ${subset.length} outputs (${calls} calls incl. JS-array marshalling)`, talibRun, bars * subset.length),
      row(`sync, same ${subset.length} outputs`, oursSubset, bars * subset.length, vsTalib(oursSubset)),
      row(`parallel ×${threads}, same ${subset.length} outputs`, parSubset, bars * subset.length, vsTalib(parSubset)),
      row('per-ticker loop baseline, all 111 (100 single-ticker sync calls)', perTicker, bars * 111, { 'vs baseline': `sync ${(perTicker.best / all.best).toFixed(2)}×, parallel ${(perTicker.best / par.best).toFixed(2)}× faster` }),
      { what: `peak RSS, batch of 50 × ${DAYS} sessions (output ${out50MB} MB)`, 'best ms': '', MB: `sync ${rss50.toFixed(0)} (before ${rss0.toFixed(0)}, after panel ${rssPanel.toFixed(0)}); parallel ${rss50p.toFixed(0)} (RSS ${rssFreed.toFixed(0)} before it, sync result freed; incl. starting the workers)` },
    ],
    notes: [
      '"fresh output" pays first-touch page faults on the result (346 MB at 780K bars × 111); pass opts.out to reuse one across batches (a SharedArrayBuffer-backed one for the parallel path).',
      `parallel = computeIndicatorsParallel: tickers split in ${threads} slices, the calling thread computes one, worker threads the others, straight into one shared output. cpu ms counts all threads. Load average at the end: ${load()}.`,
    ],
  });

  // --- per family
  const families: [string, string[]][] = [
    ['AVWAP session (+SD, bands, Z, dist, slope, daily)', INDICATOR_NAMES.slice(0, 12)],
    ['AVWAP session + SD + bands (8)', INDICATOR_NAMES.slice(0, 8)],
    ['AVWAP calendar/event anchors (9)', INDICATOR_NAMES.slice(12, 21)],
    ['EMA_9/21/50', ['EMA_9', 'EMA_21', 'EMA_50']],
    ['MACD + PPO', ['MACD_12_26', 'MACD_SIGNAL_9', 'MACD_HIST', 'PPO_12_26']],
    ['ADX/DI', ['ADX_14', 'PLUS_DI_14', 'MINUS_DI_14']],
    ['Supertrend', ['SUPERTREND_10_3', 'SUPERTREND_DIR']],
    ['PSAR', ['PSAR']],
    ['RSI_14/7, CMO, STOCHRSI', ['RSI_14', 'RSI_7', 'CMO_14', 'STOCHRSI_K']],
    ['STOCH + WILLR', ['STOCH_K_14_3', 'STOCH_D_3', 'WILLR_14']],
    ['CCI_20', ['CCI_20']],
    ['Bollinger/Keltner/squeeze (8)', ['SQZ_MOM', 'SQZ_ON', 'BB_UPPER_20_2', 'BB_LOWER_20_2', 'BB_WIDTH_20', 'BB_PCTB_20', 'KC_UPPER_20_2', 'KC_LOWER_20_2']],
    ['Donchian', ['DONCH_HIGH_20', 'DONCH_LOW_20']],
    ['RVOL_TOD/CUM_VOL_TOD', ['CUM_VOL_SESSION', 'RVOL_TOD_20D', 'CUM_VOL_TOD_RATIO']],
    ['returns RET_1..60 (elementwise)', ['RET_1', 'RET_5', 'RET_15', 'RET_30', 'RET_60']],
    ['clock (4)', ['MINUTE_OF_SESSION', 'TOD_SIN', 'TOD_COS', 'MINUTES_TO_CLOSE']],
  ];
  const famRows: Record<string, string | number>[] = [];
  let avwapPts = 0;
  for (const [label, names] of families) {
    const out = new Float32Array(bars * names.length);
    computeIndicators(p, { names, out });
    const r = await best(() => computeIndicators(p, { names, out }), 3);
    famRows.push({ family: label, outputs: names.length, ms: r.best, 'cpu ms': r.cpu, 'M points/s (bars)': bars / r.best / 1e3, 'M values/s': (bars * names.length) / r.best / 1e3 });
    if (label.startsWith('AVWAP session + SD')) avwapPts = bars / (r.best / 1e3);
  }
  // AVWAP session + SD + 6 bands on their own planar [T, N] outputs (computeAvwapSession)
  const planes = computeAvwapSession(p);
  const planar = await best(() => computeAvwapSession(p, planes), 7);
  const planarPts = bars / (planar.best / 1e3);
  famRows.push({ family: 'AVWAP session + SD + bands, planar outputs (computeAvwapSession)', outputs: AVWAP_SESSION_PLANES.length, ms: planar.best, 'cpu ms': planar.cpu, 'M points/s (bars)': bars / planar.best / 1e3, 'M values/s': (bars * AVWAP_SESSION_PLANES.length) / planar.best / 1e3 });
  sections.push({
    title: `Indicators: typed-array kernels per family (100 × ${DAYS} sessions, sync, reused output buffer, best of 3; planar AVWAP best of 7)`,
    rows: famRows,
    notes: [
      `AVWAP (session + SD + 6 bands) through the [T, N, F] cube: ${avwapPts.toExponential(2)} points/s; on planar outputs: ${planarPts.toExponential(2)} points/s (reference 42,000/s: ${(planarPts / 42000).toFixed(0)}×).`,
    ],
  });

  // --- MLX vs typed arrays (AVWAP session + SD + bands; elementwise log returns)
  {
    const S = p.sessions.length, M = 390, N = p.N;
    const shape = [S, M, N];
    const toMx = (f: Float32Array) => f32ToMx(f, shape);
    const tIn = now();
    const [h, l, c, v] = [p.high, p.low, p.close, p.volume].map(toMx);
    const inMs = now() - tIn;
    mx.eval(...mlxAvwap(h, l, c, v));
    const comp = await best(() => mx.eval(...mlxAvwap(h, l, c, v)), 3);
    const outs = mlxAvwap(h, l, c, v);
    mx.eval(...outs);
    const tOut = now();
    for (const o of outs) fromMxF32(o);
    const outMs = now() - tOut;
    // elementwise: 5 log returns on the flat [T, N] close
    const cf = f32ToMx(p.close, [p.T, N]);
    // rows shifted by k via take with an index range (0.0.7 has no typed slice op)
    const idx = (a: number, b: number) => mx.arange(a, b, 1, mx.int32);
    const rets = () => [1, 5, 15, 30, 60].map((k) => mx.log(mx.divide(mx.take(cf, idx(k, p.T), 0), mx.take(cf, idx(0, p.T - k), 0))));
    mx.eval(...rets());
    const retMs = (await best(() => mx.eval(...rets()), 3)).best;
    const oursAv = famRows.find((r) => String(r.family).startsWith('AVWAP session + SD'))!.ms as number;
    const oursRet = famRows.find((r) => String(r.family).startsWith('returns'))!.ms as number;
    sections.push({
      title: `Indicators: MLX vs typed-array kernels (100 × ${DAYS} sessions)`,
      rows: [
        { family: 'AVWAP session + SD + 6 bands', 'MLX compute only, ms': comp.best, 'MLX bridge in (4 fields), ms': inMs, 'MLX bridge out (8 outputs), ms': outMs, 'typed arrays (incl. [T,N,F] output), ms': oursAv },
        { family: 'RET_1..60 (elementwise)', 'MLX compute only, ms': retMs, 'MLX bridge in (4 fields), ms': '', 'MLX bridge out (8 outputs), ms': '', 'typed arrays (incl. [T,N,F] output), ms': oursRet },
      ],
      notes: ['MLX CPU, float32; MLX numbers exclude interleaving into [T, N, F] (the step output), which the typed-array numbers include.'],
    });
  }
  await shutdownIndicatorWorkers();
  return sections;
}
