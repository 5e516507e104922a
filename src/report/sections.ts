/**
 * The report's sections as HTML fragments. Each renders only from data that are present; otherwise
 * it says "not available in this run". Every value from the spec or the data goes through the
 * escaping `html` template (escape.ts); chart SVGs come in already rendered (svg.ts).
 */
import { topIndicators } from './charts.js';
import { html, raw, type Html } from './escape.js';
import { fixed, general, metricFormat, METRIC_FORMATS, percent } from './format.js';
import type { ComparisonSection, ReportInput, ReportMetrics, StrategySection, TrainingCurve, UsefulnessSection } from './types.js';

export interface Section {
  id: string;
  title: string;
  /** Whether the section had its data (else the body is the "not available" note). */
  available: boolean;
  /** The section holds one chart (data-chart on the <section>). */
  chart: boolean;
  body: Html;
}

export function notAvailable(what: string): Html {
  return html`<p class="na">${what} not available in this run.</p>`;
}

function section(id: string, title: string, chart: boolean, body: Html | undefined, missing: string): Section {
  return { id, title, chart, available: body !== undefined, body: body ?? notAvailable(missing) };
}

export function figure(svg: string, caption: string): Html {
  return html`<figure class="chart">${raw(svg)}<figcaption>${caption}</figcaption></figure>`;
}

function cell(key: string, value: number | null | undefined): Html {
  const f = metricFormat(key);
  const neg = f.signed && typeof value === 'number' && value < 0;
  return html`<td class="${neg ? 'num neg' : 'num'}">${f.format(value)}</td>`;
}

function metricKeys(rows: readonly (ReportMetrics | undefined)[]): string[] {
  const present = new Set<string>();
  for (const m of rows) for (const [k, v] of Object.entries(m ?? {})) if (v !== undefined) present.add(k);
  const known = Object.keys(METRIC_FORMATS).filter((k) => present.has(k));
  return [...known, ...[...present].filter((k) => !(k in METRIC_FORMATS)).sort()];
}

function header(key: string): Html {
  const f = metricFormat(key);
  return f.title ? html`<th class="num" title="${f.title}">${f.label}</th>` : html`<th class="num">${f.label}</th>`;
}

function rowHeader(key: string): Html {
  const f = metricFormat(key);
  return f.title ? html`<th title="${f.title}">${f.label}</th>` : html`<th>${f.label}</th>`;
}

function strategyLabel(s: StrategySection): Html {
  return html`<span class="strategy">${s.name}</span>${s.role ? html` <span class="role">${s.role}</span>` : ''}`;
}

function comparisonBlock(c: ComparisonSection): Html {
  const level = `${+(c.confidence * 100).toFixed(2)}%`;
  const significant = typeof c.lower === 'number' && typeof c.upper === 'number' && (c.lower > 0 || c.upper < 0);
  const how = [
    c.method ? `${c.method} bootstrap` : 'bootstrap',
    c.samples ? `${c.samples.toLocaleString('en-US')} resamples` : '',
    c.blockDays ? `blocks of ${c.blockDays} day${c.blockDays === 1 ? '' : 's'}` : '',
    c.days ? `${c.days} days` : '',
    c.seed !== undefined ? `seed ${c.seed}` : '',
  ].filter(Boolean);
  return html`<div class="comparison" data-verdict="${significant ? 'significant' : 'not-significant'}">
<p class="verdict ${significant ? 'sig' : 'nosig'}">${c.verdict}</p>
<table class="ci"><tbody>
<tr><th>Sharpe(${c.a}) − Sharpe(${c.b})</th><td class="num">${fixed(c.difference)}</td></tr>
<tr><th>${level} confidence interval</th><td class="num">[${fixed(c.lower)}, ${fixed(c.upper)}]</td></tr>
<tr><th>Sharpe ${c.a} / ${c.b}</th><td class="num">${fixed(c.sharpeA)} / ${fixed(c.sharpeB)}</td></tr>
${c.shareAtOrBelowZero !== undefined ? html`<tr><th>Share of resamples ≤ 0</th><td class="num">${percent(c.shareAtOrBelowZero, 1)}</td></tr>` : ''}
</tbody></table>
<p class="small">Paired day-block ${how.join(', ')}; percentile interval of the resampled differences.</p>
</div>`;
}

