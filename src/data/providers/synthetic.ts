/**
 * Synthetic provider: realistic-looking 1-minute bars, deterministic from (seed, ticker, date).
 *
 * The model (documented in docs/data.md):
 * - Per ticker, a static profile from the ticker string's hash (independent of the seed): price
 *   level, liquidity (average daily volume, and with it the share of missing minutes), daily
 *   volatility, market beta, and how long its regimes last.
 * - A daily level process per ticker over calendar days since 1999-01-01: an AR(1) in log price
 *   (φ = 0.998, so prices wander but stay in range) driven by an overnight part (small noise plus
 *   rare ±2–6 % gaps) and an intraday part (regime drift + noise + beta × a market factor). It is
 *   always integrated from the same start, so a day's open and close never depend on which dates
 *   were requested, and consecutive sessions join up (close → next open differs by the gap).
 * - Regimes (range, trend up, trend down, high volatility) are drawn per block of 4–11 calendar
 *   days per ticker, with a market-wide high-volatility state per 10-day block.
 * - Within a session: a path from the day's open to its close target (a Brownian-bridge style
 *   drift correction), per-minute volatility with a U shape and GARCH(1,1)-like clustering,
 *   fat-tailed shocks, a shared market minute factor, U-shaped volume correlated with |return|,
 *   missing minutes (more for illiquid tickers), flat zero-volume bars, and an occasional halt
 *   (5–25 missing minutes, then a jump).
 * - Mild predictability, on purpose: in range regimes the next return leans back toward the
 *   session VWAP (κ = 0.02 of the log distance per minute); in trend regimes it leans with the
 *   mean of the last 5 returns (ρ = 0.12). High-volatility regimes have none. These are small
 *   next to the noise (per-minute R² of order 1 %), so a model has something real but modest to
 *   learn, and a baseline that ignores regimes should gain little.
 */
import type { Panel, SessionInfo } from '../panel.js';
import { emptyPanel } from '../panel.js';
import type { FetchRequest, Provider, ProviderCapabilities } from '../provider.js';
import { DataError } from '../provider.js';
import { dayNumber, weekday, FULL_DAY_BARS } from '../calendar.js';
import { Rng, hashString, mix, unit } from '../random.js';

/** Bump when the generated bars change, so cached artifacts stop matching. */
export const SYNTHETIC_VERSION = 2;
export const DEFAULT_SEED = 7;

const EPOCH_DAY = dayNumber('1999-01-01');
const PHI = 0.998;
const MARKET_HASH = hashString('^MARKET');
const INDEX_LIKE = new Set(['SPY', 'QQQ', 'IWM', 'DIA', 'VOO', 'IVV', 'VTI', 'RSP', 'MDY']);

export type Regime = 'range' | 'trend_up' | 'trend_down' | 'high_vol';

interface RegimeParams {
  volMult: number;
  /** Daily drift in units of the ticker's daily volatility. */
  drift: number;
  /** Minute-level pull toward the session VWAP (mean reversion). */
  kappa: number;
  /** Minute-level weight on the mean of the last 5 returns (momentum). */
  rho: number;
  volumeMult: number;
  /** Open-to-close noise in units of the ticker's daily volatility. */
  dayNoise: number;
  jumpProb: number;
  haltProb: number;
}

const REGIMES: Record<Regime, RegimeParams> = {
  range: { volMult: 0.8, dayNoise: 0.5, drift: 0, kappa: 0.02, rho: 0, volumeMult: 0.9, jumpProb: 0.02, haltProb: 0.003 },
  trend_up: { volMult: 1.0, dayNoise: 0.8, drift: 0.35, kappa: 0, rho: 0.12, volumeMult: 1.15, jumpProb: 0.03, haltProb: 0.004 },
  trend_down: { volMult: 1.05, dayNoise: 0.8, drift: -0.35, kappa: 0, rho: 0.12, volumeMult: 1.2, jumpProb: 0.03, haltProb: 0.004 },
  high_vol: { volMult: 1.9, dayNoise: 0.9, drift: 0, kappa: 0, rho: 0, volumeMult: 1.8, jumpProb: 0.08, haltProb: 0.02 },
};

export interface TickerProfile {
  ticker: string;
  hash: number;
  /** Log of the reference price level. */
  logP0: number;
  /** 0 (illiquid) … 1 (most liquid). */
  liquidity: number;
  /** Average daily volume, shares. */
  adv: number;
  /** Daily log-return volatility. */
  sigmaD: number;
  beta: number;
  missProb: number;
  flatProb: number;
  blockLen: number;
  blockPhase: number;
}

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

