import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../../src/spec/index.js';
import { UsageError } from '../../src/util/errors.js';
import { diagnosticsOf, MINIMAL, specFrom, tempDir, writeSpec } from './helpers.js';

describe('spec loading', () => {
  it('applies defaults to top level, shared params and step params', () => {
    const s = specFrom(MINIMAL);
    expect(s.seed).toBe(42);
    expect(s.batchSize).toBe(50);
    expect(s.params).toEqual({ days: 5, sample_interval: 15, warmup: 120, horizon: 15, epochs: 10, min_samples: 1000 });
    expect(s.steps.map((x) => [x.name, x.kind, x.inputs])).toEqual([
      ['bars', 'fetch', []],
      ['ind', 'indicators', ['bars']],
    ]);
  });

  it('reports malformed YAML at its line and column', () => {
    const d = diagnosticsOf('name: t\nuniverse:\n  tickers: [AAPL\nsteps: {}\n');
    expect(d[0].message).toMatch(/invalid YAML/);
    expect(d[0].location?.line).toBeGreaterThanOrEqual(3);
  });

  it('reports every problem at once with exact positions and suggestions', () => {
    const text = `name: t
universe:
  tickers: [AAPL]
params:
  sample_intervall: 10
  epochs: "five"
steps:
  bars:
    kind: fetchh
  ind:
    kind: indicators
    inputs: [barz]
  model:
    kind: train
    inputs: [ind]
    params:
      learning_rate: 0
`;
    const d = diagnosticsOf(text);
    const byMsg = (re: RegExp) => d.find((x) => re.test(x.message))!;
    const unknownKey = byMsg(/unknown key `sample_intervall`/);
    expect(unknownKey.location).toMatchObject({ line: 5, col: 3 });
    expect(unknownKey.hint).toBe('did you mean `sample_interval`?');
    expect(byMsg(/`epochs` must be an integer/).location).toMatchObject({ line: 6, col: 11 });
    const kind = byMsg(/unknown step kind `fetchh`/);
    expect(kind.location).toMatchObject({ line: 9, col: 11 });
    expect(kind.hint).toBe('did you mean `fetch`?');
    const input = byMsg(/reads input `barz`/);
    expect(input.location).toMatchObject({ line: 12, col: 14 });
    expect(input.hint).toBe('did you mean `bars`?');
    expect(byMsg(/`learning_rate` must be > 0/).location).toMatchObject({ line: 17, col: 22 });
    expect(d.length).toBe(5);
  });

  it('a step without kind gets exactly that error, not the params of every kind', () => {
    const d = diagnosticsOf('name: x\nuniverse: {tickers: [A]}\nsteps:\n  bars: {inputs: []}\n');
    expect(d.map((x) => x.message)).toEqual(['missing required key `kind` in `steps.bars`']);
    expect(d[0].location).toMatchObject({ line: 4, col: 9 });
  });

  it('reports a missing required key', () => {
    const d = diagnosticsOf('universe:\n  tickers: [A]\nsteps:\n  a: {kind: fetch}\n');
    expect(d[0].message).toBe('missing required key `name`');
    expect(d[0].hint).toBe('add `name:`');
  });

  it('maps --set and the seed flags onto spec params', () => {
    const s = specFrom(MINIMAL + '  model:\n    kind: train\n    inputs: [ind]\n    params: {epochs: 20}\n', {
      // `train` is the step's kind (the step is called model): one step of that kind, so it is meant.
      set: ['train.learning_rate=0.01', 'params.horizon=30'],
      flags: { days: 15, epochs: 3, sampleInterval: 10, maxTickers: 1 },
    });
    expect(s.params.days).toBe(15);
    expect(s.params.sample_interval).toBe(10);
    expect(s.params.horizon).toBe(30);
    // --epochs wins over a step that set epochs itself.
    expect(s.steps.find((x) => x.name === 'model')!.params).toMatchObject({ epochs: 3, learning_rate: 0.01 });
    expect(s.universe.tickers).toEqual(['AAPL']);
  });

  it('locates errors from overrides at the flag that caused them', () => {
    const d = diagnosticsOf(MINIMAL, { set: ['ind.nmes=[EMA_9]'] });
    expect(d[0].location?.file).toBe('--set ind.nmes=[EMA_9]');
    expect(d[0].hint).toBe('did you mean `names`?');
    const d2 = diagnosticsOf(MINIMAL, { set: ['nope.x=1'] });
    expect(d2[0].message).toMatch(/`nope` is neither a step/);
    const d3 = diagnosticsOf(MINIMAL, { flags: { days: 0 } });
    expect(d3[0].location?.file).toBe('--days 0');
  });

  it('reads tickers files and rejects missing, non-JSON and empty ones', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ok.json'), '["aapl", "MSFT", "AAPL"]');
    writeFileSync(join(dir, 'bad.json'), '["AAPL",');
    writeFileSync(join(dir, 'empty.json'), '[]');
    const spec = (file: string) => `name: t\nuniverse:\n  tickers_file: ${file}\nsteps:\n  a: {kind: fetch}\n`;
    const ok = loadSpec(writeSpec(spec('ok.json'), dir));
    expect(ok.universe.tickers).toEqual(['AAPL', 'MSFT']);
    expect(ok.notes).toEqual([expect.stringMatching(/lists AAPL more than once; each is used once \(2 tickers\)/)]);
    const err = (file: string) => {
      try {
        loadSpec(writeSpec(spec(file), dir));
      } catch (e) {
        return (e as UsageError).diagnostics[0];
      }
      throw new Error('expected failure');
    };
    expect(err('missing.json').message).toMatch(/does not exist/);
    expect(err('missing.json').location).toMatchObject({ line: 3, col: 17 });
    expect(err('bad.json').message).toMatch(/not valid JSON/);
    expect(err('empty.json').message).toMatch(/is empty/);
    // --tickers-file is read from the current folder and located at the flag.
    const viaFlag = loadSpec(writeSpec(MINIMAL, dir), { flags: { tickersFile: join(dir, 'ok.json') } });
    expect(viaFlag.universe.tickers).toEqual(['AAPL', 'MSFT']);
  });

  it('rejects a missing spec file with exit code 2', () => {
    try {
      loadSpec('/nonexistent/spec.yaml');
      throw new Error('expected failure');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).exitCode).toBe(2);
    }
  });
});