export function metricsSection(input: ReportInput): Section {
  const strategies = (input.strategies ?? []).filter((s) => s.metrics && Object.keys(s.metrics).length > 0);
  let body: Html | undefined;
  if (strategies.length > 0 || input.comparison) {
    const keys = metricKeys(strategies.map((s) => s.metrics));
    const table =
      strategies.length > 0
        ? html`<div class="scroll"><table class="metrics"><thead><tr><th>Metric</th>${strategies.map((s) => html`<th class="num">${strategyLabel(s)}</th>`)}</tr></thead><tbody>
${keys.map((k) => html`<tr>${rowHeader(k)}${strategies.map((s) => cell(k, s.metrics![k]))}</tr>\n`)}</tbody></table></div>`
        : notAvailable('Per-strategy metrics');
    const foot =
      strategies.length > 0
        ? html`<p class="small">Sharpe and Sortino from daily (close-to-close) returns × √252; annualized = (1 + total)^(252 / sessions) − 1; drawdown from the minute equity, its length in session minutes; turnover = mean daily traded notional ÷ equity; costs as a fraction of the starting capital.</p>`
        : '';
    const ci = input.comparison ? comparisonBlock(input.comparison) : notAvailable('The A − B confidence interval');
    // Beside the table while it is narrow; below it for more than three strategies (A, B, C, a rule, buy-and-hold).
    const layout = strategies.length > 3 ? 'layout-stack' : 'layout-2';
    body = html`<div class="${layout}"><div>${table}</div><div><h3 class="first">A − B: Sharpe difference</h3>${ci}</div></div>${foot}`;
  }
  return section('metrics', 'Metrics and the A − B confidence interval', false, body, 'Backtest metrics');
}

export function chartSection(id: string, title: string, svg: string | undefined, caption: string, missing: string): Section {
  return section(id, title, true, svg === undefined ? undefined : figure(svg, caption), missing);
}

const TICKER_KEYS = ['totalReturn', 'sharpe', 'maxDrawdown', 'trades'] as const;

export function tickerSection(input: ReportInput): Section {
  const strategies = (input.strategies ?? []).filter((s) => s.perTicker && s.perTicker.length > 0);
  let body: Html | undefined;
  if (strategies.length > 0) {
    const order: string[] = [];
    for (const t of input.symbols ?? []) if (!order.includes(t)) order.push(t);
    for (const s of strategies) for (const r of s.perTicker!) if (!order.includes(r.ticker)) order.push(r.ticker);
    const lookup = strategies.map((s) => new Map(s.perTicker!.map((r) => [r.ticker, r.metrics])));
    const combined = html`<div class="scroll"><table class="tickers"><thead>
<tr><th rowspan="2">Ticker</th>${strategies.map((s) => html`<th colspan="${TICKER_KEYS.length}" class="group">${strategyLabel(s)}</th>`)}</tr>
<tr>${strategies.map(() => TICKER_KEYS.map(header))}</tr></thead><tbody>
${order.map((t) => html`<tr><th>${t}</th>${lookup.map((m) => TICKER_KEYS.map((k) => cell(k, m.get(t)?.[k])))}</tr>\n`)}</tbody></table></div>`;
    const full = strategies.map((s) => {
      const keys = metricKeys(s.perTicker!.map((r) => r.metrics));
      return html`<details><summary>All metrics per ticker: ${s.name}</summary><div class="scroll"><table class="tickers full"><thead><tr><th>Ticker</th>${keys.map(header)}</tr></thead><tbody>
${s.perTicker!.map((r) => html`<tr><th>${r.ticker}</th>${keys.map((k) => cell(k, r.metrics[k]))}</tr>\n`)}</tbody></table></div></details>`;
    });
    body = html`<p class="small">Each ticker trades its own sleeve of 1/N of the book; these are the sleeves on their own.</p>${combined}${full}`;
  }
  return section('tickers', 'Per ticker', false, body, 'Per-ticker results');
}

