/**
 * The HTML page around the sections: one self-contained document with inline CSS, no script, and a
 * Content-Security-Policy that allows nothing to load (defence in depth behind the escaping).
 */
import { html, raw, type Html } from './escape.js';
import type { Section } from './sections.js';
import type { ReportInput } from './types.js';

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 "Liberation Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1d1d1f; background: #f6f7f9; }
header.top { background: #1f2a37; color: #fff; padding: 18px 32px 14px; }
header.top h1 { margin: 0 0 4px; font-size: 21px; font-weight: 600; }
header.top .sub { color: #c9d2dc; font-size: 13px; }
header.top .headline { margin-top: 8px; font-size: 15px; }
nav { padding: 8px 32px; background: #e9edf2; font-size: 13px; border-bottom: 1px solid #dde2e8; }
nav a { color: #1f4f82; margin-right: 16px; text-decoration: none; }
nav a.na { color: #8a94a0; }
main { max-width: 1120px; margin: 0 auto; padding: 8px 24px 48px; }
section { background: #fff; border: 1px solid #dde2e8; border-radius: 6px; padding: 14px 20px 18px; margin: 16px 0; }
section h2 { margin: 0 0 10px; font-size: 17px; }
section h3 { font-size: 14px; margin: 16px 0 6px; }
section h4 { font-size: 13px; margin: 4px 0; }
p.na { color: #6b7480; font-style: italic; margin: 4px 0; }
p.note { background: #fff7e0; border-left: 3px solid #e0b000; padding: 4px 10px; margin: 6px 0 10px; font-size: 13px; }
p.small, .small { font-size: 12px; color: #55606c; }
.muted { color: #6b7480; }
figure.chart { margin: 0; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: #55606c; margin-top: 4px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e6e9ee; text-align: left; vertical-align: top; }
thead th { background: #f0f3f6; font-weight: 600; border-bottom: 1px solid #cfd6de; white-space: nowrap; }
thead th.group { text-align: center; border-left: 1px solid #cfd6de; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.neg { color: #b42318; }
tbody th { font-weight: 600; white-space: nowrap; }
table.metrics td.num { min-width: 120px; }
table.metrics tbody th { font-weight: normal; }
.layout-2 { display: grid; grid-template-columns: auto minmax(300px, 1fr); gap: 0 28px; align-items: start; }
.layout-2 > div { min-width: 0; }
.layout-stack { display: grid; grid-template-columns: minmax(0, 1fr); gap: 18px 0; }
.layout-stack > div { min-width: 0; max-width: 100%; }
.layout-stack > div:last-child { max-width: 620px; }
h3.first { margin-top: 0; }
@media (max-width: 900px) { .layout-2 { grid-template-columns: 1fr; } }
.role { display: inline-block; font-size: 11px; font-weight: 600; color: #1f4f82; background: #e3edf8; border-radius: 3px; padding: 0 5px; }
.verdict { display: inline-block; font-weight: 600; padding: 4px 10px; border-radius: 4px; margin: 4px 0 8px; }
.verdict.sig { background: #e3f4e8; color: #17603a; }
.verdict.nosig { background: #eef0f3; color: #3d4650; }
table.ci th { font-weight: normal; color: #3d4650; }
.toplists { display: flex; flex-wrap: wrap; gap: 8px 28px; }
.toplist ol { margin: 0; padding-left: 22px; font-size: 13px; }
.toplist li span.num { color: #55606c; font-variant-numeric: tabular-nums; }
table.run th { width: 170px; color: #3d4650; font-weight: normal; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, monospace; font-size: 12px; }
pre { background: #f4f6f8; border: 1px solid #e1e5ea; border-radius: 4px; padding: 8px 10px; overflow: auto; max-height: 420px; white-space: pre-wrap; word-break: break-word; }
details { margin-top: 8px; }
summary { cursor: pointer; color: #1f4f82; font-size: 13px; }
footer { text-align: center; color: #8a94a0; font-size: 12px; padding: 8px; }
`;

export function page(input: ReportInput, sections: readonly Section[], generator: string): string {
  const title = input.title ?? `mlx-intraday report — ${input.runId}`;
  const verdict = input.comparison?.verdict;
  const sub = [input.createdAt, input.symbols?.length ? `${input.symbols.length} symbols` : '', input.sessions?.length ? `${input.sessions.length} sessions` : '']
    .filter(Boolean)
    .join(' · ');
  const doc: Html = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${generator}">
<title>${title}</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header class="top">
<h1>${title}</h1>
<div class="sub">run <code>${input.runId}</code>${sub ? ` · ${sub}` : ''}</div>
${verdict ? html`<div class="headline">A − B: <strong>${verdict}</strong></div>` : ''}
${(input.notes ?? []).map((n) => html`<div class="sub">${n}</div>`)}
</header>
<nav>${sections.map((s) => html`<a href="#${s.id}"${s.available ? '' : raw(' class="na"')}>${s.title}</a>`)}</nav>
<main>
${sections.map(
  (s) => html`<section id="${s.id}" data-section="${s.id}"${s.chart ? raw(` data-chart="${s.id}"`) : ''} data-available="${s.available ? 'yes' : 'no'}">
<h2>${s.title}</h2>
${s.body}
</section>
`,
)}
</main>
<footer>${generator} · static report: no scripts, no network</footer>
</body>
</html>
`;
  return doc.value;
}
