/**
 * `mlx-intraday select` as a user runs it (the CLI entry in a child process): the ranking it
 * prints equals the library's on the same bars, and every bad input — unknown regime or ticker,
 * a missing, truncated or foreign checkpoint, an indicator list the engine does not compute —
 * is a clear message with exit 2 and no stack trace.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { sessionsEnding } from '../../src/data/calendar.js';
import { samplePoints } from '../../src/data/precheck.js';
import { computeIndicators } from '../../src/indicators/index.js';
import { buildSamples, sampleRegimeContext } from '../../src/steps/sample.js';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { encodeCheckpoint, saveCheckpoint } from '../../src/model/checkpoint.js';
import { writeSidecar } from '../../src/model/sidecar.js';
import { loadModel } from '../../src/model/select.js';
import { REGIME_NAMES } from '../../src/model/regime.js';
import { encodeSafetensors } from '../../src/tensor/safetensors.js';
import type { TrainResult } from '../../src/model/types.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { tempDir } from '../runner/helpers.js';

const NAMES = ['AVWAP_SESSION', 'EMA_21', 'RSI_14', 'ROC_10', 'ATR_14', 'OBV_SESSION', 'BB_PCTB_20', 'MFI_14'];
const TICKERS = ['MSFT', 'KO', 'AMD', 'TSLA', 'XOM', 'JPM'];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(PACKAGE_ROOT, 'src', 'cli.ts'), 'select', ...args], { encoding: 'utf8', cwd: PACKAGE_ROOT, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A bad input: exit 2, the message on stderr, a fix line, no stack trace. */
function expectUsage(r: ReturnType<typeof cli>, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/\n {2}fix: /);
  expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  expect(r.stdout).toBe('');
}

let dir: string;
let model: string;
let result: TrainResult;

beforeAll(async () => {
  dir = tempDir();
  const panel = await new SyntheticProvider(7).fetch({ tickers: TICKERS, sessions: sessionsEnding('2026-10-23', 4) });
  const ind = computeIndicators(panel, { names: NAMES });
  const pts = samplePoints(panel, { warmup: 120, sample_interval: 5, horizon: 15 });
  const s = buildSamples(panel, ind.values, ind.F, ind.names.indexOf('AVWAP_SESSION'), pts, 15);
  const rc = sampleRegimeContext(panel, pts);
  result = await trainModel(
    { X: s.X, y: s.y, time: s.time, ticker: s.ticker, tickers: TICKERS, featureNames: ind.names, S: s.S, F: ind.F, horizonMinutes: 15, regime: rc.regime, context: rc.context },
    { ...TRAIN_DEFAULTS, epochs: 2 },
  );
  model = join(dir, 'model.safetensors');
  saveCheckpoint(model, result);
  writeSidecar(model, result, { tickers: TICKERS });
}, 120_000);

