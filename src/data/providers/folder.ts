/**
 * Folder provider: one file per ticker, `<TICKER>.csv`, `<TICKER>.csv.gz` or `<TICKER>.parquet`
 * (Parquet read with hyparquet: pure JS, no native build, no dependencies).
 *
 * - Columns are mapped by name (config `columns`, case-insensitive; a few common aliases such as
 *   `Datetime` are recognised when the default name is absent).
 * - Timestamps are bar START times: ISO 8601 with Z/offset (absolute), naive ISO (read in the
 *   configured `timezone`: UTC, exchange, or an IANA zone), or epoch seconds/milliseconds.
 * - Bars outside the regular session (extended hours) and outside the requested sessions are
 *   dropped. Duplicated timestamps keep the last row; rows out of order are placed by time;
 *   both are reported once per file through `onWarning`.
 * - Obviously bad rows (NaN/empty numbers, high < low, negative volume, non-positive prices) are
 *   dropped with a warning naming file:line, or rejected with a DataError (`bad_rows: reject`).
 * - Missing minutes become masked bars: price carried forward from the previous close (before the
 *   first observed bar of the range, back-filled from its open), volume 0, mask 0.
 */
import { existsSync, readdirSync, readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { Panel, SessionInfo } from '../panel.js';
import { emptyPanel } from '../panel.js';
import type { FetchRequest, Provider } from '../provider.js';
import { DataError } from '../provider.js';
import { BAR_FIELDS, DEFAULTS, type BarField, type FolderConfig } from '../config.js';
import { EXCHANGE_TZ, exchangeDate } from '../calendar.js';

const gunzipAsync = promisify(gunzip);

const ALIASES: Record<BarField, string[]> = {
  timestamp: ['timestamp', 'datetime', 'date_time', 'time', 'ts', 't', 'date', 'timestamp_utc', 'window_start'],
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'c'],
  volume: ['volume', 'v', 'vol'],
};

const EXTENSIONS: Record<'auto' | 'csv' | 'parquet', string[]> = {
  auto: ['.parquet', '.csv.gz', '.csv'],
  csv: ['.csv.gz', '.csv'],
  parquet: ['.parquet'],
};

/** A raw bar read from a file, before placement on the session grid. */
interface RawRows {
  file: string;
  /** Line number (CSV, 1-based incl. header) or row number (Parquet, 1-based) of each row. */
  line: Int32Array;
  ts: Float64Array;
  o: Float64Array;
  h: Float64Array;
  l: Float64Array;
  c: Float64Array;
  v: Float64Array;
  /** Rows that could not be read (too few fields…), with the reason; placed nowhere. */
  broken: { line: number; reason: string }[];
}

