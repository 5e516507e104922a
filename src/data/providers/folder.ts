/**
 * Folder provider: one file per ticker, `<TICKER>.csv`, `<TICKER>.csv.gz` or `<TICKER>.parquet`
 * (Parquet read with hyparquet: pure JS, no native build, no dependencies).
 *
 * - Columns are mapped by name (config `columns`, case-insensitive; a few common aliases such as
 *   `Datetime` are recognised when the default name is absent).
 * - Timestamps are bar START times: ISO 8601 with Z/offset (absolute), naive ISO (read in the
 *   configured `timezone`: UTC, exchange, or an IANA zone), or epoch seconds/milliseconds. One
 *   file uses one form: naive mixed with absolute, or offsets no single zone explains, is a
 *   DataError naming the first line of each (timestamps.ts).
 * - Bars outside the regular session (extended hours) and outside the requested sessions are
 *   dropped. Duplicated timestamps keep the last row; rows out of order are placed by time;
 *   both are reported once per file through `onWarning`.
 * - Obviously bad rows (NaN/empty numbers, high < low, negative volume, non-positive prices) are
 *   dropped with a warning naming file:line, or rejected with a DataError (`bad_rows: reject`).
 * - Missing minutes become masked bars: price carried forward from the previous close (before the
 *   first observed bar of the range, back-filled from its open), volume 0, mask 0.
 * - CSV (and CSV.GZ) is streamed a chunk at a time and placed as it is read: memory is the panel,
 *   not the file. With an artifact cache, an unchanged file is not read again (folder-file-cache.ts).
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { showSymbol, SYMBOL_HINT, symbolProblem } from '../symbols.js';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { ArtifactStore } from '../../cache/store-api.js';
import type { Panel, SessionInfo } from '../panel.js';
import { emptyPanel } from '../panel.js';
import type { FetchRequest, Provider, ProviderCapabilities } from '../provider.js';
import { DataError } from '../provider.js';
import { BAR_FIELDS, DEFAULTS, type BarField, type FolderConfig } from '../config.js';
import { exchangeDate } from '../calendar.js';
import { ColumnPlacer } from './column-placer.js';
import { FolderFileCache, columnOf, fileState, putColumn } from './folder-file-cache.js';
import { readLines, throwIfAborted, type LineReaderOptions } from './line-reader.js';
import { TimestampForms, TimestampParser } from './timestamps.js';

export { fillColumn } from './column-placer.js';
export { TimestampParser } from './timestamps.js';

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

export interface FolderProviderOptions {
  /** Keeps each file's column so an unchanged file is not read again (optional: without it, every fetch reads). */
  cache?: ArtifactStore;
  /** Read chunk size in bytes (tests force tiny chunks to prove boundaries do not matter). */
  chunkBytes?: number;
  /** Called after each chunk of a CSV is handled (tests abort mid-read through it). */
  onChunk?: (file: string, bytesRead: number) => void;
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

const cutOff = (line: string) => `incomplete last line "${line.slice(0, 60)}" (the file looks truncated: re-download it)`;

function num(s: string | undefined): number {
  if (s === undefined) return NaN;
  // Fast path (no trim copy): Number() ignores surrounding blanks but reads "" as 0.
  const x = +s;
  if (x === x && (x !== 0 || s.trim() !== '')) return x;
  const t = s.trim();
  if (t === '') return NaN;
  return Number(t.charCodeAt(0) === 34 ? t.slice(1, -1) : t);
}

export class FolderProvider implements Provider {
  readonly name = 'folder';
  readonly capabilities: ProviderCapabilities = { changesBetweenRuns: true, downloads: false, fixedUniverse: true, defaultEnd: 'default: the newest bar in the folder; set data.end to choose' };
  private readonly cfg: Required<Omit<FolderConfig, 'columns'>> & { columns: Partial<Record<BarField, string>> };
  private parser: TimestampParser;
  private fileCache?: FolderFileCache;
  /** Files parsed and files taken from the cache, since construction (what a rerun skipped). */
  readonly stats = { filesRead: 0, cacheHits: 0 };