describe('mlx-intraday select', () => {
  it('--json: the ranking the library gives on the same bars, with latest values', async () => {
    const r = cli(['--model', model, '--data', 'synthetic', '--ticker', 'KO', '--top', '5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ticker).toBe('KO');
    expect(REGIME_NAMES).toContain(out.regime);
    expect(out.regimeGiven).toBe(false);
    expect(out.indicators).toHaveLength(5);
    expect(out.indicators.map((x: { rank: number }) => x.rank)).toEqual([1, 2, 3, 4, 5]);
    const scores = out.indicators.map((x: { score: number }) => x.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The same five sessions (ending at the synthetic default end) through the library.
    const bars = await new SyntheticProvider(7).fetch({ tickers: ['KO'], sessions: sessionsEnding('2026-10-30', 5) });
    const lib = await loadModel(model).getOptimalIndicators(bars, { topK: 5, ticker: 'KO' });
    expect(out.time).toBe(new Date(lib.time).toISOString());
    expect(out.regime).toBe(lib.regime);
    expect(out.indicators.map((x: { name: string }) => x.name)).toEqual(lib.indicators.map((x) => x.name));
    out.indicators.forEach((x: { score: number; value: number | null }, i: number) => {
      expect(x.score).toBeCloseTo(lib.indicators[i].score, 6);
      if (Number.isFinite(lib.indicators[i].value)) expect(x.value).toBeCloseTo(lib.indicators[i].value, 4);
      else expect(x.value).toBeNull();
    });
  });

  it('a given regime is used as given; the text output is a ranked table; the ticker defaults to the sidecar’s first', () => {
    const r = cli(['--model', model, '--data', 'synthetic', '--regime', 'range-volatile', '--top', '3']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^MSFT at 2026-10-30 \d\d:\d\d UTC — regime range-volatile \(given\); top 3 by gate/);
    expect(lines[1]).toMatch(/rank\s+indicator\s+score\s+value/);
    expect(lines.slice(2)).toHaveLength(3);
    for (const [i, l] of lines.slice(2).entries()) expect(l).toMatch(new RegExp(`^\\s+${i + 1}\\s+(${NAMES.join('|')})\\s+0\\.\\d{4}\\s+\\S+$`));
  });

  it('unknown regime → exit 2 naming the regimes', () => {
    expectUsage(cli(['--model', model, '--data', 'synthetic', '--regime', 'sideways']), /unknown regime "sideways"[\s\S]*trend-calm, trend-volatile, range-calm, range-volatile/);
  });

  it('unknown ticker in a data folder, and a non-symbol ticker → exit 2', () => {
    const folder = join(dir, 'bars');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'AAA.csv'), 'timestamp,open,high,low,close,volume\n2026-10-30T14:30:00Z,1,1,1,1,100\n');
    expectUsage(cli(['--model', model, '--data', folder, '--ticker', 'ZZZ']), /unknown ticker ZZZ/);
    expectUsage(cli(['--model', model, '--data', 'synthetic', '--ticker', '../etc/passwd']), /not a ticker symbol/);
  });

  it('missing, truncated or foreign checkpoint → exit 2 with what is wrong', () => {
    expectUsage(cli(['--model', join(dir, 'none.safetensors'), '--data', 'synthetic']), /no checkpoint at .*none\.safetensors/);
    const bytes = readFileSync(model);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectUsage(cli(['--model', cut, '--data', 'synthetic']), /the checkpoint is truncated: \d+ bytes, its header promises \d+/);
    const text = join(dir, 'notes.safetensors');
    writeFileSync(text, 'these are not weights\n');
    expectUsage(cli(['--model', text, '--data', 'synthetic']), /cannot read the checkpoint/);
    const foreign = join(dir, 'foreign.safetensors');
    writeFileSync(foreign, encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }, { format: 'pt' }));
    expectUsage(cli(['--model', foreign, '--data', 'synthetic']), /not an mlx-intraday model checkpoint/);
  });

  it('a checkpoint reading indicators this engine does not compute → exit 2 naming them', () => {
    const names = [...result.config.featureNames];
    names[1] = 'EMA_21_OLD';
    names[4] = 'ATR_99';
    const other = join(dir, 'other.safetensors');
    writeFileSync(other, encodeCheckpoint({ ...result, config: { ...result.config, featureNames: names } }));
    expectUsage(cli(['--model', other, '--data', 'synthetic']), /indicator list differs from this engine's: it reads 2 indicators the engine does not compute \(EMA_21_OLD, ATR_99\)/);
  });

  it('a sidecar that lists other indicators than its checkpoint → exit 2 naming the differences', () => {
    const p = join(dir, 'pair.safetensors');
    saveCheckpoint(p, result);
    const side = writeSidecar(p, result);
    const sc = JSON.parse(readFileSync(side, 'utf8'));
    sc.indicators = sc.indicators.filter((n: string) => n !== 'RSI_14').concat('CCI_20');
    writeFileSync(side, JSON.stringify(sc));
    expectUsage(cli(['--model', p, '--data', 'synthetic']), /only in the checkpoint RSI_14; only in the sidecar CCI_20/);
  });
});