/** Room for n parsed rows of one file (CSV and Parquet fill the same shape). */
function allocRows(file: string, n: number): RawRows {
  const f64 = () => new Float64Array(n);
  return { file, line: new Int32Array(n), ts: f64(), o: f64(), h: f64(), l: f64(), c: f64(), v: f64(), broken: [] };
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const NUM_RE = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** Parses timestamps into epoch ms; `null` when unparseable. */
export class TimestampParser {
  private offsets = new Map<number, number>();
  private readonly zone: string | null;

  constructor(
    timezone: string,
    private readonly epochUnit: 'auto' | 's' | 'ms',
  ) {
    const z = timezone === 'exchange' ? EXCHANGE_TZ : timezone;
    if (z.toUpperCase() === 'UTC' || z === 'Z' || z === 'Etc/UTC') this.zone = null;
    else {
      if (!DateTime.now().setZone(z).isValid) {
        throw new DataError(`data.folder.timezone "${timezone}" is not a known time zone`, 'use UTC, exchange, or an IANA name such as America/New_York');
      }
      this.zone = z;
    }
  }

  /** Offset (minutes) of the zone on a local date, taken at noon (sessions never straddle a DST switch). */
  private offsetOn(y: number, mo: number, d: number): number {
    const key = y * 10000 + mo * 100 + d;
    let off = this.offsets.get(key);
    if (off === undefined) {
      off = DateTime.fromObject({ year: y, month: mo, day: d, hour: 12 }, { zone: this.zone! }).offset;
      this.offsets.set(key, off);
    }
    return off;
  }

  fromNumber(x: number): number {
    if (!Number.isFinite(x)) return NaN;
    const ms = this.epochUnit === 'ms' || (this.epochUnit === 'auto' && Math.abs(x) >= 1e11) ? x : x * 1000;
    return Math.round(ms);
  }

  parse(s: string): number {
    const m = ISO_RE.exec(s);
    if (m) {
      const y = +m[1];
      const mo = +m[2];
      const d = +m[3];
      const frac = m[7] ? Math.round(+`0.${m[7]}` * 1000) : 0;
      let ms = Date.UTC(y, mo - 1, d, +m[4], +m[5], m[6] ? +m[6] : 0, frac);
      const tz = m[8];
      if (tz && tz.toUpperCase() !== 'Z') {
        const sign = tz[0] === '-' ? -1 : 1;
        const digits = tz.slice(1).replace(':', '');
        const off = sign * (+digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2) : 0));
        ms -= off * 60_000;
      } else if (!tz && this.zone) {
        ms -= this.offsetOn(y, mo, d) * 60_000;
      }
      return Number.isNaN(ms) ? NaN : ms;
    }
    if (NUM_RE.test(s)) return this.fromNumber(Number(s));
    // Last resort: other ISO shapes luxon understands (e.g. with a zone name).
    const dt = DateTime.fromISO(s, { zone: this.zone ?? 'UTC', setZone: true });
    return dt.isValid ? dt.toMillis() : NaN;
  }
}

function num(s: string | undefined): number {
  if (s === undefined) return NaN;
  const t = s.trim();
  if (t === '') return NaN;
  return Number(t.charCodeAt(0) === 34 ? t.slice(1, -1) : t);
}

export class FolderProvider implements Provider {
  readonly name = 'folder';
  private readonly cfg: Required<Omit<FolderConfig, 'columns'>> & { columns: Partial<Record<BarField, string>> };
  private parser: TimestampParser;

  constructor(config: FolderConfig) {
    this.cfg = {
      path: config.path,
      format: config.format ?? DEFAULTS.folder.format,
      timezone: config.timezone ?? DEFAULTS.folder.timezone,
      epoch_unit: config.epoch_unit ?? DEFAULTS.folder.epoch_unit,
      bad_rows: config.bad_rows ?? DEFAULTS.folder.bad_rows,
      columns: { ...(config.columns ?? {}) },
    };
    if (!EXTENSIONS[this.cfg.format]) throw new DataError(`data.folder.format "${this.cfg.format}" is not one of auto, csv, parquet`);
    if (this.cfg.bad_rows !== 'drop' && this.cfg.bad_rows !== 'reject') throw new DataError(`data.folder.bad_rows must be drop or reject, got "${this.cfg.bad_rows}"`);
    this.parser = new TimestampParser(this.cfg.timezone, this.cfg.epoch_unit);
  }

  identity(): Record<string, unknown> {
    const columns: Record<string, string> = {};
    for (const f of BAR_FIELDS) columns[f] = this.cfg.columns[f] ?? f;
    return {
      provider: 'folder',
      path: this.cfg.path,
      format: this.cfg.format,
      timezone: this.cfg.timezone,
      epoch_unit: this.cfg.epoch_unit,
      columns,
      bad_rows: this.cfg.bad_rows,
    };
  }

  private checkFolder(): void {
    if (!existsSync(this.cfg.path) || !statSync(this.cfg.path).isDirectory()) {
      throw new DataError(`data folder ${this.cfg.path} does not exist or is not a folder`, 'set data.folder.path (relative to the spec file) to a folder of <TICKER>.csv / .csv.gz / .parquet files');
    }
  }