describe('defaults of step kinds', () => {
  it('apply when a step has no params block at all', () => {
    const s = specFrom(`name: t
universe: {tickers: [A]}
steps:
  bars: {kind: fetch}
  ind: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [ind, bars]}
  model: {kind: train, inputs: [samples]}
  bt: {kind: backtest, inputs: [model, bars, ind]}
`);
    expect(s.steps.find((x) => x.name === 'model')!.params).toEqual({ model: 'indicator-transformer', preset: 'small', batch_size: 256, learning_rate: 0.001, val_fraction: 0.15, test_fraction: 0.2, gate_penalty: 0.01, target: 'return', checkpoint: 'indicator_transformer_mlx_best.safetensors' });
    expect(s.steps.find((x) => x.name === 'bt')!.params).toEqual({
      strategies: ['model', 'avwap', 'rsi-reversion', 'model-all', 'buy-and-hold'],
      compare: ['model', 'avwap'],
      threshold: 0,
      commission_bps: 0.5,
      slippage_bps: 1,
      range_slippage: 0,
      volume_slippage_bps: 0,
      direction: 'long-short',
      max_weight: 1,
      flat_at_close: true,
      bootstrap_samples: 2000,
      confidence: 0.95,
    });
    expect(s.data).toMatchObject({ provider: 'synthetic' });
  });
});

