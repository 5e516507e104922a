/**
 * Live benchmark (`npm run bench -- live`): one new bar for 655 synthetic tickers (the
 * all-tickers universe) after a warm-up on one session and 60 minutes:
 * - the indicator state alone (all 111), and the model state (111 indicators + context + regime +
 *   gates and the top-10 selection of every ticker), median and p99 per update;
 * - the same bar through the batch path, recomputing the day (computeIndicators on the panel so
 *   far, computeContext, computeRegimes, and the gates of the 655 latest rows), for the ratio;
 * - the HTTP round trip on loopback for one ticker: POST /bars with one bar (the state follows
 *   655) and GET /selection/<ticker>, p50 / p99.
 * The model is a small indicator transformer over all 111 indicators trained here (default
 * preset, 1 epoch): what matters for speed is its size, not its skill. Measures only.
 * BENCH_LIVE_UPDATES (default 200) sets the updates timed per case.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchSection } from './run.js';
import { sessionsBetween } from '../../src/data/calendar.js';
import type { Panel } from '../../src/data/panel.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { samplePoints } from '../../src/data/precheck.js';
import { computeIndicators, INDICATOR_NAMES } from '../../src/indicators/index.js';
import { buildSamples, sampleRegimeContext } from '../../src/steps/sample.js';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { wrapModel } from '../../src/model/select.js';
import { computeContext, CONTEXT_SIZE } from '../../src/model/context.js';
import { computeRegimes } from '../../src/model/regime.js';
import { gateScores } from '../../src/model/predict.js';
import { createLiveState } from '../../src/live/state.js';
import { createLiveModelState } from '../../src/live/select.js';
import { headOf, updateAt } from '../../src/live/replay.js';
import { startLiveServer } from '../../src/live/server.js';
import { createLiveContext } from '../../src/live/context.js';
import { createGateScorer } from '../../src/live/gates.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const UPDATES = Number(process.env.BENCH_LIVE_UPDATES ?? 200);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const now = () => performance.now();
const q = (xs: number[], f: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(f * xs.length))];
const ms = (x: number) => Number(x.toFixed(3));

async function model111() {
  const tickers = ['AAPL', 'MSFT', 'KO', 'AMD', 'TSLA', 'XOM'];
  const panel = await new SyntheticProvider(7).fetch({ tickers, sessions: sessionsBetween('2026-10-26', '2026-10-29') });
  const ind = computeIndicators(panel);
  const pts = samplePoints(panel, { warmup: 120, sample_interval: 10, horizon: 15 });
  const s = buildSamples(panel, ind.values, ind.F, ind.names.indexOf('AVWAP_SESSION'), pts, 15);
  const rc = sampleRegimeContext(panel, pts);
  const r = await trainModel(
    { X: s.X, y: s.y, time: s.time, ticker: s.ticker, tickers, featureNames: ind.names, S: s.S, F: ind.F, horizonMinutes: 15, regime: rc.regime, context: rc.context },
    { ...TRAIN_DEFAULTS, epochs: 1 },
  );
  return wrapModel(r);
}

export default async function bench(): Promise<BenchSection[]> {
  const tickers = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'pipelines', 'tickers', 'all.json'), 'utf8')) as string[]).slice(0, 655);
  const N = tickers.length;
  const t0 = now();
  const panel: Panel = await new SyntheticProvider(7).fetch({ tickers, sessions: sessionsBetween('2026-11-02', '2026-11-03') });
  const fetchMs = now() - t0;
  const S = 390 + 60;
  if (S + UPDATES > panel.T) throw new Error('BENCH_LIVE_UPDATES too large for two sessions');
  const history = headOf(panel, S);
  const model = await model111();
  const rows: Record<string, string | number>[] = [];
  const notes: string[] = [];

  // --- indicators only ---
  {
    let a = now();
    const st = createLiveState({ tickers, history });
    const warm = now() - a;
    const times: number[] = [];
    for (let k = 0; k < UPDATES; k++) {
      const u = updateAt(panel, S + k);
      a = now();
      st.update(u);
      times.push(now() - a);
    }
    rows.push({ case: `live update, ${N} tickers × 111 indicators`, median_ms: ms(q(times, 0.5)), p99_ms: ms(q(times, 0.99)), max_ms: ms(Math.max(...times)), n: UPDATES, warmup_ms: Math.round(warm) });
  }
  gc();
  // --- model state: indicators + context + regime + gates + top-10 ---
  let liveMedian = NaN;
  {
    let a = now();
    const st = createLiveModelState({ model, tickers, history, topK: 10 });
    await st.ready();
    const warm = now() - a;
    const times: number[] = [];
    let changes = 0;
    for (let k = 0; k < UPDATES; k++) {
      const u = updateAt(panel, S + k);
      a = now();
      const r = await st.update(u);
      times.push(now() - a);
      changes += r.regimeChanges.length;
    }
    liveMedian = q(times, 0.5);
    rows.push({ case: `live update + selection (context, regime, gates, top 10), ${N} tickers`, median_ms: ms(liveMedian), p99_ms: ms(q(times, 0.99)), max_ms: ms(Math.max(...times)), n: UPDATES, warmup_ms: Math.round(warm) });
    notes.push(`${changes} regime changes reported over the ${UPDATES} updates; model: indicator transformer (${model.config.preset}), F = ${model.config.F}.`);
  }
  gc();
  // --- where the model state's time goes: context + regime, and the gates alone ---
  {
    const lc = createLiveContext(N);
    const times: number[] = [];
    createLiveState({
      indicators: ['EMA_9'],
      tickers,
      history: headOf(panel, S + UPDATES),
      rowHook: (row, observed) => {
        const a = now();
        lc.step(row, observed);
        if (row.t >= S) times.push(now() - a);
      },
    });
    rows.push({ case: `of which: context + regime step, ${N} tickers`, median_ms: ms(q(times, 0.5)), p99_ms: ms(q(times, 0.99)), max_ms: ms(Math.max(...times)), n: times.length, warmup_ms: '' });
    const scorer = createGateScorer(model);
    const X = new Float32Array(N * model.config.F);
    const gt: number[] = [];
    for (let k = 0; k < UPDATES; k++) {
      for (let i = 0; i < X.length; i++) X[i] = Math.sin(i + k);
      const a = now();
      await scorer.score(X, N);
      gt.push(now() - a);
    }
    rows.push({ case: `of which: gates (MLX forward) of ${N} rows`, median_ms: ms(q(gt, 0.5)), p99_ms: ms(q(gt, 0.99)), max_ms: ms(Math.max(...gt)), n: UPDATES, warmup_ms: '' });
  }
  gc();
  // --- batch: the same bar, recomputing the day ---
  {
    const reps = 3;
    const ind: number[] = [], sel: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t = S + r; // the panel up to and including the new bar
      const p = headOf(panel, t + 1);
      let a = now();
      const I = computeIndicators(p, { names: model.indicatorNames });
      ind.push(now() - a);
      a = now();
      const ctx = computeContext(p);
      const reg = computeRegimes(p).regime;
      const Fi = I.F, FM = model.config.F;
      const X = new Float32Array(N * FM);
      for (let n = 0; n < N; n++) {
        const o = n * FM;
        for (let f = 0; f < Fi; f++) X[o + f] = I.values[(t * N + n) * Fi + f];
        X.set(ctx.subarray((t * N + n) * CONTEXT_SIZE, (t * N + n + 1) * CONTEXT_SIZE), o + Fi);
        X[o + Fi + CONTEXT_SIZE + reg[t * N + n]] = 1;
      }
      await gateScores(model, X, N);
      sel.push(now() - a);
      gc();
    }
    const total = ind.map((x, i) => x + sel[i]);
    rows.push({ case: `batch: computeIndicators on the day so far (${S + 1} rows × ${N})`, median_ms: ms(q(ind, 0.5)), p99_ms: '', max_ms: ms(Math.max(...ind)), n: reps, warmup_ms: '' });
    rows.push({ case: 'batch: + context, regimes and gates of the 655 latest rows', median_ms: ms(q(total, 0.5)), p99_ms: '', max_ms: ms(Math.max(...total)), n: reps, warmup_ms: '' });
    notes.push(`batch / live (update + selection), medians: ${(q(total, 0.5) / liveMedian).toFixed(0)}×.`);
  }
  gc();
  // --- HTTP round trip, one ticker ---
  {
    const st = createLiveModelState({ model, tickers, history, topK: 10 });
    await st.ready();
    const server = await startLiveServer({ state: st, port: 0 });
    const post: number[] = [], get: number[] = [];
    const ticker = tickers[0];
    try {
      for (let k = 0; k < UPDATES; k++) {
        const u = updateAt(panel, S + k);
        const body = JSON.stringify({ time: u.time, bars: u.bars[ticker] ? { [ticker]: u.bars[ticker] } : {} });
        let a = now();
        const r = await fetch(server.url + '/bars', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        await r.text();
        post.push(now() - a);
        if (r.status !== 200) throw new Error(`POST /bars answered ${r.status}`);
        a = now();
        const g = await fetch(`${server.url}/selection/${ticker}`);
        await g.text();
        get.push(now() - a);
      }
    } finally {
      await server.close();
    }
    rows.push({ case: `HTTP POST /bars, one ticker's bar (state follows ${N})`, median_ms: ms(q(post, 0.5)), p99_ms: ms(q(post, 0.99)), max_ms: ms(Math.max(...post)), n: UPDATES, warmup_ms: '' });
    rows.push({ case: `HTTP GET /selection/${ticker}`, median_ms: ms(q(get, 0.5)), p99_ms: ms(q(get, 0.99)), max_ms: ms(Math.max(...get)), n: UPDATES, warmup_ms: '' });
  }
  notes.push(`Synthetic bars for ${N} tickers over 2026-11-02…03 fetched in ${Math.round(fetchMs)} ms; warm-up on ${S} rows (one session + 60 minutes); each update is one minute with every ticker's bar. All 111 indicators.`);
  return [{ title: `Live: one new bar for ${N} tickers`, rows, notes }];
}