  /** The file holding a ticker's bars; DataError naming ticker, folder and close names if none. */
  fileFor(ticker: string): string {
    this.checkFolder();
    const exts = EXTENSIONS[this.cfg.format];
    for (const name of [ticker, ticker.toUpperCase()]) {
      for (const ext of exts) {
        const p = join(this.cfg.path, name + ext);
        if (existsSync(p)) return p;
      }
    }
    const entries = readdirSync(this.cfg.path);
    const lower = ticker.toLowerCase();
    for (const ext of exts) {
      const hit = entries.find((e) => e.toLowerCase() === lower + ext);
      if (hit) return join(this.cfg.path, hit);
    }
    const names = [...new Set(entries.flatMap((e) => exts.filter((x) => e.toLowerCase().endsWith(x)).map((x) => e.slice(0, -x.length))))];
    const close = names
      .map((n) => ({ n, d: editDistance(n.toUpperCase(), ticker.toUpperCase()) }))
      .filter((x) => x.d <= Math.max(1, Math.floor(ticker.length / 2)))
      .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
      .slice(0, 5)
      .map((x) => x.n);
    throw new DataError(
      `unknown ticker ${ticker}: no ${exts.map((x) => ticker + x).join(' / ')} in ${this.cfg.path}` +
        (close.length ? `; close names: ${close.join(', ')}` : names.length ? ` (the folder holds ${names.length} tickers, e.g. ${names.slice(0, 5).join(', ')})` : ' (the folder holds no data files)'),
      'fix the symbol in the ticker list, or add the file to the folder',
    );
  }

  /** Maps configured field names to header indices; DataError with file:1 when some are missing. */
  private mapColumns(file: string, header: string[]): Record<BarField, number> {
    const norm = header.map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
    const out = {} as Record<BarField, number>;
    const missing: string[] = [];
    for (const f of BAR_FIELDS) {
      const configured = this.cfg.columns[f];
      let idx = -1;
      if (configured) idx = norm.indexOf(configured.toLowerCase());
      else for (const a of ALIASES[f]) if ((idx = norm.indexOf(a)) >= 0) break;
      if (idx < 0) missing.push(configured ?? f);
      out[f] = idx;
    }
    if (missing.length) {
      const expected = BAR_FIELDS.map((f) => this.cfg.columns[f] ?? f).join(', ');
      throw new DataError(
        `${file}:1: missing column(s) ${missing.join(', ')}; expected columns ${expected} (found: ${header.map((h) => h.trim()).join(', ') || 'nothing'})`,
        'rename the columns or map them with data.folder.columns, e.g. columns: { timestamp: Datetime, open: Open, … }',
      );
    }
    return out;
  }