/** The static character of a ticker, from the hash of its symbol (not the seed). */
export function tickerProfile(ticker: string): TickerProfile {
  const h = hashString(ticker);
  const u = (i: number) => unit(mix(h, 0x51ed, i));
  const indexLike = INDEX_LIKE.has(ticker);
  const liquidity = indexLike ? 1 : u(1);
  const sigmaD = indexLike ? 0.009 : Math.exp(lerp(Math.log(0.011), Math.log(0.038), u(2)));
  return {
    ticker,
    hash: h,
    logP0: lerp(Math.log(6), Math.log(700), u(3)),
    liquidity,
    adv: Math.exp(lerp(Math.log(1.5e5), Math.log(6e7), liquidity)),
    sigmaD,
    beta: indexLike ? 1 : lerp(0.5, 1.7, u(4)),
    missProb: 0.0003 + 0.06 * (1 - liquidity) ** 6,
    flatProb: 0.001 + 0.01 * (1 - liquidity) ** 2,
    blockLen: 4 + Math.floor(u(5) * 8),
    blockPhase: Math.floor(u(6) * 11),
  };
}

function marketVolMult(seed: number, k: number): number {
  return unit(mix(seed, MARKET_HASH, 0x7a1, Math.floor(k / 10))) < 0.2 ? 1.6 : 1.0;
}

function regimeAt(seed: number, p: TickerProfile, k: number): Regime {
  const block = Math.floor((k + p.blockPhase) / p.blockLen);
  const u = unit(mix(seed, p.hash, 0x5e91, block));
  return u < 0.4 ? 'range' : u < 0.55 ? 'trend_up' : u < 0.7 ? 'trend_down' : 'high_vol';
}

/** The regime of a ticker on a date (for documentation, tests, and diagnostics). */
export function regimeFor(seed: number, ticker: string, date: string): Regime {
  return regimeAt(seed, tickerProfile(ticker), dayNumber(date) - EPOCH_DAY);
}

/** Per-day values of the daily level process on the days a fetch needs. */
interface DayLevels {
  openLog: number;
  closeLog: number;
  gap: number;
}

