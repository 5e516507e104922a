/**
 * Vega-Lite specs of the report's charts (equity, drawdown, usefulness heatmap, training curves).
 * Pure functions of the ReportInput; names from the data only ever appear as data values, never as
 * field names or expression code (a ticker called "a.b" or "x'] || alert(1)" is just a label).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochPoint, ReportSession, StrategySection, TrainingCurve, UsefulnessSection } from './types.js';

export const CHART_WIDTH = 900;
export const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d'];
const BASELINE_COLOR = '#8c8c8c';
export const FONT = 'Liberation Sans, DejaVu Sans, Helvetica, Arial, sans-serif';

const CONFIG = {
  background: 'white',
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, labelColor: '#333', titleColor: '#333', gridColor: '#eee' },
  legend: { labelFontSize: 12, titleFontSize: 12, orient: 'bottom' as const, labelLimit: 320 },
};

/** A colour per strategy, in order; the buy-and-hold baseline in grey. */
export function strategyColors(strategies: readonly StrategySection[]): { domain: string[]; range: string[] } {
  const domain: string[] = [];
  const range: string[] = [];
  let k = 0;
  for (const s of strategies) {
    domain.push(s.name);
    const baseline = s.role === 'baseline' || s.name === 'buy-and-hold';
    range.push(baseline ? BASELINE_COLOR : PALETTE[k++ % PALETTE.length]);
  }
  return { domain, range };
}

export function legendName(s: StrategySection): string {
  return s.role ? `${s.name} (${s.role})` : s.name;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Axis of session time: one tick in the middle of each (or every k-th) session, labelled by its date. */
function sessionAxis(sessions: readonly ReportSession[]) {
  const D = sessions.length;
  const years = new Set(sessions.map((s) => s.date.slice(0, 4)));
  const labels = sessions.map((s, i) => (DATE.test(s.date) ? (years.size === 1 ? s.date.slice(5) : s.date) : `#${i + 1}`));
  const every = Math.max(1, Math.ceil(D / 16));
  const values: number[] = [];
  for (let d = 0; d < D; d += every) values.push(d + 0.5);
  return {
    title: years.size === 1 ? `session (${[...years][0]}, America/New_York)` : 'session (America/New_York)',
    values,
    // The labels are validated dates (or #k), so this literal is plain data.
    labelExpr: `${JSON.stringify(labels)}[floor(datum.value)] || ''`,
    labelAngle: D > 8 ? -40 : 0,
    grid: false,
    ticks: true,
  };
}

interface CurveRow {
  strategy: string;
  x: number;
  equity: number | null;
  drawdown: number | null;
}

function curveRows(strategies: readonly StrategySection[], sessions: readonly ReportSession[]): CurveRow[] {
  const rows: CurveRow[] = [];
  for (const s of strategies) {
    const c = s.curve;
    if (!c) continue;
    const name = legendName(s);
    for (let k = 0; k < c.day.length; k++) {
      const bars = sessions[c.day[k]]?.bars || 390;
      const dd = c.drawdown[k];
      rows.push({ strategy: name, x: c.day[k] + c.minute[k] / bars, equity: c.equity[k], drawdown: dd === null ? null : -dd });
    }
  }
  return rows;
}

function colorScale(strategies: readonly StrategySection[]) {
  const withCurves = strategies.filter((s) => s.curve);
  const { domain, range } = strategyColors(withCurves);
  return { domain: withCurves.map(legendName), range: domain.map((_, i) => range[i]) };
}

export function equityChart(strategies: readonly StrategySection[], sessions: readonly ReportSession[]): TopLevelSpec {
  return {
    width: CHART_WIDTH,
    height: 300,
    config: CONFIG,
    data: { values: curveRows(strategies, sessions) },
    mark: { type: 'line', strokeWidth: 1.6, interpolate: 'linear' },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { domain: [0, Math.max(1, sessions.length)], nice: false, zero: false }, axis: sessionAxis(sessions) },
      y: { field: 'equity', type: 'quantitative', scale: { zero: false }, axis: { title: 'equity (start = 1)', format: '.3f' } },
      color: { field: 'strategy', type: 'nominal', scale: colorScale(strategies), legend: { title: null } },
    },
  };
}

