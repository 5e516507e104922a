import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { sessionsBetween, sessionsEnding } from '../../src/data/calendar.js';
import { fingerprintPanel } from '../../src/data/fingerprint.js';
import type { Panel } from '../../src/data/panel.js';
import { DataError } from '../../src/data/provider.js';
import { FolderProvider } from '../../src/data/providers/folder.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { createProvider, defaultEndDate } from '../../src/data/index.js';
import { runPrecheck } from '../../src/data/precheck.js';
import { writeParquet } from './helpers/parquet.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SAMPLE = resolve(repoRoot, '../shared/data/real-1min');
const haveSample = existsSync(join(SAMPLE, 'AAPL.csv'));
if (!haveSample) console.warn(`real-1min sample not found at ${SAMPLE}: skipping real-data folder tests`);

const colSum = (p: Panel, n: number, from = 0, to = p.T) => {
  let s = 0;
  for (let t = from; t < to; t++) s += p.mask[t * p.N + n];
  return s;
};

describe.skipIf(!haveSample)('folder provider on the real 1-minute sample', () => {
  const top = ['AAPL', 'AMD', 'AMZN', 'AVGO', 'BA', 'DIS', 'GOOG', 'INTC', 'IWM', 'META', 'MSFT', 'MU', 'NFLX', 'NVDA', 'ORCL', 'PLTR', 'QQQ', 'SMH', 'SPY', 'TSLA'];
  const rows: Record<string, number> = { BA: 3120, DIS: 5068, IWM: 5068, NFLX: 5068, QQQ: 5068, SMH: 5068, SPY: 5068 };

  it('reads all 20 top-level files on the calendar grid', async () => {
    const sessions = sessionsBetween('2026-03-12', '2026-03-30');
    expect(sessions).toHaveLength(13);
    const warnings: string[] = [];
    const p = await new FolderProvider({ path: SAMPLE }).fetch({ tickers: top, sessions, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    for (let n = 0; n < top.length; n++) expect(colSum(p, n), top[n]).toBe(rows[top[n]] ?? 4678);
    const aapl = top.indexOf('AAPL');
    expect(p.open[aapl]).toBeCloseTo(258.64, 4);
    expect(p.volume[aapl]).toBe(1169548);
    expect(new Date(p.time[0]).toISOString()).toBe('2026-03-12T13:30:00.000Z');
    // 2026-03-27: 388 bars, 15:25Z and 15:26Z missing for AAPL → masked, price carried forward.
    const s27 = p.sessions.find((s) => s.date === '2026-03-27')!;
    expect(colSum(p, aapl, s27.start, s27.start + 390)).toBe(388);
    const r = s27.start + (Date.parse('2026-03-27T15:25:00Z') - s27.openMs) / 60000;
    expect(p.mask[r * p.N + aapl]).toBe(0);
    expect(p.volume[r * p.N + aapl]).toBe(0);
    expect(p.close[r * p.N + aapl]).toBe(p.close[(r - 1) * p.N + aapl]);
    expect(p.open[r * p.N + aapl]).toBe(p.close[(r - 1) * p.N + aapl]);
    expect(p.mask[(r + 2) * p.N + aapl]).toBe(1);
    // BA ends 2026-03-23: later days carried forward, masked.
    const ba = top.indexOf('BA');
    const last = p.T - 1;
    expect(p.mask[last * p.N + ba]).toBe(0);
    expect(p.close[last * p.N + ba]).toBeGreaterThan(0);
  });

  it('reads long/SPY: 40 full sessions of Polygon-style bars', async () => {
    const sessions = sessionsBetween('2024-03-22', '2024-05-17');
    const p = await new FolderProvider({ path: join(SAMPLE, 'long') }).fetch({ tickers: ['SPY'], sessions });
    expect(p.T).toBe(15600);
    expect(colSum(p, 0)).toBe(15600);
  });

  it('reads sparse/: masked minutes carried forward, back-filled before the first bar', async () => {
    const sessions = sessionsBetween('2025-04-25', '2025-07-08');
    const tickers = ['DBB', 'FXY', 'INDA'];
    const p = await new FolderProvider({ path: join(SAMPLE, 'sparse') }).fetch({ tickers, sessions });
    expect([0, 1, 2].map((n) => colSum(p, n))).toEqual([2529, 8913, 15407]);
    // DBB starts 2025-05-09 13:30Z: rows before are back-filled from its first open (18.2), mask 0.
    const first = p.sessions.find((s) => s.date === '2025-05-09')!.start;
    expect(p.mask[first * 3]).toBe(1);
    expect(p.open[first * 3]).toBeCloseTo(18.2, 4);
    for (const t of [0, 1, first - 1]) {
      expect(p.mask[t * 3]).toBe(0);
      expect(p.close[t * 3]).toBeCloseTo(18.2, 4);
      expect(p.volume[t * 3]).toBe(0);
    }
    // A gap inside the day carries the previous close.
    for (let t = first + 1; t < first + 27; t++) expect(p.close[t * 3]).toBe(p.close[first * 3]);
    expect(p.mask[(first + 27) * 3]).toBe(1);
  });

  it('precheck over the sample reports coverage and sparse days', async () => {
    const provider = createProvider({ provider: 'folder', folder: { path: '../shared/data/real-1min/sparse' } }, { baseDir: repoRoot, env: {} });
    const sessions = sessionsBetween('2025-05-09', '2025-06-23');
    const report = await runPrecheck(provider, { tickers: ['DBB', 'FXY', 'INDA'], sessions, sampleInterval: 15, warmup: 120, horizon: 15, minSamples: 0 });
    const dbb = report.tickers[0];
    expect(dbb.missingPct).toBeGreaterThan(80);
    expect(report.tickers[2].missingPct).toBeLessThan(5);
    expect(report.estimate.real).toBeLessThan(report.estimate.formula);
  });

  it('defaultEndDate finds the latest date in the folder', () => {
    expect(defaultEndDate({ provider: 'folder', folder: { path: '../shared/data/real-1min' } }, { baseDir: repoRoot })).toBe('2026-03-30');
    expect(defaultEndDate({ provider: 'folder', folder: { path: '../shared/data/real-1min/long' } }, { baseDir: repoRoot })).toBe('2024-05-17');
  });

  it('maps StockDataSave-style columns (Datetime,Close,High,Low,Open,Volume) case-insensitively', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'folder-'));
    const src = readFileSync(join(SAMPLE, 'AAPL.csv'), 'utf8').trim().split('\n').slice(1, 400);
    const out = ['Datetime,Close,High,Low,Open,Volume'];
    for (const l of src) {
      const [t, o, h, lo, c, v] = l.split(',');
      out.push([t.replace('Z', '+00:00'), c, h, lo, o, v].join(','));
    }
    writeFileSync(join(dir, 'AAPL.csv'), out.join('\n') + '\n');
    const sessions = sessionsBetween('2026-03-12', '2026-03-13');
    const p = await new FolderProvider({ path: dir, columns: { timestamp: 'Datetime', open: 'Open', high: 'High', low: 'Low', close: 'Close', volume: 'Volume' } }).fetch({ tickers: ['AAPL'], sessions });
    const ref = await new FolderProvider({ path: SAMPLE }).fetch({ tickers: ['AAPL'], sessions });
    expect(colSum(p, 0)).toBe(399);
    for (let t = 0; t < 399; t++) {
      expect(p.open[t]).toBe(ref.open[t]);
      expect(p.close[t]).toBe(ref.close[t]);
      expect(p.volume[t]).toBe(ref.volume[t]);
    }
  });
});

