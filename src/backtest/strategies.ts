/**
 * Strategies: functions from (panel, indicators) to a target position per bar, [T, N] float32 in
 * [−1, 1], each known at its bar's close (it may read bars ≤ t only; the simulator fills it at
 * the next bar's open). Built-ins: `avwap`, `rsi-reversion`, `ema-cross`, `buy-and-hold`, and
 * `model` / `model-all`, which wrap a BarModel's predictions.
 */
import type { Panel } from '../data/panel.js';
import type { IndicatorPlanes } from './indicator-planes.js';

export interface StrategyContext {
  panel: Panel;
  indicators: IndicatorPlanes;
}

export interface Strategy {
  /** Name in results (unique within a run). */
  name: string;
  /** Indicators to compute for it (names from listIndicators()). */
  indicators: readonly string[];
  /** Overrides the run's flatAtClose (buy-and-hold holds overnight by default). */
  flatAtClose?: boolean;
  positions(ctx: StrategyContext): Float32Array | Promise<Float32Array>;
}

/**
 * What the `model` strategies need from a trained model (the model library provides it; the
 * backtester never imports it). Predictions must use bars ≤ t only.
 */
export interface BarModel {
  /** Indicators the model reads; computed before `predict` is called. */
  indicators: readonly string[];
  /**
   * One prediction per bar, [T, N] (e.g. the forward log return), NaN where none.
   * `selection: 'selected'` = only the indicators the model selects for the current regime (the
   * ablation mask), `'all'` = every indicator (strategy `model-all`).
   */
  predict(input: { panel: Panel; indicators: IndicatorPlanes; selection: 'selected' | 'all' }): Float32Array | Promise<Float32Array>;
}

export type BuiltinStrategyName = 'avwap' | 'rsi-reversion' | 'ema-cross' | 'buy-and-hold' | 'model' | 'model-all';
export const BUILTIN_STRATEGIES: readonly BuiltinStrategyName[] = ['avwap', 'rsi-reversion', 'ema-cross', 'buy-and-hold', 'model', 'model-all'];

export type StrategySpec =
  | BuiltinStrategyName
  | { name: BuiltinStrategyName; label?: string; params?: Record<string, number | boolean>; flatAtClose?: boolean };

export interface AvwapParams {
  /** No signal in the first minutes of a session, where AVWAP is a handful of bars. Default 5. */
  minBars: number;
  /** Enter only when AVWAP_SESSION_SLOPE5 > 0 (a rising AVWAP). Default true. */
  requireRising: boolean;
  /** No entry when the close is above the upper k·σ band (chasing); 0 = off. Default 1. */
  entryBand: number;
  /** Take profit at a close at or above the upper k·σ band; 0 = off. Default 2. */
  takeProfitBand: number;
  /** No new entries in the session's last minutes. Default 15. */
  lastEntryMinutes: number;
  /** Mirror rule for shorts (loss of a falling AVWAP); needs direction long-short. Default false. */
  short: boolean;
}

const AVWAP_DEFAULTS: AvwapParams = { minBars: 5, requireRising: true, entryBand: 1, takeProfitBand: 2, lastEntryMinutes: 15, short: false };

function bandName(side: 'U' | 'L', k: number): string {
  if (![1, 2, 3].includes(k)) throw new Error(`backtest: AVWAP band must be 0 (off), 1, 2 or 3, got ${k}`);
  return `AVWAP_SESSION_${side}${k}`;
}

/**
 * (B) Traditional AVWAP rule: long on a reclaim of a rising session AVWAP (previous close at or
 * below it, this close above it, slope over 5 bars > 0, not above the entry band); exit on a close
 * below AVWAP, at the take-profit band, or at the session's last bar.
 */
export function avwapStrategy(params: Partial<AvwapParams> = {}): Strategy {
  const p = { ...AVWAP_DEFAULTS, ...params };
  const names = ['AVWAP_SESSION', 'AVWAP_SESSION_SLOPE5'];
  for (const k of [p.entryBand, p.takeProfitBand]) if (k) names.push(bandName('U', k), bandName('L', k));
  return {
    name: 'avwap',
    indicators: [...new Set(names)],
    positions({ panel, indicators }) {
      const { T, N, close, mask } = panel;
      const vwap = indicators.get('AVWAP_SESSION');
      const slope = indicators.get('AVWAP_SESSION_SLOPE5');
      const entryU = p.entryBand ? indicators.get(bandName('U', p.entryBand)) : undefined;
      const entryL = p.entryBand ? indicators.get(bandName('L', p.entryBand)) : undefined;
      const tpU = p.takeProfitBand ? indicators.get(bandName('U', p.takeProfitBand)) : undefined;
      const tpL = p.takeProfitBand ? indicators.get(bandName('L', p.takeProfitBand)) : undefined;
      const out = new Float32Array(T * N);
      const state = new Int8Array(N);
      for (const s of panel.sessions) {
        state.fill(0);
        const end = s.start + s.bars;
        for (let t = s.start; t < end; t++) {
          const m = t - s.start;
          const base = t * N;
          if (t === end - 1) continue; // flat into the close
          const canEnter = m >= p.minBars && m < s.bars - p.lastEntryMinutes;
          for (let n = 0; n < N; n++) {
            const i = base + n;
            let st = state[n];
            if (mask[i] !== 0 && m > 0) {
              const c = close[i];
              const v = vwap[i];
              const prevAbove = close[i - N] - vwap[i - N];
              if (st === 1 && (c < v || (tpU !== undefined && c >= tpU[i]))) st = 0;
              else if (st === -1 && (c > v || (tpL !== undefined && c <= tpL[i]))) st = 0;
              if (st === 0 && canEnter) {
                if (prevAbove <= 0 && c > v && (!p.requireRising || slope[i] > 0) && (entryU === undefined || c <= entryU[i])) st = 1;
                else if (p.short && prevAbove >= 0 && c < v && (!p.requireRising || slope[i] < 0) && (entryL === undefined || c >= entryL[i])) st = -1;
              }
              state[n] = st;
            }
            out[i] = st;
          }
        }
      }
      return out;
    },
  };
}

