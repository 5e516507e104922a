/**
 * The oracle on synthetic data: the generator's own drift rules (docs/data.md) and its hidden
 * regime, applied to bars ≤ t, give the expected forward log return over the horizon. It is the
 * ceiling a causal model can reach on that data (shared notes, oracle.md): it knows the regime
 * of (ticker, day) and the generator's parameters, and the *expected* daily close level given
 * the regime — never the drawn close level, future noise or future volumes.
 */
import type { Panel } from '../data/panel.js';
import { regimeFor, tickerProfile, SYNTHETIC_VERSION } from '../data/providers/synthetic.js';
import { HIDDEN_REGIME_NAMES, type HiddenRegime } from './regime.js';

/** The generator version whose rules are written below; another version gets no oracle. */
export const ORACLE_SYNTHETIC_VERSION = 2;

/** Per-minute drift rules of the synthetic generator (version 2), from docs/data.md. */
const RULES: Record<string, { kappa: number; rho: number; drift: number }> = {
  range: { kappa: 0.02, rho: 0, drift: 0 },
  trend_up: { kappa: 0, rho: 0.12, drift: 0.35 },
  trend_down: { kappa: 0, rho: 0.12, drift: -0.35 },
  high_vol: { kappa: 0, rho: 0, drift: 0 },
};

/** Open-to-close noise of the day, in units of the ticker's daily volatility (docs/data.md). */
const RULES_NOISE: Record<string, number> = { range: 0.5, trend_up: 0.8, trend_down: 0.8, high_vol: 0.9 };

/**
 * E[day's close level | bars ≤ t]. The path is a Brownian bridge to a close level drawn at the
 * open from N(open + drift, s0²); seeing the path so far moves that expectation (conjugate normal
 * update), so the oracle does not pull toward the prior mean when the day has already gone
 * elsewhere. The per-minute variance is the realized one of today's returns so far; the prior
 * s0 follows from it through the generator's scales (minute σ = 0.85 σ_d·volM/√390, day noise
 * = dayNoise·σ_d·volM, market day σ = 0.008·β).
 */
function expectedCloseLevel(panel: Panel, n: number, start: number, t: number, bars: number, open: number, drift: number, beta: number, dayNoise: number): number {
  const { N, close, mask } = panel;
  let ss = 0;
  let c = 0;
  for (let k = start + 1; k <= t; k++) {
    if (!mask[k * N + n]) continue;
    const r = Math.log(close[k * N + n] / close[(k - 1) * N + n]);
    ss += r * r;
    c++;
  }
  const m = t - start + 1;
  if (c < 10) return open + drift;
  const s2 = ss / c;
  const sigmaDayVol = (Math.sqrt(s2) * Math.sqrt(390)) / 0.85;
  const prior = (dayNoise * sigmaDayVol) ** 2 + (0.008 * beta) ** 2;
  const a = m / bars;
  const noise = (s2 * m * (bars - m)) / bars;
  const z = Math.log(close[t * N + n]) - open;
  const post = (drift / prior + (a * z) / noise) / (1 / prior + (a * a) / noise);
  return open + post;
}

export function oracleAvailable(): boolean {
  return SYNTHETIC_VERSION === ORACLE_SYNTHETIC_VERSION;
}

/** Index into HIDDEN_REGIME_NAMES of the generator's regime of a ticker on a date. */
export function hiddenRegimeIndex(seed: number, ticker: string, date: string): number {
  const g = regimeFor(seed, ticker, date);
  const h: HiddenRegime = g === 'trend_up' || g === 'trend_down' ? 'trend' : g;
  return HIDDEN_REGIME_NAMES.indexOf(h);
}

export interface OraclePoints {
  rows: Int32Array;
  cols: Int32Array;
  count: number;
}

/**
 * Expected log return from the close of row t to the close of row t + horizon, for each sample
 * point, iterating the generator's drift without noise: μ = κ·(VWAP − p) + ρ·(sum of the last 5
 * returns)/5 + (E[close level] − p)/(bars left), with E[close level] = ln(session open) +
 * drift·σ_d. The session VWAP is that of bars ≤ t (held fixed over the horizon).
 */
export function syntheticOracle(panel: Panel, points: OraclePoints, horizon: number, seed: number): Float32Array {
  const { N, close, open, volume, mask, minuteOfSession, sessionOfRow, sessions } = panel;
  const out = new Float32Array(points.count);
  const sigmaOf = new Map<string, number>();
  for (let s = 0; s < points.count; s++) {
    const t = points.rows[s];
    const n = points.cols[s];
    const ticker = panel.tickers[n];
    const sess = sessions[sessionOfRow[t]];
    const rule = RULES[regimeFor(seed, ticker, sess.date)];
    let sigmaD = sigmaOf.get(ticker);
    if (sigmaD === undefined) sigmaOf.set(ticker, (sigmaD = tickerProfile(ticker).sigmaD));
    const m = minuteOfSession[t];
    const start = sess.start;
    let pv = 0;
    let vs = 0;
    for (let k = start; k <= t; k++) {
      const i = k * N + n;
      if (mask[i] && volume[i] > 0) {
        pv += volume[i] * Math.log(close[i]);
        vs += volume[i];
      }
    }
    const openLog = Math.log(open[start * N + n]);
    let p = Math.log(close[t * N + n]);
    const vwap = vs > 0 ? pv / vs : openLog;
    const closeLevel = expectedCloseLevel(panel, n, start, t, sess.bars, openLog, rule.drift * sigmaD, tickerProfile(ticker).beta, RULES_NOISE[regimeFor(seed, ticker, sess.date)]);
    // The last five one-minute returns (the generator's momentum state), oldest first.
    const last5: number[] = [];
    for (let k = t - 4; k <= t; k++) last5.push(k > start ? Math.log(close[k * N + n] / close[(k - 1) * N + n]) : 0);
    let total = 0;
    for (let j = 1; j <= horizon; j++) {
      const minute = m + j;
      const mom = last5.reduce((a, b) => a + b, 0);
      const mu = rule.kappa * (vwap - p) + (rule.rho * mom) / 5 + (closeLevel - p) / Math.max(1, sess.bars - minute);
      p += mu;
      total += mu;
      last5.shift();
      last5.push(mu);
    }
    out[s] = total;
  }
  return out;
}