  constructor(
    config: FolderConfig,
    private readonly opts: FolderProviderOptions = {},
  ) {
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
    if (opts.cache) this.useCache(opts.cache);
  }

  /** From now on, keep each file's result in `cache` and skip files that have not changed. */
  useCache(cache: ArtifactStore): void {
    this.fileCache = new FolderFileCache(cache);
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

  /**
   * The file holding a ticker's bars; DataError naming ticker, folder and close names if none.
   * A ticker that is not a symbol, or a path that resolves (symlinks included) outside the
   * folder, is refused: a ticker list must never open other files.
   */
  fileFor(ticker: string): string {
    const file = this.findFile(ticker);
    this.checkInside(file, ticker);
    return file;
  }

  private checkInside(file: string, ticker: string): void {
    const folder = realpathSync(this.cfg.path);
    const real = realpathSync(file);
    const rel = relative(folder, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new DataError(`ticker ${ticker}: ${file} resolves to ${real}, outside the data folder ${folder}`, 'keep each ticker\'s file inside data.folder.path (no links pointing elsewhere)');
    }
  }

  private findFile(ticker: string): string {
    this.checkFolder();
    const why = symbolProblem(ticker);
    if (why) throw new DataError(`${showSymbol(ticker)} is not a ticker symbol: ${why}`, SYMBOL_HINT);
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

  /** Streams a CSV (or CSV.GZ) into the placer, checking each timestamp's form as it goes. */
  private async readCsvInto(file: string, placer: ColumnPlacer, signal?: AbortSignal): Promise<void> {
    const parser = this.parser;
    const forms = new TimestampForms(file, this.cfg.timezone, parser.zone);
    let headerLine: string | undefined;
    let blankHeader = false;
    let delim = ',';
    let col!: Record<BarField, number>;
    let need = 0;
    const onLine = (line: string, lineNo: number, terminated: boolean) => {
      if (headerLine === undefined) {
        if (line.trim() === '') {
          blankHeader = true; // no header: an error if a row follows, else an empty file
          return;
        }
        if (blankHeader) this.mapColumns(file, ['']);
        headerLine = line;
        delim = line.includes(',') ? ',' : line.includes('\t') ? '\t' : line.includes(';') ? ';' : ',';
        col = this.mapColumns(file, line.split(delim));
        need = Math.max(...Object.values(col)) + 1;
        return;
      }
      if (line.trim() === '') return;
      const f = line.split(delim);
      if (f.length < need) {
        placer.broken(lineNo, terminated ? `only ${f.length} field(s), expected at least ${need}` : cutOff(line));
        return;
      }
      let tsText = f[col.timestamp].trim();
      if (tsText.charCodeAt(0) === 34) tsText = tsText.slice(1, -1);
      const ts = parser.parse(tsText);
      if (Number.isNaN(ts)) {
        if (!terminated) return placer.broken(lineNo, cutOff(line));
        throw new DataError(
          `${file}:${lineNo}: cannot parse timestamp "${tsText.slice(0, 40)}" in column ${headerLine.split(delim)[col.timestamp].trim()}; expected ISO 8601 (2026-03-12T13:30:00Z, 2024-03-22 09:30:00-04:00) or epoch seconds/milliseconds`,
          'fix the row, or point data.folder.columns.timestamp at the right column (columns: timestamp, open, high, low, close, volume)',
        );
      }
      forms.observe(lineNo, tsText, parser.form, parser.offsetMin, ts);
      placer.add(lineNo, ts, num(f[col.open]), num(f[col.high]), num(f[col.low]), num(f[col.close]), num(f[col.volume]));
    };
    const onChunk = this.opts.onChunk;
    const readOpts: LineReaderOptions = { chunkBytes: this.opts.chunkBytes, signal, onChunk: onChunk && ((b) => onChunk(file, b)) };
    await readLines(file, onLine, readOpts);
    if (headerLine === undefined) throw new DataError(`${file}:1: the file is empty; expected a header row`, 'a CSV needs a header: timestamp,open,high,low,close,volume');
  }

  /** Reads a Parquet file whole (hyparquet needs random access) into the placer. */
  private async readParquetInto(file: string, placer: ColumnPlacer, signal?: AbortSignal): Promise<void> {
    let buf: Buffer;
    try {
      buf = await readFile(file, { signal });
    } catch (e) {
      throwIfAborted(signal, file);
      throw new DataError(`${file}: cannot read (${(e as Error).message})`, 'check that the file exists and is readable (Parquet files are read whole: at most 2 GB)');
    }
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
    throwIfAborted(signal, file);
    const parser = this.parser;
    const forms = new TimestampForms(file, this.cfg.timezone, parser.zone);
    const toNum = (x: unknown) => (typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : x === null || x === undefined ? NaN : Number(x));
    const [tsName, oName, hName, lName, cName, vName] = wanted;
    for (let i = 0; i < objs.length; i++) {
      const r = objs[i];
      const t = r[tsName];
      let ts: number;
      if (t instanceof Date) ts = t.getTime();
      else if (typeof t === 'string') {
        ts = parser.parse(t.trim());
        if (!Number.isNaN(ts)) forms.observe(i + 1, t.trim(), parser.form, parser.offsetMin, ts);
      } else ts = parser.fromNumber(toNum(t));
      if (Number.isNaN(ts)) {
        throw new DataError(
          `${file}:row ${i + 1}: cannot parse timestamp ${JSON.stringify(String(t)).slice(0, 40)} in column ${tsName}; expected a Parquet timestamp, ISO 8601 text or epoch seconds/milliseconds`,
          'fix the data, or point data.folder.columns.timestamp at the right column',
        );
      }
      placer.add(i + 1, ts, toNum(r[oName]), toNum(r[hName]), toNum(r[lName]), toNum(r[cName]), toNum(r[vName]));
    }
  }

  /** Reads one file into column n of the panel; returns its warnings (without the ticker prefix). */
  private async readInto(panel: Panel, n: number, sessions: SessionInfo[], file: string, signal?: AbortSignal): Promise<string[]> {
    const placer = new ColumnPlacer(panel, n, sessions, file, { badRows: this.cfg.bad_rows, timezone: this.cfg.timezone });
    this.stats.filesRead++;
    if (file.toLowerCase().endsWith('.parquet')) await this.readParquetInto(file, placer, signal);
    else await this.readCsvInto(file, placer, signal);
    return placer.finish();
  }

  /** Column n from the file cache when the file is unchanged, else read (and cached for next time). */
  private async columnFor(panel: Panel, n: number, sessions: SessionInfo[], file: string, signal?: AbortSignal): Promise<string[]> {
    const cache = this.fileCache;
    if (!cache) return this.readInto(panel, n, sessions, file, signal);
    const readStarted = Date.now();
    const before = fileState(file);
    const key = cache.key(file, before, this.identity(), sessions);
    const hit = await cache.load(key, panel.T);
    if (hit) {
      putColumn(panel, n, hit);
      this.stats.cacheHits++;
      return hit.warnings;
    }
    const warnings = await this.readInto(panel, n, sessions, file, signal);
    await cache.store(key, file, before, readStarted, columnOf(panel, n, warnings));
    return warnings;
  }

  async fetch(req: FetchRequest): Promise<Panel> {
    const { tickers } = req;
    if (req.sessions.length === 0) throw new DataError('no sessions requested', 'request at least one trading day');
    const sessions = req.sessions.map((s) => ({ ...s }));
    const panel = emptyPanel([...tickers], sessions);
    const files = tickers.map((t) => this.fileFor(t)); // fail fast on unknown tickers
    const warn = req.onWarning ?? (() => {});
    for (let n = 0; n < tickers.length; n++) {
      throwIfAborted(req.signal, files[n]);
      for (const w of await this.columnFor(panel, n, sessions, files[n], req.signal)) warn(`${tickers[n]}: ${w}`);
    }
    return panel;
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
      // Inflated into a Buffer (not a string, which stops at 512 MB); only its ends are decoded.
      const buf = gunzipSync(readFileSync(file));
      header = buf.subarray(0, Math.min(4096, buf.length)).toString('utf8').split('\n')[0];
      text = buf.subarray(Math.max(0, buf.length - 64 * 1024)).toString('utf8');
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
