/**
 * buildReport: a ReportInput → one self-contained HTML file (inline CSS and SVG charts, no script,
 * nothing fetched), written atomically to `<outDir>/index.html` (default `reports/<run-id>/`, or
 * `$MLX_INTRADAY_REPORTS/<run-id>/`).
 */
import { resolve, join } from 'node:path';
import * as vega from 'vega';
import { version as vegaLiteVersion } from 'vega-lite';
import { drawdownChart, equityChart, trainingChart, usefulnessChart } from './charts.js';
import { page } from './page.js';
import { chartSection, metricsSection, runSection, tickerSection, trainingSection, usefulnessSection, type Section } from './sections.js';
import { renderSvg } from './svg.js';
import type { ReportInput } from './types.js';
import { writeFileAtomic } from './write.js';

/** A run id usable as one folder name. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Where reports go unless told: `$MLX_INTRADAY_REPORTS`, else `reports/` in the working folder. */
export function reportsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MLX_INTRADAY_REPORTS || 'reports');
}

/** `<root>/reports/<run-id>` for a given project root; else `<reportsRoot()>/<run-id>`. */
export function defaultReportDir(runId: string, root?: string): string {
  if (!SAFE_ID.test(runId)) throw new Error(`report: run id ${JSON.stringify(runId)} cannot name a folder (letters, digits, . _ - only); pass an explicit outDir`);
  return root !== undefined ? resolve(root, 'reports', runId) : join(reportsRoot(), runId);
}

function check(input: ReportInput): void {
  if (!input || typeof input !== 'object') throw new Error('report: the input must be an object');
  if (typeof input.runId !== 'string' || input.runId.length === 0) throw new Error('report: input.runId must be a non-empty string');
  for (const s of input.strategies ?? []) {
    if (typeof s.name !== 'string') throw new Error('report: every strategy needs a name');
    const c = s.curve;
    if (c && !(c.minute.length === c.day.length && c.equity.length === c.day.length && c.drawdown.length === c.day.length))
      throw new Error(`report: the curve of ${s.name} has columns of different lengths`);
  }
  const u = input.usefulness;
  if (u && u.scores.length !== u.regimes.length) throw new Error(`report: usefulness.scores has ${u.scores.length} rows for ${u.regimes.length} regimes`);
}

const hasFinite = (xs: readonly (number | null)[]) => xs.some((x) => typeof x === 'number' && Number.isFinite(x));

/** The report's HTML as a string (no file written). */
export async function renderReportHtml(input: ReportInput): Promise<string> {
  check(input);
  const strategies = input.strategies ?? [];
  const withCurves = strategies.filter((s) => s.curve && s.curve.day.length >= 2 && hasFinite(s.curve.equity));
  const sessions = input.sessions ?? [];
  const u = input.usefulness;
  const usefulOk = !!u && u.regimes.length > 0 && u.indicators.length > 0 && u.scores.some(hasFinite);
  const training = (input.training ?? []).filter((c) => c.epochs.length > 0 && c.epochs.some((e) => hasFinite([e.trainLoss, e.valLoss])));
  const curvesOk = withCurves.length > 0 && sessions.length > 0;
  const [equitySvg, drawdownSvg, usefulSvg, trainingSvg] = await Promise.all([
    curvesOk ? renderSvg(equityChart(withCurves, sessions), 'equity') : undefined,
    curvesOk ? renderSvg(drawdownChart(withCurves, sessions), 'drawdown') : undefined,
    usefulOk ? renderSvg(usefulnessChart(u!), 'usefulness') : undefined,
    training.length > 0 ? renderSvg(trainingChart(training), 'training') : undefined,
  ]);
  const step = withCurves[0]?.curve?.stepMinutes;
  const every = step === undefined ? '' : step >= 390 ? ' One point per session close.' : ` One point every ${step} minute${step === 1 ? '' : 's'} of session time.`;
  const sections: Section[] = [
    metricsSection(input),
    chartSection('equity', 'Equity curves', equitySvg, `Portfolio equity over session time (nights and weekends left out).${every}`, 'Equity curves'),
    chartSection('drawdown', 'Drawdowns', drawdownSvg, `Fall from the running peak of each equity curve (worst within each point's step).${every}`, 'Drawdowns'),
    tickerSection(input),
    usefulnessSection(usefulOk ? u : undefined, usefulSvg),
    trainingSection(training.length > 0 ? training : undefined, trainingSvg),
    runSection(input),
  ];
  return page(input, sections, `mlx-intraday report (vega ${vega.version}, vega-lite ${vegaLiteVersion})`);
}

/** Renders the report and writes `<outDir>/index.html` atomically; returns that path. */
export async function buildReport(input: ReportInput, outDir?: string): Promise<string> {
  const html = await renderReportHtml(input);
  const dir = outDir !== undefined ? resolve(outDir) : defaultReportDir(input.runId);
  const path = join(dir, 'index.html');
  writeFileAtomic(path, html);
  return path;
}