export function drawdownChart(strategies: readonly StrategySection[], sessions: readonly ReportSession[]): TopLevelSpec {
  return {
    width: CHART_WIDTH,
    height: 200,
    config: CONFIG,
    data: { values: curveRows(strategies, sessions) },
    mark: { type: 'line', strokeWidth: 1.3, interpolate: 'step-before' },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { domain: [0, Math.max(1, sessions.length)], nice: false, zero: false }, axis: sessionAxis(sessions) },
      y: { field: 'drawdown', type: 'quantitative', axis: { title: 'drawdown from peak', format: '.1%' } },
      color: { field: 'strategy', type: 'nominal', scale: colorScale(strategies), legend: { title: null } },
    },
  };
}

/** The indicators drawn: the union of each regime's top N, ordered by their best rank. */
export function topIndicators(u: UsefulnessSection): { perRegime: { regime: string; top: { indicator: string; score: number }[] }[]; shown: string[] } {
  const topN = u.topN ?? 10;
  const perRegime = u.regimes.map((regime, r) => {
    const row = u.scores[r] ?? [];
    const ranked = u.indicators
      .map((indicator, i) => ({ indicator, score: row[i] }))
      .filter((x): x is { indicator: string; score: number } => typeof x.score === 'number' && Number.isFinite(x.score))
      .sort((a, b) => b.score - a.score || (a.indicator < b.indicator ? -1 : 1));
    return { regime, top: ranked.slice(0, topN) };
  });
  const best = new Map<string, number>();
  for (const { top } of perRegime) top.forEach((x, rank) => best.set(x.indicator, Math.min(best.get(x.indicator) ?? Infinity, rank)));
  const shown = [...best.keys()].sort((a, b) => best.get(a)! - best.get(b)! || u.indicators.indexOf(a) - u.indicators.indexOf(b));
  return { perRegime, shown };
}

export function usefulnessChart(u: UsefulnessSection): TopLevelSpec {
  const { shown } = topIndicators(u);
  const keep = new Set(shown);
  const values: { regime: string; indicator: string; score: number | null; label: string }[] = [];
  u.regimes.forEach((regime, r) =>
    u.indicators.forEach((indicator, i) => {
      if (!keep.has(indicator)) return;
      const score = u.scores[r]?.[i] ?? null;
      values.push({ regime, indicator, score, label: typeof score === 'number' && Number.isFinite(score) ? score.toFixed(2) : '' });
    }),
  );
  const cell = 22;
  const scores = values.map((v) => v.score).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const mid = (lo + hi) / 2;
  return {
    width: Math.max(360, 120 * u.regimes.length),
    height: Math.max(cell * 3, cell * shown.length),
    config: CONFIG,
    data: { values },
    encoding: {
      x: { field: 'regime', type: 'nominal', sort: u.regimes, axis: { title: 'regime', labelAngle: 0, orient: 'top', labelLimit: 200 } },
      y: { field: 'indicator', type: 'nominal', sort: shown, axis: { title: null, labelLimit: 240 } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: { color: { field: 'score', type: 'quantitative', scale: { scheme: 'viridis' }, legend: { title: u.measure ?? 'score', orient: 'right', direction: 'vertical' } } },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: `datum.score > ${Number.isFinite(mid) ? mid : 0}`, value: '#111' }, value: '#fff' },
        },
      },
    ],
  };
}

export function trainingChart(curves: readonly TrainingCurve[]): TopLevelSpec {
  const values: { series: string; split: string; epoch: number; loss: number | null }[] = [];
  const many = curves.length > 1;
  for (const c of curves) {
    const add = (split: 'train' | 'validation', pick: (e: EpochPoint) => number | null) => {
      for (const e of c.epochs) values.push({ series: many ? `${c.name} · ${split}` : split, split, epoch: e.epoch, loss: pick(e) });
    };
    add('train', (e) => e.trainLoss);
    add('validation', (e) => e.valLoss);
  }
  return {
    width: CHART_WIDTH,
    height: 240,
    config: CONFIG,
    data: { values },
    mark: { type: 'line', point: { size: 28 }, strokeWidth: 1.6 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { title: 'epoch', tickMinStep: 1, format: 'd' }, scale: { zero: false, nice: false } },
      y: { field: 'loss', type: 'quantitative', scale: { zero: false }, axis: { title: 'loss' } },
      color: { field: 'series', type: 'nominal', legend: { title: null }, scale: { range: PALETTE } },
      strokeDash: { field: 'split', type: 'nominal', scale: { domain: ['train', 'validation'], range: [[1, 0], [5, 3]] }, legend: null },
    },
  };
}
