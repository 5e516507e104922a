/**
 * `npm run bench`: runs every test/bench/*.bench.ts (or those named on the command line) in one
 * process, one after another, and prints each section as a table. Benchmarks measure; they
 * never assert timings.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
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
const child = process.env.MLXI_BENCH_FILE;

if (child) {
  // One benchmark file in this process: its timings and peak memory are its own.
  const mod = await import(pathToFileURL(join(here, child)).href);
  const out: BenchSection | BenchSection[] = await mod.default();
  for (const s of Array.isArray(out) ? out : [out]) printSection(s);
} else {
  const only = process.argv.slice(2);
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  console.log(`# mlx-intraday benchmarks (${new Date().toISOString()}, node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length} cores)`);
  // Each file in a fresh process: a heap or RSS peak left by one must not show in the next
  // (peak RSS is a per-process maximum; starting `git` costs more in a large process).
  for (const f of files) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, MLXI_BENCH_FILE: f } });
    if (r.status !== 0) {
      console.error(`benchmark ${f} failed (exit ${r.status ?? r.signal})`);
      process.exitCode = 1;
    }
  }
}