export function usefulnessSection(u: UsefulnessSection | undefined, svg: string | undefined): Section {
  let body: Html | undefined;
  if (u && svg !== undefined) {
    const { perRegime, shown } = topIndicators(u);
    const topN = u.topN ?? 10;
    const lists = html`<div class="toplists">${perRegime.map(
      (r) => html`<div class="toplist"><h4>${r.regime}</h4><ol>${r.top.map((x) => html`<li><span>${x.indicator}</span> <span class="num">${general(x.score)}</span></li>`)}</ol></div>`,
    )}</div>`;
    body = html`${u.note ? html`<p class="note">${u.note}</p>` : ''}${figure(
      svg,
      `${u.measure ?? 'Usefulness score'} per regime × indicator; rows: the top ${topN} of each regime (${shown.length} of ${u.indicators.length} indicators).`,
    )}<h3>Top ${topN} per regime</h3>${lists}`;
  }
  return section('usefulness', 'Indicator usefulness by regime', true, body, 'Indicator usefulness');
}

export function trainingSection(curves: readonly TrainingCurve[] | undefined, svg: string | undefined): Section {
  let body: Html | undefined;
  if (curves && svg !== undefined) {
    const rows = curves.map((c) => {
      const val = c.epochs.filter((e) => typeof e.valLoss === 'number' && Number.isFinite(e.valLoss));
      const best = c.bestEpoch !== undefined ? c.epochs.find((e) => e.epoch === c.bestEpoch) : val.reduce<typeof val[number] | undefined>((b, e) => (!b || e.valLoss! < b.valLoss! ? e : b), undefined);
      const last = c.epochs[c.epochs.length - 1];
      return html`<tr><th>${c.name}</th><td class="num">${c.epochs.length}</td><td class="num">${best ? best.epoch : '—'}</td><td class="num">${general(best?.valLoss)}</td><td class="num">${general(last?.trainLoss)}</td><td class="num">${general(last?.valLoss)}</td></tr>`;
    });
    const notes = curves.filter((c) => c.note).map((c) => html`<p class="note">${c.name}: ${c.note}</p>`);
    body = html`${notes}${figure(svg, 'Loss per epoch: train (solid) and validation (dashed).')}<table class="training"><thead><tr><th>Model</th><th class="num">Epochs</th><th class="num">Best epoch</th><th class="num">Best val loss</th><th class="num">Last train loss</th><th class="num">Last val loss</th></tr></thead><tbody>${rows}</tbody></table>`;
  }
  return section('training', 'Training curves', true, body, 'Training curves');
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export function runSection(input: ReportInput): Section {
  const rows: Html[] = [html`<tr><th>Run id</th><td><code>${input.runId}</code></td></tr>`];
  const add = (label: string, value: Html | string | undefined) => {
    if (value !== undefined && value !== '') rows.push(html`<tr><th>${label}</th><td>${value}</td></tr>`);
  };
  add('Created', input.createdAt);
  add('Git commit', input.gitCommit ? html`<code>${input.gitCommit}</code>${input.gitDirty ? ' (work tree had uncommitted changes)' : ''}` : 'not recorded');
  add('Package version', input.packageVersion ?? 'not recorded');
  const fp = input.dataFingerprint;
  add(
    'Data fingerprint',
    fp === undefined ? 'not recorded' : typeof fp === 'string' ? html`<code>${fp}</code>` : html`${Object.entries(fp).map(([k, v]) => html`<div><span class="muted">${k}</span> <code>${v}</code></div>`)}`,
  );
  if (input.symbols?.length) add(`Symbols (${input.symbols.length})`, input.symbols.join(', '));
  const s = input.sessions ?? [];
  if (s.length) add(`Sessions (${s.length})`, s.length === 1 ? s[0].date : `${s[0].date} … ${s[s.length - 1].date}`);
  const blocks: Html[] = [];
  const settings = input.settings !== undefined ? html`<div><h3>Backtest settings</h3><pre>${json(input.settings)}</pre></div>` : '';
  const params = html`<div><h3>Resolved parameters</h3>${input.params !== undefined ? html`<pre>${json(input.params)}</pre>` : notAvailable('Resolved parameters')}</div>`;
  blocks.push(html`<div class="layout-2">${params}${settings}</div>`);
  blocks.push(input.specText !== undefined ? html`<h3>Spec</h3><pre class="spec">${input.specText}</pre>` : html`<h3>Spec</h3>${notAvailable('The spec text')}`);
  const body = html`<table class="run"><tbody>${rows}</tbody></table>${blocks}`;
  return section('run', 'Run: spec, parameters, data and code', false, body, 'Run details');
}