/** Precomputed intraday shapes for a session length. */
interface Shapes {
  vol: Float64Array;
  volume: Float64Array;
}
const shapeCache = new Map<number, Shapes>();
function shapesFor(bars: number): Shapes {
  let s = shapeCache.get(bars);
  if (s) return s;
  const vol = new Float64Array(bars);
  const volume = new Float64Array(bars);
  let sq = 0;
  let sum = 0;
  for (let m = 0; m < bars; m++) {
    const toEnd = bars - 1 - m;
    vol[m] = 0.8 + 1.6 * Math.exp(-m / 15) + 0.45 * Math.exp(-toEnd / 30);
    sq += vol[m] * vol[m];
    volume[m] = 0.55 + 3 * Math.exp(-m / 12) + 1.3 * Math.exp(-toEnd / 25);
    if (m === 0) volume[m] *= 3; // opening auction print
    if (toEnd === 0) volume[m] *= 5; // closing auction print
    sum += volume[m];
  }
  const vn = Math.sqrt(sq / bars);
  for (let m = 0; m < bars; m++) {
    vol[m] /= vn;
    volume[m] *= bars / FULL_DAY_BARS / sum;
  }
  s = { vol, volume };
  shapeCache.set(bars, s);
  return s;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export class SyntheticProvider implements Provider {
  readonly name = 'synthetic';
  readonly capabilities: ProviderCapabilities = { changesBetweenRuns: false, downloads: false, fixedUniverse: false, defaultEnd: 'default for synthetic data; set data.end to choose' };
  private market = new Float64Array(0);

  constructor(readonly seed: number = DEFAULT_SEED) {
    if (!Number.isInteger(seed)) throw new DataError(`synthetic seed must be an integer, got ${seed}`);
  }

  identity(): Record<string, unknown> {
    return { provider: 'synthetic', seed: this.seed, version: SYNTHETIC_VERSION };
  }

  /** Market daily returns for calendar days 0..k (cached, grows on demand). */
  private marketUpTo(k: number): Float64Array {
    if (this.market.length > k) return this.market;
    const out = new Float64Array(k + 1);
    const rng = new Rng(mix(this.seed, MARKET_HASH, 0xda11));
    for (let i = 0; i <= k; i++) {
      const wd = weekday(EPOCH_DAY + i);
      const z = rng.normal();
      out[i] = wd === 0 || wd === 6 ? 0.002 * z : 0.008 * marketVolMult(this.seed, i) * z;
    }
    this.market = out;
    return out;
  }

  /** Open/close log levels for the requested day indices (sorted ascending). */
  private levels(p: TickerProfile, days: number[]): DayLevels[] {
    const kMax = days[days.length - 1];
    const mkt = this.marketUpTo(kMax);
    const rng = new Rng(mix(this.seed, p.hash, 0xd411));
    const out: DayLevels[] = [];
    let X = 0;
    let j = 0;
    for (let k = 0; k <= kMax; k++) {
      const z1 = rng.normal();
      const z2 = rng.normal();
      const u = rng.next();
      const u2 = rng.next();
      const wd = weekday(EPOCH_DAY + k);
      if (wd === 0 || wd === 6) {
        X = PHI * X + p.sigmaD * 0.2 * z1 + p.beta * mkt[k];
        continue;
      }
      const reg = REGIMES[regimeAt(this.seed, p, k)];
      const volM = reg.volMult * marketVolMult(this.seed, k);
      let g = p.sigmaD * 0.22 * Math.sqrt(volM) * z1;
      if (u < reg.jumpProb) g += (u2 < 0.5 ? -1 : 1) * (0.02 + 0.04 * ((u2 * 2) % 1));
      const open = PHI * X + g;
      X = open + reg.drift * p.sigmaD + p.sigmaD * reg.dayNoise * volM * z2 + p.beta * mkt[k];
      if (k === days[j]) {
        out.push({ openLog: p.logP0 + open, closeLog: p.logP0 + X, gap: g });
        j++;
      }
    }
    if (out.length !== days.length) {
      throw new DataError('synthetic provider asked for a session on a weekend', 'build sessions with the exchange calendar');
    }
    return out;
  }

  /** Market minute shocks for a session (shared by all tickers). */
  private marketMinutes(dayNum: number, bars: number): Float64Array {
    const rng = new Rng(mix(this.seed, MARKET_HASH, 0x3141, dayNum));
    const out = new Float64Array(bars);
    for (let m = 0; m < bars; m++) out[m] = rng.normal();
    return out;
  }

  async fetch(req: FetchRequest): Promise<Panel> {
    const { tickers, sessions } = req;
    if (sessions.length === 0) throw new DataError('no sessions requested', 'request at least one trading day');
    for (const t of tickers) {
      if (!/^[A-Za-z0-9._\-^=/]{1,20}$/.test(t)) {
        throw new DataError(`invalid ticker symbol ${JSON.stringify(t)}`, 'use exchange symbols such as AAPL or BRK.B');
      }
    }
    const sess = sessions.map((s) => ({ ...s }));
    const panel = emptyPanel([...tickers], sess);
    const dayNums = sess.map((s) => dayNumber(s.date));
    for (let i = 1; i < dayNums.length; i++) {
      if (dayNums[i] <= dayNums[i - 1]) throw new DataError(`sessions must be in increasing date order (${sess[i].date} after ${sess[i - 1].date})`);
    }
    const ks = dayNums.map((d) => d - EPOCH_DAY);
    if (ks[0] < 0) throw new DataError(`synthetic data starts at 1999-01-01; ${sess[0].date} is earlier`);
    const mktMinutes = sess.map((s, i) => this.marketMinutes(dayNums[i], s.bars));
    for (let n = 0; n < tickers.length; n++) {
      if (req.signal?.aborted) throw req.signal.reason ?? new Error('aborted');
      const prof = tickerProfile(tickers[n]);
      const lv = this.levels(prof, ks);
      let lastClose = Math.max(0.01, round2(Math.exp(lv[0].openLog)));
      for (let si = 0; si < sess.length; si++) {
        lastClose = this.genSession(panel, n, prof, sess[si], dayNums[si], ks[si], lv[si], mktMinutes[si], lastClose);
      }
      // Yield now and then so long batches don't starve the event loop.
      if (n % 16 === 15) await new Promise<void>((r) => setImmediate(r));
    }
    return panel;
  }

  private genSession(
    panel: Panel,
    col: number,
    p: TickerProfile,
    s: SessionInfo,
    dayNum: number,
    k: number,
    lv: DayLevels,
    mkt: Float64Array,
    lastClose: number,
  ): number {
    const N = panel.N;
    const bars = s.bars;
    const rng = new Rng(mix(this.seed, p.hash, dayNum));
    const regName = regimeAt(this.seed, p, k);
    const reg = REGIMES[regName];
    const volM = reg.volMult * marketVolMult(this.seed, k);
    const shapes = shapesFor(bars);
    const sigmaMin = (p.sigmaD * 0.85 * volM) / Math.sqrt(FULL_DAY_BARS);
    const sigmaMkt = (0.008 * marketVolMult(this.seed, k)) / Math.sqrt(FULL_DAY_BARS);
    const dayVolume = p.adv * Math.exp(0.25 * rng.normal()) * reg.volumeMult * (1 + 8 * Math.abs(lv.gap));

    // Halt: a window of missing minutes, then a jump on resumption.
    let haltStart = -1;
    let haltEnd = -1;
    let haltJump = 0;
    if (bars > 80 && rng.next() < reg.haltProb) {
      haltStart = rng.int(30, bars - 40);
      haltEnd = haltStart + rng.int(5, 25);
      haltJump = (rng.next() < 0.5 ? -1 : 1) * (0.01 + 0.03 * rng.next());
    }

    // Raw path.
    const path = new Float64Array(bars);
    const kind = new Uint8Array(bars); // 0 = bar, 1 = missing, 2 = flat zero-volume
    const vols = new Float64Array(bars);
    const shock = new Float64Array(bars);
    const alpha = 0.1;
    const beta = 0.85;
    let q = 1 + Math.min(4, Math.abs(lv.gap) / (p.sigmaD * 0.22)) * 0.4;
    let logp = lv.openLog;
    let pv = 0;
    let vsum = 0;
    const last5 = [0, 0, 0, 0, 0];
    let mom = 0;
    for (let m = 0; m < bars; m++) {
      const halted = m >= haltStart && m < haltEnd;
      let kd = 0;
      if (halted || (m > 0 && rng.next() < p.missProb)) kd = 1;
      else if (m > 0 && rng.next() < p.flatProb) kd = 2;
      kind[m] = kd;
      let e = rng.normal();
      if (rng.next() < 0.015) e *= 3;
      const sd = sigmaMin * shapes.vol[m] * Math.sqrt(q);
      const vwap = vsum > 0 ? pv / vsum : lv.openLog;
      // Pull toward the day's close level (Brownian-bridge drift): reaches it on the last bar.
      const pull = (lv.closeLog - logp) / (bars - m);
      const mu = reg.kappa * (vwap - logp) + (reg.rho * mom) / 5 + pull;
      let r = kd === 2 ? 0 : mu + sd * e + p.beta * sigmaMkt * shapes.vol[m] * mkt[m];
      if (m === haltEnd) r += haltJump;
      if (kd === 2) e = 0;
      q = 1 - alpha - beta + alpha * e * e + beta * q;
      logp += r;
      path[m] = logp;
      shock[m] = e;
      mom += r - last5[m % 5];
      last5[m % 5] = r;
      if (kd === 0) {
        const v = Math.max(1, Math.round(dayVolume * shapes.volume[m] * Math.exp(0.4 * rng.normal() - 0.08) * (0.55 + 0.5 * Math.abs(e))));
        vols[m] = v;
        pv += v * logp;
        vsum += v;
      }
    }
    // Write OHLCV.
    const { open, high, low, close, volume, mask } = panel;
    let prevPath = lv.openLog;
    for (let m = 0; m < bars; m++) {
      const idx = (s.start + m) * N + col;
      const kd = kind[m];
      if (kd !== 0) {
        open[idx] = high[idx] = low[idx] = close[idx] = lastClose;
        volume[idx] = 0;
        mask[idx] = kd === 2 ? 1 : 0;
      } else {
        const o = Math.max(0.01, round2(m === 0 ? Math.exp(lv.openLog) : Math.exp(prevPath)));
        const c = Math.max(0.01, round2(Math.exp(path[m])));
        const sd = sigmaMin * shapes.vol[m] * (0.7 + 0.3 * Math.abs(shock[m]));
        const hi = round2(Math.max(o, c) * Math.exp(0.6 * sd * Math.abs(rng.normal())));
        const lo = Math.max(0.01, round2(Math.min(o, c) * Math.exp(-0.6 * sd * Math.abs(rng.normal()))));
        open[idx] = o;
        close[idx] = c;
        high[idx] = Math.max(hi, o, c);
        low[idx] = Math.min(lo, o, c);
        volume[idx] = vols[m];
        mask[idx] = 1;
        lastClose = c;
      }
      prevPath = path[m];
    }
    return lastClose;
  }
}
