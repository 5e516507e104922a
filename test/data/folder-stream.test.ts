/**
 * Folder provider, big-file and timestamp-form behaviour: streaming that is chunk-boundary safe,
 * aborts that stop the read, errors that name the file, and files that mix timestamp forms.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
import { runCli } from '../runner/cli.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SAMPLE = resolve(repoRoot, '../shared/data/real-1min');
const haveSample = existsSync(join(SAMPLE, 'AAPL.csv'));
const HEADER = 'timestamp,open,high,low,close,volume';
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function barLines(p: Panel, n: number, ts: (ms: number) => string, extra = (_t: number) => ''): string[] {
  const out: string[] = [];
  for (let t = 0; t < p.T; t++) {
    const i = t * p.N + n;
    if (p.mask[i]) out.push([ts(p.time[t]), p.open[i], p.high[i], p.low[i], p.close[i], p.volume[i]].join(',') + extra(t));
  }
  return out;
}

async function fetchAll(dir: string, tickers: string[], sessions: ReturnType<typeof sessionsEnding>, opts: ConstructorParameters<typeof FolderProvider>[1] = {}) {
  const warnings: string[] = [];
  const panel = await new FolderProvider({ path: dir }, opts).fetch({ tickers, sessions, onWarning: (w) => warnings.push(w) });
  return { fingerprint: fingerprintPanel(panel), warnings };
}

describe('folder provider: streamed reads', () => {
  const sessions = sessionsEnding('2026-10-30', 2);
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'folder-stream-'));
    const synth = await new SyntheticProvider(3).fetch({ tickers: ['AAA'], sessions });
    // Everything a boundary could cut: a BOM, CRLF endings, multi-byte text in an extra column,
    // a duplicate, a bad row, and a cut-off last line.
    const rows = barLines(synth, 0, iso, (t) => `,${t % 3 === 0 ? 'é€😀' : 'plain'}`);
    rows.splice(40, 0, rows[39]);
    rows.splice(80, 0, `${iso(sessions[0].openMs + 60_000)},10,9,11,10,100,bad`);
    const text = '\uFEFF' + [HEADER + ',note', ...rows].join('\r\n') + '\r\n' + rows[5].slice(0, 15);
    writeFileSync(join(dir, 'AAA.csv'), text);
    writeFileSync(join(dir, 'BBB.csv.gz'), gzipSync(text));
  });

  it('gives the same panel and warnings whatever the chunk size (CSV and CSV.GZ)', async () => {
    for (const t of ['AAA', 'BBB']) {
      const whole = await fetchAll(dir, [t], sessions);
      expect(whole.warnings.join('\n')).toMatch(/duplicate timestamp/);
      expect(whole.warnings.join('\n')).toMatch(/bad row \(high 9 < low 11\)/);
      expect(whole.warnings.join('\n')).toMatch(/incomplete last line/);
      for (const chunkBytes of [1, 3, 7, 64, 1000]) {
        const chunked = await fetchAll(dir, [t], sessions, { chunkBytes });
        expect(chunked, `${t} with ${chunkBytes}-byte chunks`).toEqual(whole);
      }
    }
  });

  it('stops promptly on abort: rejects with an AbortError naming the file, reading no further chunk', async () => {
    const big = await new SyntheticProvider(4).fetch({ tickers: ['CCC'], sessions: sessionsEnding('2026-10-30', 20) });
    const d = join(dir, 'abort');
    mkdirSync(d, { recursive: true });
    const text = [HEADER, ...barLines(big, 0, iso)].join('\n') + '\n';
    writeFileSync(join(d, 'CCC.csv'), text);
    writeFileSync(join(d, 'DDD.csv.gz'), gzipSync(text));
    for (const t of ['CCC', 'DDD']) {
      const file = join(d, t === 'CCC' ? 'CCC.csv' : 'DDD.csv.gz');
      const controller = new AbortController();
      let chunks = 0;
      let afterAbort = 0;
      let bytesAtAbort = 0;
      const onChunk = (_f: string, bytes: number) => {
        if (controller.signal.aborted) afterAbort++;
        else if (++chunks === 3) {
          bytesAtAbort = bytes;
          controller.abort();
        }
      };
      const err = await new FolderProvider({ path: d }, { chunkBytes: 4096, onChunk })
        .fetch({ tickers: [t], sessions: big.sessions, signal: controller.signal })
        .catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('AbortError');
      expect(err.message).toContain(file);
      expect(afterAbort).toBe(0);
      expect(bytesAtAbort).toBeLessThan(statSync(file).size);
    }
  });

  it('names the file in read errors and refuses a "line" that never ends', async () => {
    const d = join(dir, 'errors');
    mkdirSync(join(d, 'EEE.csv'), { recursive: true }); // a folder where a file should be
    const e1 = await new FolderProvider({ path: d }).fetch({ tickers: ['EEE'], sessions }).catch((e) => e);
    expect(e1).toBeInstanceOf(DataError);
    expect(e1.message).toContain(`${join(d, 'EEE.csv')}: cannot read`);

    writeFileSync(join(d, 'FFF.csv'), HEADER + '\n' + 'x'.repeat(1.5 * 2 ** 20));
    const e2 = await new FolderProvider({ path: d }).fetch({ tickers: ['FFF'], sessions }).catch((e) => e);
    expect(e2).toBeInstanceOf(DataError);
    expect(e2.message).toContain(`${join(d, 'FFF.csv')}:2: a line longer than`);

    writeFileSync(join(d, 'GGG.csv'), '\n\n');
    await expect(new FolderProvider({ path: d }).fetch({ tickers: ['GGG'], sessions })).rejects.toThrow(`${join(d, 'GGG.csv')}:1: the file is empty`);
  });
});

describe('folder provider: timestamp forms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'folder-forms-'));
  const write = (name: string, lines: string[]) => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'AAA.csv'), [HEADER, ...lines].join('\n') + '\n');
    return d;
  };
  const bar = (ts: string) => `${ts},10,11,9,10.5,100`;
  // 2024-03-08 is on EST (−05:00), 2024-03-11 on EDT (−04:00): America/New_York changed in between.
  const dst = sessionsBetween('2024-03-08', '2024-03-11');

  it.skipIf(!haveSample)('naive stamps after Z stamps (a careless merge): DataError naming the file and the first line of each form', async () => {
    const src = readFileSync(join(SAMPLE, 'AAPL.csv'), 'utf8').trim().split('\n');
    const toNaiveEt = (l: string) => {
      const [t, ...rest] = l.split(',');
      const et = new Intl.DateTimeFormat('sv-SE', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
      return [et.format(new Date(t)).replace(',', ''), ...rest].join(',');
    };
    // Rows 2..200 of the file keep their Z, rows from line 201 on are naive exchange time.
    const lines = [...src.slice(1, 200), ...src.slice(200, 400).map(toNaiveEt)];
    const d = write('merged', lines);
    const err = await new FolderProvider({ path: d }).fetch({ tickers: ['AAA'], sessions: sessionsBetween('2026-03-12', '2026-03-13') }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`${join(d, 'AAA.csv')}: timestamps mix naive and zoned forms`);
    expect(err.message).toContain(`line 2 "${src[1].split(',')[0]}" is absolute`);
    expect(err.message).toMatch(/line 201 "2026-03-12 \d\d:\d\d:00" has no offset/);
    expect(err.hint).toMatch(/one form/);
  });

  it('naive first, epoch later: also an error, both lines named', async () => {
    const d = write('epoch', [bar('2024-03-08 09:30:00'), bar('2024-03-08 09:31:00'), bar(String(dst[0].openMs + 120_000))]);
    const err = await new FolderProvider({ path: d, timezone: 'exchange' }).fetch({ tickers: ['AAA'], sessions: dst }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/line 2 "2024-03-08 09:30:00" has no offset, line 4 "\d+" is absolute/);
  });

  it('−05:00 and −04:00 across a New York DST change are one zone: read, equal to the Z form', async () => {
    const d1 = write('dst', [bar('2024-03-08T09:30:00-05:00'), bar('2024-03-08T09:31:00-05:00'), bar('2024-03-11T09:30:00-04:00')]);
    const d2 = write('dst-z', [bar('2024-03-08T14:30:00Z'), bar('2024-03-08T14:31:00+00:00'), bar('2024-03-11T13:30:00Z')]);
    const a = await new FolderProvider({ path: d1 }).fetch({ tickers: ['AAA'], sessions: dst });
    const b = await new FolderProvider({ path: d2 }).fetch({ tickers: ['AAA'], sessions: dst });
    expect(a.mask[0] + a.mask[1] + a.mask[dst[1].start]).toBe(3);
    expect(fingerprintPanel(a)).toBe(fingerprintPanel(b));
  });

  it('offsets no single zone explains (−04:00 and +00:00 for New York bars): DataError naming both lines', async () => {
    const d = write('offsets', [bar('2024-03-11T09:30:00-04:00'), bar('2024-03-11T09:31:00-04:00'), bar('2024-03-11T13:32:00+00:00')]);
    const err = await new FolderProvider({ path: d }).fetch({ tickers: ['AAA'], sessions: dst }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`${join(d, 'AAA.csv')}: timestamps mix UTC offsets that no single time zone explains: line 2 is -04:00, line 4 is +00:00`);
    expect(err.message).toContain('line 4 is +00:00 where America/New_York is -04:00');
    expect(err.hint).toMatch(/data.folder.timezone/);
  });

  it('another zone\'s offsets are accepted once timezone names it', async () => {
    // London: +00:00 in winter, +01:00 from 2024-03-31; the bars are still New York session minutes.
    const s = sessionsBetween('2024-03-28', '2024-04-01');
    const lines = [bar('2024-03-28T13:30:00+00:00'), bar('2024-04-01T14:30:00+01:00')];
    const d = write('london', lines);
    await expect(new FolderProvider({ path: d }).fetch({ tickers: ['AAA'], sessions: s })).rejects.toThrow(/no single time zone/);
    const p = await new FolderProvider({ path: d, timezone: 'Europe/London' }).fetch({ tickers: ['AAA'], sessions: s });
    expect(p.mask[0] + p.mask[s[s.length - 1].start]).toBe(2);
  });

  it('the CLI fails the run with the file and both lines, no stack trace', async () => {
    const d = write('cli', [bar('2024-03-11T13:30:00Z'), bar('2024-03-11 09:31:00')]);
    const spec = join(d, 'spec.yaml');
    writeFileSync(
      spec,
      `name: mixed
universe: {tickers: [AAA]}
data: {provider: folder, end: 2024-03-11, folder: {path: .}}
params: {days: 2}
steps:
  bars: {kind: fetch}
`,
    );
    const r = await runCli(['run', spec, '--cache-dir', join(d, 'cache'), '--models-dir', join(d, 'models')]);
    // cli.ts: a DataError inside a run is "a run failed" (exit 1); spec and usage errors exit 2.
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain(join(d, 'AAA.csv'));
    expect(out).toMatch(/line 2 "2024-03-11T13:30:00Z" is absolute.*line 3 "2024-03-11 09:31:00" has no offset/);
    expect(out).not.toMatch(/\n\s+at /);
  }, 60_000);
});