describe('shipped pipelines', () => {
  it('every pipelines/*.yaml validates and plans', async () => {
    const { readdirSync } = await import('node:fs');
    const { PACKAGE_ROOT } = await import('../../src/util/paths.js');
    const { planFor } = await import('../../src/run.js');
    const dir = join(PACKAGE_ROOT, 'pipelines');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['quickstart.yaml', 'curated.yaml', 'all-tickers.yaml']));
    for (const f of files) {
      const spec = loadSpec(join(dir, f));
      expect(planFor(spec).nodes.size).toBeGreaterThan(0);
    }
    expect(loadSpec(join(dir, 'curated.yaml')).universe.tickers).toHaveLength(32);
    expect(loadSpec(join(dir, 'all-tickers.yaml')).universe.tickers).toHaveLength(655);
    expect(loadSpec(join(dir, 'all-tickers.yaml'), { flags: { maxTickers: 50 } }).universe.tickers).toHaveLength(50);
  });
});

describe('indicator names in specs', () => {
  it('are checked at load time against the 111 names, with a suggestion', async () => {
    const d = diagnosticsOf(MINIMAL.replace('    inputs: [bars]\n', '    inputs: [bars]\n    params:\n      names: [AVWAP_SESSION, RSI14]\n'));
    expect(d[0].message).toBe('unknown value for `names[1]` `RSI14`');
    expect(d[0].hint).toBe('did you mean `RSI_14`?');
    expect(d[0].location).toMatchObject({ line: 11, col: 30 });
  });

  it('the schema lists exactly the engine names, in order (editors complete them)', async () => {
    const { readFileSync } = await import('node:fs');
    const { INDICATOR_NAMES } = await import('../../src/indicators/index.js');
    const { SCHEMAS_DIR } = await import('../../src/util/paths.js');
    const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'pipeline.schema.json'), 'utf8'));
    expect(schema.definitions.indicatorName.enum).toEqual([...INDICATOR_NAMES]);
  });
});

describe('data.end', () => {
  it('must be a real day with sessions before it, checked at load time', () => {
    const spec = (end: string) => `name: x\nuniverse: {tickers: [A]}\ndata: {end: ${end}}\nsteps:\n  bars: {kind: fetch}\n`;
    const d = diagnosticsOf(spec('2026-02-30'));
    expect(d[0].message).toBe('data.end: invalid date "2026-02-30": no such calendar day');
    expect(d[0].location).toMatchObject({ line: 3, col: 13 });
    expect(diagnosticsOf(spec('1999-01-05'))[0].message).toMatch(/outside the exchange calendar's range/);
    expect(specFrom(spec('2026-03-20')).data.end).toBe('2026-03-20');
  });
});

describe('hints for common slips', () => {
  it('points shared knobs to params, names bad symbols and bad tickers-file entries', () => {
    const d = diagnosticsOf('name: x\nsample_interval: 5\nuniverse: {tickers: [AAPL, "BAD$"]}\nsteps:\n  bars: {kind: fetch, params: {epochs: 3}}\n');
    expect(d.map((x) => [x.message, x.hint])).toEqual([
      ['unknown key `sample_interval`', 'shared knobs go under `params:` (params: { sample_interval: … })'],
      ['`tickers[1]` the text "BAD$" is not a ticker symbol', 'symbols are 1–12 letters, digits, ".", "^" or "-", e.g. AAPL, BRK.B'],
      ['unknown key `epochs` in `steps.bars.params`', 'this step does not read `epochs`; set it under the top-level `params:` or on the step that uses it'],
    ]);
    const dir = tempDir();
    writeFileSync(join(dir, 't.json'), '["AAPL", 3]');
    try {
      loadSpec(writeSpec('name: t\nuniverse: {tickers_file: t.json}\nsteps:\n  a: {kind: fetch}\n', dir));
      throw new Error('expected failure');
    } catch (e) {
      expect((e as UsageError).diagnostics[0].message).toMatch(/entry 2 \(3\) is not a symbol/);
    }
  });
});
