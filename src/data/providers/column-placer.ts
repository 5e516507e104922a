/**
 * Puts one file's rows on the session grid of one panel column as they are read (nothing of the
 * file is kept but the column), then fills the gaps. Rows outside the requested regular
 * sessions are skipped; bad rows are dropped with a warning or rejected; duplicates, disorder
 * and unaligned minutes are counted and reported once.
 */
import { basename } from 'node:path';
import type { Panel, SessionInfo } from '../panel.js';
import { DataError } from '../provider.js';

const DAY_MS = 86_400_000;

export interface PlacerOptions {
  badRows: 'drop' | 'reject';
  /** The configured timezone, named in the "nothing in regular hours" hint. */
  timezone: string;
}

export class ColumnPlacer {
  private readonly first: number;
  private readonly last: number;
  private readonly placedLine: Int32Array;
  private readonly bad: string[] = [];
  private badCount = 0;
  private dups = 0;
  private firstDup = 0;
  private unordered = 0;
  private firstUnordered = 0;
  private unaligned = 0;
  private nearRange = 0;
  private placed = 0;
  private prevTs = -Infinity;
  private si = 0;

  constructor(
    private readonly panel: Panel,
    private readonly n: number,
    private readonly sessions: SessionInfo[],
    private readonly file: string,
    private readonly opts: PlacerOptions,
  ) {
    this.first = sessions[0].openMs;
    const lastS = sessions[sessions.length - 1];
    this.last = lastS.openMs + lastS.bars * 60_000;
    this.placedLine = new Int32Array(panel.T);
  }

  private badRow(msg: string): void {
    // Keep the first few for the warning; count the rest.
    if (this.badCount++ < 5) this.bad.push(msg);
  }

  /** A line that could not be read as a row (too few fields, cut off). Rejected at once under `reject`. */
  broken(line: number, reason: string): void {
    const msg = `${this.file}:${line}: ${reason}`;
    if (this.opts.badRows === 'reject') throw new DataError(msg, 'fix or re-download the file, or set data.folder.bad_rows: drop');
    this.badRow(msg);
  }

  add(line: number, tsIn: number, o: number, h: number, l: number, c: number, v: number): void {
    let ts = tsIn;
    if (ts < this.prevTs && this.unordered++ === 0) this.firstUnordered = line;
    this.prevTs = ts;
    if (ts < this.first - DAY_MS || ts >= this.last + DAY_MS) return;
    this.nearRange++;
    if (ts < this.first || ts >= this.last) return;
    // Find the session (rows are mostly ordered: move from the last one found).
    const sessions = this.sessions;
    if (ts < sessions[this.si].openMs) this.si = 0;
    while (this.si + 1 < sessions.length && sessions[this.si + 1].openMs <= ts) this.si++;
    const s = sessions[this.si];
    if (ts < s.openMs || ts >= s.openMs + s.bars * 60_000) return; // extended hours or another day
    if (ts % 60_000 !== 0) {
      this.unaligned++;
      ts -= ts % 60_000;
    }
    let why = '';
    if (!(Number.isFinite(o) && Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c) && Number.isFinite(v))) why = 'a price or the volume is missing or not a number';
    else if (h < l) why = `high ${h} < low ${l}`;
    else if (v < 0) why = `negative volume ${v}`;
    else if (o <= 0 || h <= 0 || l <= 0 || c <= 0) why = 'non-positive price';
    if (why) {
      const msg = `${this.file}:${line}: bad row (${why})`;
      if (this.opts.badRows === 'reject') throw new DataError(msg, 'fix the row, or set data.folder.bad_rows: drop to skip bad rows with a warning');
      this.badRow(msg);
      return;
    }
    const row = s.start + (ts - s.openMs) / 60_000;
    const { panel, n } = this;
    const idx = row * panel.N + n;
    if (this.placedLine[row]) {
      if (this.dups++ === 0) this.firstDup = line;
    } else this.placed++;
    this.placedLine[row] = line;
    panel.open[idx] = o;
    panel.high[idx] = Math.max(h, o, c);
    panel.low[idx] = Math.min(l, o, c);
    panel.close[idx] = c;
    panel.volume[idx] = v;
    panel.mask[idx] = 1;
  }

  /** Fills the column's gaps; returns the file's warnings (without the ticker prefix), in a stable order. */
  finish(): string[] {
    const { file, sessions } = this;
    const out: string[] = [];
    if (this.badCount) out.push(`dropped ${this.badCount} bad row(s): ${this.bad.join('; ')}${this.badCount > 5 ? '; …' : ''}`);
    if (this.dups) out.push(`${this.dups} duplicate timestamp(s) in ${file} (first at ${file}:${this.firstDup}); kept the last row of each`);
    if (this.unordered) out.push(`${this.unordered} row(s) out of time order in ${file} (first at ${file}:${this.firstUnordered}); placed by timestamp`);
    if (this.unaligned) out.push(`${this.unaligned} timestamp(s) in ${file} not on a whole minute; floored to the minute`);
    if (this.placed === 0) {
      const range = `${sessions[0].date}…${sessions[sessions.length - 1].date}`;
      out.push(
        this.nearRange > 0
          ? `none of the ${this.nearRange} row(s) of ${basename(file)} near ${range} fall in regular hours; check data.folder.timezone (now ${this.opts.timezone}) and that timestamps are bar start times`
          : `no bars in ${range} in ${file}`,
      );
    }
    fillColumn(this.panel, this.n);
    return out;
  }
}

/**
 * Fills unobserved minutes of column n: price carried forward from the previous close; before the
 * first observed bar, back-filled from its open; volume 0 (mask stays 0).
 */
export function fillColumn(panel: Panel, n: number): void {
  const { N, T, open, high, low, close, volume, mask } = panel;
  let firstObs = -1;
  for (let t = 0; t < T; t++) if (mask[t * N + n]) {
    firstObs = t;
    break;
  }
  if (firstObs < 0) return; // nothing observed: zeros, mask 0
  let carry = open[firstObs * N + n];
  for (let t = 0; t < T; t++) {
    const i = t * N + n;
    if (mask[i]) {
      carry = close[i];
      continue;
    }
    open[i] = high[i] = low[i] = close[i] = carry;
    volume[i] = 0;
  }
}
