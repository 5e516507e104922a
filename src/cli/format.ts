/** Small text helpers for the CLI: aligned tables, sizes, durations. */
import { UsageError } from '../util/errors.js';

export function printTable(rows: Record<string, string | number>[], write: (s: string) => void = (s) => console.log(s)): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) => cols.map((c) => String(r[c] ?? '')));
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  write(cols.map((c, i) => c.padEnd(width[i])).join('  ').trimEnd());
  for (const r of cells) write(r.map((v, i) => v.padEnd(width[i])).join('  ').trimEnd());
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** "7d", "12h", "30m", "45s" → milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(s.trim());
  if (!m) throw UsageError.one(`cannot read the duration "${s}"`, 'write a number and a unit: 30m, 12h, 7d, 2w', { file: `--older-than ${s}` });
  const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