  private async readCsv(file: string, text: string): Promise<RawRows> {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = text.split('\n');
    const endsWithNewline = text.endsWith('\n');
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    if (lines.length === 0) throw new DataError(`${file}:1: the file is empty; expected a header row`, 'a CSV needs a header: timestamp,open,high,low,close,volume');
    const headerLine = lines[0].replace(/\r$/, '');
    const delim = headerLine.includes(',') ? ',' : headerLine.includes('\t') ? '\t' : headerLine.includes(';') ? ';' : ',';
    const col = this.mapColumns(file, headerLine.split(delim));
    const need = Math.max(...Object.values(col)) + 1;
    const n = lines.length - 1;
    const rows = allocRows(file, n);
    let k = 0;
    for (let i = 1; i < lines.length; i++) {
      let line = lines[i];
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() === '') continue;
      const f = line.split(delim);
      const lineNo = i + 1;
      const isLast = i === lines.length - 1;
      if (f.length < need) {
        rows.broken.push({
          line: lineNo,
          reason:
            isLast && !endsWithNewline
              ? `incomplete last line "${line.slice(0, 60)}" (the file looks truncated: re-download it)`
              : `only ${f.length} field(s), expected at least ${need}`,
        });
        continue;
      }
      let tsText = f[col.timestamp].trim();
      if (tsText.charCodeAt(0) === 34) tsText = tsText.slice(1, -1);
      const ts = this.parser.parse(tsText);
      if (Number.isNaN(ts)) {
        if (isLast && !endsWithNewline) {
          rows.broken.push({ line: lineNo, reason: `incomplete last line "${line.slice(0, 60)}" (the file looks truncated: re-download it)` });
          continue;
        }
        throw new DataError(
          `${file}:${lineNo}: cannot parse timestamp "${tsText.slice(0, 40)}" in column ${headerLine.split(delim)[col.timestamp].trim()}; expected ISO 8601 (2026-03-12T13:30:00Z, 2024-03-22 09:30:00-04:00) or epoch seconds/milliseconds`,
          'fix the row, or point data.folder.columns.timestamp at the right column (columns: timestamp, open, high, low, close, volume)',
        );
      }
      rows.line[k] = lineNo;
      rows.ts[k] = ts;
      rows.o[k] = num(f[col.open]);
      rows.h[k] = num(f[col.high]);
      rows.l[k] = num(f[col.low]);
      rows.c[k] = num(f[col.close]);
      rows.v[k] = num(f[col.volume]);
      k++;
    }
    return this.trim(rows, k);
  }

  private trim(r: RawRows, k: number): RawRows {
    return { ...r, line: r.line.subarray(0, k), ts: r.ts.subarray(0, k), o: r.o.subarray(0, k), h: r.h.subarray(0, k), l: r.l.subarray(0, k), c: r.c.subarray(0, k), v: r.v.subarray(0, k) };
  }

  private async readParquet(file: string, buf: Buffer): Promise<RawRows> {
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    let names: string[];
    try {
      const meta = parquetMetadata(ab);
      names = parquetSchema(meta).children.map((c) => c.element.name);
    } catch (e) {
      throw new DataError(
        `${file}: not a readable Parquet file (${(e as Error).message}); the download may be incomplete or the file corrupt`,
        're-download or re-export the file',
      );
    }
    const col = this.mapColumns(file, names);
    const wanted = BAR_FIELDS.map((f) => names[col[f]]);
    let objs: Record<string, unknown>[];
    try {
      objs = (await parquetReadObjects({ file: ab, columns: wanted })) as Record<string, unknown>[];
    } catch (e) {
      throw new DataError(`${file}: cannot read Parquet data (${(e as Error).message}); the file may be truncated or corrupt`, 're-download or re-export the file');
    }
    const n = objs.length;
    const rows = allocRows(file, n);
    const toNum = (x: unknown) => (typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : x === null || x === undefined ? NaN : Number(x));
    const [tsName, oName, hName, lName, cName, vName] = wanted;
    for (let i = 0; i < n; i++) {
      const r = objs[i];
      const t = r[tsName];
      const ts =
        t instanceof Date ? t.getTime() : typeof t === 'string' ? this.parser.parse(t.trim()) : this.parser.fromNumber(toNum(t));
      if (Number.isNaN(ts)) {
        throw new DataError(
          `${file}:row ${i + 1}: cannot parse timestamp ${JSON.stringify(String(t)).slice(0, 40)} in column ${tsName}; expected a Parquet timestamp, ISO 8601 text or epoch seconds/milliseconds`,
          'fix the data, or point data.folder.columns.timestamp at the right column',
        );
      }
      rows.line[i] = i + 1;
      rows.ts[i] = ts;
      rows.o[i] = toNum(r[oName]);
      rows.h[i] = toNum(r[hName]);
      rows.l[i] = toNum(r[lName]);
      rows.c[i] = toNum(r[cName]);
      rows.v[i] = toNum(r[vName]);
    }
    return rows;
  }

  /** Reads every row of a ticker's file. */
  async readFileRows(file: string): Promise<RawRows> {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      throw new DataError(`${file}: cannot read (${(e as Error).message})`);
    }
    const lower = file.toLowerCase();
    if (lower.endsWith('.parquet')) return this.readParquet(file, buf);
    if (lower.endsWith('.gz')) {
      try {
        buf = await gunzipAsync(buf);
      } catch (e) {
        throw new DataError(
          `${file}: truncated or corrupt gzip (${(e as Error).message}); the download may be incomplete`,
          're-download the file (gzip -t checks it)',
        );
      }
    }
    return this.readCsv(file, buf.toString('utf8'));
  }

  async fetch(req: FetchRequest): Promise<Panel> {
    const { tickers } = req;
    if (req.sessions.length === 0) throw new DataError('no sessions requested', 'request at least one trading day');
    const sessions = req.sessions.map((s) => ({ ...s }));
    const panel = emptyPanel([...tickers], sessions);
    const files = tickers.map((t) => this.fileFor(t)); // fail fast on unknown tickers
    for (let n = 0; n < tickers.length; n++) {
      if (req.signal?.aborted) throw req.signal.reason ?? new Error('aborted');
      const raw = await this.readFileRows(files[n]);
      this.place(panel, n, sessions, raw, req.onWarning ?? (() => {}));
    }
    return panel;
  }

  /** Puts a file's rows on the session grid of column n, then fills the gaps. */
  private place(panel: Panel, n: number, sessions: SessionInfo[], raw: RawRows, warn: (m: string) => void): void {
    const N = panel.N;
    const file = raw.file;
    const ticker = panel.tickers[n];
    const first = sessions[0].openMs;
    const lastS = sessions[sessions.length - 1];
    const last = lastS.openMs + lastS.bars * 60_000;
    const placedLine = new Int32Array(panel.T).fill(0);
    const bad: string[] = [];
    let dups = 0;
    let firstDup = 0;
    let unordered = 0;
    let firstUnordered = 0;
    let unaligned = 0;
    let nearRange = 0;
    let placed = 0;
    let prevTs = -Infinity;
    let si = 0;
    for (const b of raw.broken) {
      bad.push(`${file}:${b.line}: ${b.reason}`);
    }
    for (let i = 0; i < raw.ts.length; i++) {
      let ts = raw.ts[i];
      if (ts < prevTs) {
        if (unordered++ === 0) firstUnordered = raw.line[i];
      }
      prevTs = ts;
      if (ts < first - 86_400_000 || ts >= last + 86_400_000) continue;
      nearRange++;
      if (ts < first || ts >= last) continue;
      // Find the session (rows are mostly ordered: move from the last one found).
      if (ts < sessions[si].openMs) si = 0;
      while (si + 1 < sessions.length && sessions[si + 1].openMs <= ts) si++;
      const s = sessions[si];
      if (ts < s.openMs || ts >= s.openMs + s.bars * 60_000) continue; // extended hours or other day
      if (ts % 60_000 !== 0) {
        unaligned++;
        ts -= ts % 60_000;
      }
      const o = raw.o[i];
      const h = raw.h[i];
      const l = raw.l[i];
      const c = raw.c[i];
      const v = raw.v[i];
      let why = '';
      if (!(Number.isFinite(o) && Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c) && Number.isFinite(v))) why = 'a price or the volume is missing or not a number';
      else if (h < l) why = `high ${h} < low ${l}`;
      else if (v < 0) why = `negative volume ${v}`;
      else if (o <= 0 || h <= 0 || l <= 0 || c <= 0) why = 'non-positive price';
      if (why) {
        const msg = `${file}:${raw.line[i]}: bad row (${why})`;
        if (this.cfg.bad_rows === 'reject') {
          throw new DataError(msg, 'fix the row, or set data.folder.bad_rows: drop to skip bad rows with a warning');
        }
        bad.push(msg);
        continue;
      }
      const row = s.start + (ts - s.openMs) / 60_000;
      const idx = row * N + n;
      if (placedLine[row]) {
        if (dups++ === 0) firstDup = raw.line[i];
      } else placed++;
      placedLine[row] = raw.line[i];
      panel.open[idx] = o;
      panel.high[idx] = Math.max(h, o, c);
      panel.low[idx] = Math.min(l, o, c);
      panel.close[idx] = c;
      panel.volume[idx] = v;
      panel.mask[idx] = 1;
    }
    if (bad.length) {
      if (this.cfg.bad_rows === 'reject' && raw.broken.length) {
        throw new DataError(bad[0], 'fix or re-download the file, or set data.folder.bad_rows: drop');
      }
      warn(`${ticker}: dropped ${bad.length} bad row(s): ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; …' : ''}`);
    }
    if (dups) warn(`${ticker}: ${dups} duplicate timestamp(s) in ${file} (first at ${file}:${firstDup}); kept the last row of each`);
    if (unordered) warn(`${ticker}: ${unordered} row(s) out of time order in ${file} (first at ${file}:${firstUnordered}); placed by timestamp`);
    if (unaligned) warn(`${ticker}: ${unaligned} timestamp(s) in ${file} not on a whole minute; floored to the minute`);
    if (placed === 0) {
      warn(
        nearRange > 0
          ? `${ticker}: none of the ${nearRange} row(s) of ${basename(file)} near ${sessions[0].date}…${lastS.date} fall in regular hours; check data.folder.timezone (now ${this.cfg.timezone}) and that timestamps are bar start times`
          : `${ticker}: no bars in ${sessions[0].date}…${lastS.date} in ${file}`,
      );
    }
    fillColumn(panel, n);
  }

  /** Latest exchange date with a bar in any file of the folder (CSV, CSV.GZ, Parquet statistics), or undefined. */
  latestDate(): string | undefined {
    if (!existsSync(this.cfg.path)) return undefined;
    const exts = EXTENSIONS[this.cfg.format];
    let best = -Infinity;
    for (const e of readdirSync(this.cfg.path)) {
      const ext = exts.find((x) => e.toLowerCase().endsWith(x));
      if (!ext) continue;
      try {
        const t = this.lastTimestamp(join(this.cfg.path, e), ext);
        if (t > best) best = t;
      } catch {
        // unreadable files are reported when fetched
      }
    }
    return Number.isFinite(best) ? exchangeDate(best) : undefined;
  }

  private lastTimestamp(file: string, ext: string): number {
    if (ext === '.parquet') {
      const buf = readFileSync(file);
      const meta = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
      const names = parquetSchema(meta).children.map((c) => c.element.name);
      const col = this.mapColumns(file, names);
      let best = -Infinity;
      for (const rg of meta.row_groups) {
        const st = rg.columns[col.timestamp]?.meta_data?.statistics;
        const mx = st?.max_value ?? st?.max;
        if (mx === undefined || mx === null) continue;
        const t = mx instanceof Date ? mx.getTime() : typeof mx === 'string' ? this.parser.parse(mx) : this.parser.fromNumber(Number(mx));
        if (t > best) best = t;
      }
      return best;
    }
    let text: string;
    let header: string;
    if (ext === '.csv.gz') {
      text = gunzipSync(readFileSync(file)).toString('utf8');
      header = text.slice(0, text.indexOf('\n'));
    } else {
      const fd = openSync(file, 'r');
      try {
        const size = statSync(file).size;
        const head = Buffer.alloc(Math.min(4096, size));
        readSync(fd, head, 0, head.length, 0);
        header = head.toString('utf8').split('\n')[0];
        const len = Math.min(size, 64 * 1024);
        const tail = Buffer.alloc(len);
        readSync(fd, tail, 0, len, size - len);
        text = tail.toString('utf8');
      } finally {
        closeSync(fd);
      }
    }
    header = header.replace(/^\uFEFF/, '').replace(/\r$/, '');
    const delim = header.includes(',') ? ',' : header.includes('\t') ? '\t' : ';';
    const col = this.mapColumns(file, header.split(delim));
    const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
    let best = -Infinity;
    for (let i = Math.max(1, lines.length - 400); i < lines.length; i++) {
      const f = lines[i].split(delim);
      if (f.length <= col.timestamp) continue;
      const t = this.parser.parse(f[col.timestamp].trim().replace(/^"|"$/g, ''));
      if (t > best) best = t;
    }
    return best;
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
