/**
 * The sweep page: one offline HTML file per sweep with the compare table, a heatmap of a metric
 * over two swept params (mean over the others; a line over one param when only one is swept),
 * and the training curves of the best points (chosen on validation). Same rules as the run
 * report: inline SVG from vega-lite, escaped text, no script, a CSP that loads nothing.
 */
import { join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { CHART_WIDTH, FONT, PALETTE, trainingChart } from './charts.js';
import { escapeHtml } from './escape.js';
import { CSP } from './page.js';
import { renderSvg } from './svg.js';
import type { TrainingCurve } from './types.js';
import { writeFileAtomic } from './write.js';

export interface SweepPageInput {
  sweepId: string;
  specPath: string;
  /** Column names and rows as the compare table shows them. */
  table: { rows: Record<string, string>[]; notes: string[] };
  /** One entry per point: its swept values and the metric shown in the heatmap. */
  points: { params: Record<string, unknown>; value: number | undefined }[];
  paramNames: string[];
  metric: string;
  /** Training curves of the best points. */
  curves: TrainingCurve[];
}

const label = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** An axis's values in their natural order (numbers by value), as chart labels. */
function axisOrder(points: SweepPageInput['points'], name: string): string[] {
  const values = [...new Map(points.map((p) => [label(p.params[name]), p.params[name]])).entries()];
  values.sort(([la, a], [lb, b]) => (typeof a === 'number' && typeof b === 'number' ? a - b : la.localeCompare(lb)));
  return values.map(([l]) => l);
}

function metricChart(input: SweepPageInput): TopLevelSpec | undefined {
  const [a, b] = input.paramNames;
  if (!a) return undefined;
  const finite = input.points.filter((p) => typeof p.value === 'number' && Number.isFinite(p.value));
  if (finite.length === 0) return undefined;
  const config = { background: 'white', font: FONT, axis: { labelFontSize: 11, titleFontSize: 12 } };
  if (!b) {
    return {
      width: CHART_WIDTH * 0.6,
      height: 240,
      config,
      data: { values: finite.map((p) => ({ x: label(p.params[a]), value: p.value })) },
      mark: { type: 'line', point: true, color: PALETTE[0] },
      encoding: { x: { field: 'x', type: 'ordinal', title: a, sort: axisOrder(finite, a) }, y: { field: 'value', type: 'quantitative', title: input.metric, scale: { zero: false } } },
    };
  }
  return {
    width: 60 * new Set(finite.map((p) => label(p.params[a]))).size + 80,
    height: 40 * new Set(finite.map((p) => label(p.params[b]))).size + 20,
    config,
    data: { values: finite.map((p) => ({ x: label(p.params[a]), y: label(p.params[b]), value: p.value })) },
    encoding: { x: { field: 'x', type: 'ordinal', title: a, sort: axisOrder(finite, a) }, y: { field: 'y', type: 'ordinal', title: b, sort: axisOrder(finite, b) } },
    layer: [
      { mark: 'rect', encoding: { color: { aggregate: 'mean', field: 'value', type: 'quantitative', title: `${input.metric} (mean)`, scale: { scheme: 'viridis' } } } },
      { mark: { type: 'text', fontSize: 11 }, encoding: { text: { aggregate: 'mean', field: 'value', type: 'quantitative', format: '.4f' }, color: { value: 'white' } } },
    ],
  };
}

export async function renderSweepPage(input: SweepPageInput): Promise<string> {
  const chart = metricChart(input);
  const heat = chart ? await renderSvg(chart, 'heat') : '';
  const curves = input.curves.length ? await renderSvg(trainingChart(input.curves), 'curves') : '';
  const cols = input.table.rows.length ? Object.keys(input.table.rows[0]) : [];
  const table =
    `<table><thead><tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>` +
    input.table.rows.map((r) => `<tr>${cols.map((c) => `<td>${escapeHtml(r[c])}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>';
  const title = `mlx-intraday sweep ${input.sweepId}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${escapeHtml(title)}</title>
<style>body{font:14px/1.45 ${FONT};margin:0;background:#f6f7f9;color:#1d1d1f}header{background:#1f2a37;color:#fff;padding:16px 32px}main{max-width:1200px;margin:0 auto;padding:8px 24px 40px}section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:14px 20px;margin:16px 0;overflow-x:auto}table{border-collapse:collapse;font-size:12px}th,td{padding:3px 8px;border-bottom:1px solid #e6e9ee;text-align:left;white-space:nowrap}thead th{background:#f0f3f6}p.note{background:#fff7e0;border-left:3px solid #e0b000;padding:4px 10px}svg{max-width:100%;height:auto}</style>
</head><body>
<header><h1 style="margin:0;font-size:20px">${escapeHtml(title)}</h1><div>${escapeHtml(input.specPath)} · ${input.points.length} points</div></header>
<main>
<section id="compare"><h2>Points</h2>${input.table.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('')}${table}</section>
<section id="heatmap"><h2>${escapeHtml(input.metric)} over ${escapeHtml(input.paramNames.slice(0, 2).join(' × ') || 'the grid')}</h2>${heat ? `<figure>${heat}</figure>` : '<p>no point has this metric</p>'}</section>
<section id="training"><h2>Training curves of the best points (chosen on validation)</h2>${curves ? `<figure>${curves}</figure>` : '<p>no training curves recorded</p>'}</section>
</main></body></html>
`;
}

/** Writes <reports>/sweep-<id>/index.html atomically (reports: $MLX_INTRADAY_REPORTS or ./reports, as run reports); returns its path. */
export async function buildSweepPage(input: SweepPageInput, reportsDir = process.env.MLX_INTRADAY_REPORTS || 'reports'): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(input.sweepId)) throw new Error(`sweep page: id ${JSON.stringify(input.sweepId)} cannot name a folder`);
  const file = join(resolve(reportsDir, `sweep-${input.sweepId}`), 'index.html');
  writeFileAtomic(file, await renderSweepPage(input));
  return file;
}