export interface RsiParams {
  /** 14 or 7 (RSI_14, RSI_7). Default 14. */
  period: number;
  oversold: number;
  overbought: number;
  /** Exit when RSI crosses back through this level. Default 50. */
  exit: number;
  /** Default 15. */
  lastEntryMinutes: number;
}

/**
 * Classic RSI mean reversion: long when RSI < oversold, short when RSI > overbought (dropped by
 * long-only sizing), out when RSI is back at the exit level or at the session's last bar.
 */
export function rsiReversionStrategy(params: Partial<RsiParams> = {}): Strategy {
  const p: RsiParams = { period: 14, oversold: 30, overbought: 70, exit: 50, lastEntryMinutes: 15, ...params };
  if (p.period !== 14 && p.period !== 7) throw new Error(`backtest: rsi-reversion period must be 14 or 7, got ${p.period}`);
  const name = `RSI_${p.period}`;
  return {
    name: 'rsi-reversion',
    indicators: [name],
    positions({ panel, indicators }) {
      const { T, N, mask } = panel;
      const rsi = indicators.get(name);
      const out = new Float32Array(T * N);
      const state = new Int8Array(N);
      for (const s of panel.sessions) {
        state.fill(0);
        const end = s.start + s.bars;
        for (let t = s.start; t < end - 1; t++) {
          const canEnter = t - s.start < s.bars - p.lastEntryMinutes;
          for (let n = 0; n < N; n++) {
            const i = t * N + n;
            let st = state[n];
            const r = rsi[i];
            if (mask[i] !== 0 && r === r) {
              if ((st === 1 && r >= p.exit) || (st === -1 && r <= p.exit)) st = 0;
              if (st === 0 && canEnter) st = r < p.oversold ? 1 : r > p.overbought ? -1 : 0;
              state[n] = st;
            }
            out[i] = st;
          }
        }
      }
      return out;
    },
  };
}

/** EMA cross: long while EMA fast > EMA slow, short while below (dropped by long-only sizing). */
export function emaCrossStrategy(params: { fast?: number; slow?: number } = {}): Strategy {
  const fast = `EMA_${params.fast ?? 9}`;
  const slow = `EMA_${params.slow ?? 21}`;
  return {
    name: 'ema-cross',
    indicators: [fast, slow],
    positions({ panel, indicators }) {
      const { T, N } = panel;
      const f = indicators.get(fast);
      const s = indicators.get(slow);
      const out = new Float32Array(T * N);
      for (let i = 0; i < T * N; i++) out[i] = f[i] > s[i] ? 1 : f[i] < s[i] ? -1 : 0;
      for (const x of panel.sessions) out.fill(0, (x.start + x.bars - 1) * N, (x.start + x.bars) * N);
      return out;
    },
  };
}

/** Long every ticker all the time; holds overnight unless flatAtClose is set on it. */
export function buyAndHoldStrategy(): Strategy {
  return {
    name: 'buy-and-hold',
    indicators: [],
    flatAtClose: false,
    positions: ({ panel }) => new Float32Array(panel.T * panel.N).fill(1),
  };
}

/** (A) `model` / (C) `model-all`: long above +threshold, short below −threshold. */
export function modelStrategy(model: BarModel, selection: 'selected' | 'all', params: { threshold?: number } = {}): Strategy {
  const threshold = params.threshold ?? 0;
  return {
    name: selection === 'all' ? 'model-all' : 'model',
    indicators: model.indicators,
    async positions({ panel, indicators }) {
      const pred = await model.predict({ panel, indicators, selection });
      if (pred.length !== panel.T * panel.N) throw new Error(`backtest: the model returned ${pred.length} predictions, expected T*N = ${panel.T * panel.N}`);
      const out = new Float32Array(pred.length);
      for (let i = 0; i < pred.length; i++) out[i] = pred[i] > threshold ? 1 : pred[i] < -threshold ? -1 : 0;
      return out;
    },
  };
}

/** A built-in strategy from its spec. `model` and `model-all` need `model`. */
export function strategyFromSpec(spec: StrategySpec, model?: BarModel): Strategy {
  const s = typeof spec === 'string' ? { name: spec } : spec;
  const params = (s as { params?: Record<string, number | boolean> }).params ?? {};
  let out: Strategy;
  switch (s.name) {
    case 'avwap':
      out = avwapStrategy(params as Partial<AvwapParams>);
      break;
    case 'rsi-reversion':
      out = rsiReversionStrategy(params as Partial<RsiParams>);
      break;
    case 'ema-cross':
      out = emaCrossStrategy(params as { fast?: number; slow?: number });
      break;
    case 'buy-and-hold':
      out = buyAndHoldStrategy();
      break;
    case 'model':
    case 'model-all':
      if (!model) throw new Error(`backtest: strategy ${s.name} needs a model (pass \`model\`: predictions per bar)`);
      out = modelStrategy(model, s.name === 'model-all' ? 'all' : 'selected', params as { threshold?: number });
      break;
    default:
      throw new Error(`backtest: unknown strategy ${JSON.stringify(s.name)}; built-ins are ${BUILTIN_STRATEGIES.join(', ')}`);
  }
  if (typeof spec !== 'string') {
    if (spec.label) out.name = spec.label;
    if (spec.flatAtClose !== undefined) out.flatAtClose = spec.flatAtClose;
  }
  return out;
}