describe('folder provider: formats, timestamps and bad input', () => {
  let dir: string;
  const sessions = sessionsEnding('2026-10-30', 3);
  let synth: Panel;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

  function toCsv(p: Panel, n: number, ts: (ms: number) => string, header = 'timestamp,open,high,low,close,volume'): string {
    const lines = [header];
    for (let t = 0; t < p.T; t++) {
      const i = t * p.N + n;
      if (!p.mask[i]) continue;
      lines.push([ts(p.time[t]), p.open[i], p.high[i], p.low[i], p.close[i], p.volume[i]].join(','));
    }
    return lines.join('\n') + '\n';
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'folder-'));
    synth = await new SyntheticProvider(7).fetch({ tickers: ['AAA', 'BBB', 'CCC', 'DDD', 'EEE'], sessions });
    writeFileSync(join(dir, 'AAA.csv'), toCsv(synth, 0, iso));
    writeFileSync(join(dir, 'BBB.csv.gz'), gzipSync(toCsv(synth, 1, (ms) => String(ms / 1000))));
    writeFileSync(join(dir, 'CCC.csv'), toCsv(synth, 2, (ms) => String(ms)));
  });

  it('round-trips synthetic bars through CSV, CSV.GZ (epoch s) and CSV (epoch ms) exactly', async () => {
    const p = await new FolderProvider({ path: dir }).fetch({ tickers: ['AAA', 'BBB', 'CCC'], sessions });
    const ref = await new SyntheticProvider(7).fetch({ tickers: ['AAA', 'BBB', 'CCC'], sessions });
    expect(fingerprintPanel(p)).toBe(fingerprintPanel(ref));
  });

  it('reads naive exchange-time timestamps, drops extended hours, handles duplicates and disorder', async () => {
    const d = join(dir, 'et');
    mkdirSync(d, { recursive: true });
    const lines = toCsv(synth, 3, (ms) => {
      // Naive America/New_York wall-clock time.
      const f = new Intl.DateTimeFormat('sv-SE', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
      return f.format(new Date(ms)).replace(',', '');
    })
      .trim()
      .split('\n');
    const header = lines.shift()!;
    const body = [...lines];
    body.splice(10, 0, `${sessions[0].date} 08:15:00,1,1,1,1,100`); // pre-market
    body.push(`${sessions[2].date} 17:30:00,1,1,1,1,100`); // after hours
    body.push(lines[5]); // duplicate
    [body[20], body[21]] = [body[21], body[20]]; // out of order
    writeFileSync(join(d, 'DDD.csv'), [header, ...body].join('\n') + '\n');
    const warnings: string[] = [];
    const p = await new FolderProvider({ path: d, timezone: 'exchange' }).fetch({ tickers: ['DDD'], sessions, onWarning: (w) => warnings.push(w) });
    const ref = await new SyntheticProvider(7).fetch({ tickers: ['DDD'], sessions });
    expect(fingerprintPanel(p)).toBe(fingerprintPanel(ref));
    expect(warnings.some((w) => /1 duplicate timestamp/.test(w) && /DDD\.csv:\d+/.test(w))).toBe(true);
    expect(warnings.some((w) => /out of time order/.test(w))).toBe(true);
  });

  it('warns when no row falls in regular hours (wrong timezone)', async () => {
    const d = join(dir, 'tz');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'AAA.csv'), `timestamp,open,high,low,close,volume\n${sessions[0].date}T02:00:00Z,1,1,1,1,5\n`);
    const warnings: string[] = [];
    await new FolderProvider({ path: d }).fetch({ tickers: ['AAA'], sessions, onWarning: (w) => warnings.push(w) });
    expect(warnings.join('\n')).toMatch(/check data.folder.timezone/);
  });

  it('bad rows: dropped with file:line, or rejected', async () => {
    const d = join(dir, 'bad');
    mkdirSync(d, { recursive: true });
    const t0 = iso(sessions[0].openMs);
    const t1 = iso(sessions[0].openMs + 60000);
    const t2 = iso(sessions[0].openMs + 120000);
    const t3 = iso(sessions[0].openMs + 180000);
    writeFileSync(
      join(d, 'AAA.csv'),
      `timestamp,open,high,low,close,volume\n${t0},10,11,9,10.5,100\n${t1},10,9,11,10,100\n${t2},10,11,9,10,-5\n${t3},10,11,9,,100\n`,
    );
    const warnings: string[] = [];
    const p = await new FolderProvider({ path: d }).fetch({ tickers: ['AAA'], sessions, onWarning: (w) => warnings.push(w) });
    expect(colSum(p, 0)).toBe(1);
    const w = warnings.join('\n');
    expect(w).toContain('AAA.csv:3: bad row (high 9 < low 11)');
    expect(w).toContain('AAA.csv:4: bad row (negative volume -5)');
    expect(w).toContain('AAA.csv:5: bad row');
    await expect(new FolderProvider({ path: d, bad_rows: 'reject' }).fetch({ tickers: ['AAA'], sessions })).rejects.toThrow(/AAA\.csv:3: bad row \(high 9 < low 11\)/);
  });

  it('unknown ticker: DataError naming ticker, folder and close names', async () => {
    const err = await new FolderProvider({ path: dir }).fetch({ tickers: ['AAB'], sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain('unknown ticker AAB');
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/close names: AAA/);
  });

  it('missing folder is a DataError', async () => {
    await expect(new FolderProvider({ path: join(dir, 'nope') }).fetch({ tickers: ['AAA'], sessions })).rejects.toThrow(/does not exist/);
  });

  it('unparseable timestamp: DataError with file:line and the expected format', async () => {
    const d = join(dir, 'ts');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'AAA.csv'), `timestamp,open,high,low,close,volume\n${iso(sessions[0].openMs)},1,1,1,1,1\nyesterday noon,1,1,1,1,1\n`);
    const err = await new FolderProvider({ path: d }).fetch({ tickers: ['AAA'], sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/AAA\.csv:3: cannot parse timestamp "yesterday noon"/);
    expect(err.message).toMatch(/ISO 8601/);
  });

  it('wrong columns: DataError with file:1, the expected and the found columns', async () => {
    const d = join(dir, 'cols');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'AAA.csv'), `when,price,size\n2026-10-30T13:30:00Z,1,1\n`);
    const err = await new FolderProvider({ path: d }).fetch({ tickers: ['AAA'], sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/AAA\.csv:1: missing column\(s\) timestamp, open, high, low, close, volume; expected columns timestamp, open, high, low, close, volume \(found: when, price, size\)/);
    expect(err.hint).toMatch(/data.folder.columns/);
  });

  it('half-written downloads: truncated gzip, truncated parquet, cut-off CSV line', async () => {
    const d = join(dir, 'trunc');
    mkdirSync(d, { recursive: true });
    const gz = gzipSync(toCsv(synth, 0, iso));
    writeFileSync(join(d, 'AAA.csv.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const e1 = await new FolderProvider({ path: d }).fetch({ tickers: ['AAA'], sessions }).catch((e) => e);
    expect(e1).toBeInstanceOf(DataError);
    expect(e1.message).toContain(join(d, 'AAA.csv.gz'));
    expect(e1.message).toMatch(/truncated or corrupt gzip/);

    const pq = writeParquet([
      { name: 'timestamp', type: 'int64', values: [BigInt(sessions[0].openMs)], timestampMillis: true },
      { name: 'open', type: 'double', values: [1] },
      { name: 'high', type: 'double', values: [1] },
      { name: 'low', type: 'double', values: [1] },
      { name: 'close', type: 'double', values: [1] },
      { name: 'volume', type: 'double', values: [1] },
    ]);
    writeFileSync(join(d, 'BBB.parquet'), pq.subarray(0, pq.length - 20));
    const e2 = await new FolderProvider({ path: d }).fetch({ tickers: ['BBB'], sessions }).catch((e) => e);
    expect(e2).toBeInstanceOf(DataError);
    expect(e2.message).toContain(join(d, 'BBB.parquet'));
    expect(e2.message).toMatch(/not a readable Parquet file/);

    const csv = toCsv(synth, 2, iso);
    writeFileSync(join(d, 'CCC.csv'), csv.slice(0, csv.length - 30));
    const warnings: string[] = [];
    await new FolderProvider({ path: d }).fetch({ tickers: ['CCC'], sessions, onWarning: (w) => warnings.push(w) });
    expect(warnings.join('\n')).toMatch(/CCC\.csv:\d+: incomplete last line .* truncated/);
    await expect(new FolderProvider({ path: d, bad_rows: 'reject' }).fetch({ tickers: ['CCC'], sessions })).rejects.toThrow(/incomplete last line/);
  });

  it('reads Parquet with timestamp-millis or ISO text timestamps', async () => {
    const d = join(dir, 'pq');
    mkdirSync(d, { recursive: true });
    for (const [name, n, asText] of [['AAA', 0, false], ['EEE', 4, true]] as const) {
      const ts: number[] = [];
      const cols = { open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[], volume: [] as number[] };
      for (let t = 0; t < synth.T; t++) {
        const i = t * synth.N + n;
        if (!synth.mask[i]) continue;
        ts.push(synth.time[t]);
        for (const f of ['open', 'high', 'low', 'close', 'volume'] as const) cols[f].push(synth[f][i]);
      }
      writeFileSync(
        join(d, `${name}.parquet`),
        writeParquet([
          asText
            ? { name: 'Datetime', type: 'string', values: ts.map((x) => iso(x)) }
            : { name: 'Datetime', type: 'int64', values: ts.map((x) => BigInt(x)), timestampMillis: true },
          ...(['open', 'high', 'low', 'close', 'volume'] as const).map((f) => ({ name: f[0].toUpperCase() + f.slice(1), type: 'double' as const, values: cols[f] })),
        ]),
      );
    }
    const p = await new FolderProvider({ path: d, format: 'parquet' }).fetch({ tickers: ['AAA', 'EEE'], sessions });
    const ref = await new SyntheticProvider(7).fetch({ tickers: ['AAA', 'EEE'], sessions });
    expect(fingerprintPanel(p)).toBe(fingerprintPanel(ref));
    expect(new FolderProvider({ path: d, format: 'parquet' }).latestDate()).toBe('2026-10-30');
  });

  it('identity names path, format, columns and timezone, and createProvider resolves relative paths', () => {
    const p = createProvider({ provider: 'folder', folder: { path: 'bars', timezone: 'exchange', columns: { timestamp: 'Datetime' } } }, { baseDir: '/specs', env: {} });
    expect(p.identity()).toEqual({
      provider: 'folder',
      path: '/specs/bars',
      format: 'auto',
      timezone: 'exchange',
      epoch_unit: 'auto',
      columns: { timestamp: 'Datetime', open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume' },
      bad_rows: 'drop',
    });
    expect(() => createProvider({ provider: 'folder' }, { baseDir: '/', env: {} })).toThrow(/data.folder.path/);
    expect(() => new FolderProvider({ path: '/x', timezone: 'Mars/Olympus' })).toThrow(/not a known time zone/);
  });
});
