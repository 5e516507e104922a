/**
 * `npm run bench`: runs every test/bench/*.bench.ts (or those named on the command line) in one
 * process, one after another, and prints each section as a table. Benchmarks measure; they
 * never assert timings.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchSection {
  title: string;
  rows: Record<string, string | number>[];
  notes?: string[];
}

function formatCell(v: string | number): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1e6) return v.toExponential(3);
  if (Number.isInteger(v)) return String(v);
  return v.toPrecision(4);
}

export function printSection(s: BenchSection): void {
  console.log(`\n## ${s.title}\n`);
  if (s.rows.length > 0) {
    const cols = [...new Set(s.rows.flatMap((r) => Object.keys(r)))];
    const cells = s.rows.map((r) => cols.map((c) => (r[c] === undefined ? '' : formatCell(r[c]))));
    const width = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
    const line = (vals: string[]) => '| ' + vals.map((v, i) => v.padEnd(width[i])).join(' | ') + ' |';
    console.log(line(cols));
    console.log('| ' + width.map((w) => '-'.repeat(w)).join(' | ') + ' |');
    for (const row of cells) console.log(line(row));
  }
  for (const n of s.notes ?? []) console.log(`\n${n}`);
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  // The runner first: its warm-run figure is about process overhead, which the large heaps the
  // other benchmarks leave behind would inflate (starting `git` alone grows with process memory).
  .sort((a, b) => Number(b.startsWith('runner')) - Number(a.startsWith('runner')) || a.localeCompare(b));

console.log(`# mlx-intraday benchmarks (${new Date().toISOString()}, node ${process.version}, ${process.platform}-${process.arch})`);
for (const f of files) {
  const mod = await import(pathToFileURL(join(here, f)).href);
  const out: BenchSection | BenchSection[] = await mod.default();
  for (const s of Array.isArray(out) ? out : [out]) printSection(s);
}
