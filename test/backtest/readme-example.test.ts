/**
 * The README's backtest snippets, taken from README.md ("Backtest and report") and run as written
 * in a child process (only `from 'mlx-intraday'` is pointed at this checkout's src/index.ts). The
 * model snippet reads models/quickstart.safetensors, so the quickstart is trained first (one epoch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { runVectorizedBacktest } from '../../src/backtest/index.js';
import { tempDir } from '../runner/helpers.js';

const run = promisify(execFile);
const TSX = pathToFileURL(join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const ENTRY = pathToFileURL(join(PACKAGE_ROOT, 'src', 'index.ts')).href;

/** The ```ts blocks of the README's backtest section. */
function snippets(): string[] {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Backtest and report');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const dir = tempDir('mlxi-readme-');

async function runSnippet(code: string, name: string): Promise<string> {
  expect(code).toContain("from 'mlx-intraday'");
  const file = join(dir, name);
  writeFileSync(file, code.replaceAll("from 'mlx-intraday'", `from '${ENTRY}'`));
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', TSX, file], { cwd: dir, timeout: 240_000, env: { ...process.env, MLX_INTRADAY_REPORTS: '' } });
  return stdout;
}

beforeAll(async () => {
  mkdirSync(join(dir, 'models'), { recursive: true });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README backtest snippets', () => {
  const [bySymbols, withModel] = snippets();

  it('there are two: symbols and dates, then a trained model', () => {
    expect(bySymbols).toMatch(/symbols: \['AAPL', 'MSFT', 'NVDA'\],\n\s+start: '2026-10-01',\n\s+end: '2026-10-30'/);
    expect(withModel).toContain("barModelFrom(loadCheckpoint('models/quickstart.safetensors'))");
  });

  it('symbols and dates: prints each strategy, the verdict and the report it wrote, as the library returns them', async () => {
    const out = (await runSnippet(bySymbols, 'by-symbols.mts')).trim().split('\n');
    // The same call in this process: the snippet shows what the function returns.
    const r = await runVectorizedBacktest({
      symbols: ['AAPL', 'MSFT', 'NVDA'],
      start: '2026-10-01',
      end: '2026-10-30',
      strategy: ['avwap', 'rsi-reversion', 'buy-and-hold'],
      data: { provider: 'synthetic' },
      costs: { commissionBps: 0.5, slippageBps: 1 },
      compare: { a: 'avwap', b: 'buy-and-hold' },
    });
    expect(out.slice(0, 3)).toEqual(
      r.strategies.map((s) => `${s.name}: return ${(100 * s.overall.totalReturn).toFixed(2)}%, Sharpe ${s.overall.sharpe.toFixed(2)}, max DD ${(100 * s.overall.maxDrawdown).toFixed(2)}%, ${s.overall.trades} trades`),
    );
    expect(out[3]).toBe(r.comparison!.verdict);
    expect(out[3]).toMatch(/^(avwap beats buy-and-hold|buy-and-hold beats avwap|no significant difference) at 95%$/);
    expect(out[4]).toBe(join(dir, 'reports', 'my-backtest', 'index.html'));
    expect(readFileSync(out[4], 'utf8')).toContain(r.comparison!.verdict);
  });

  it('with the quickstart model: A and C trade out of sample, compared with B', async () => {
    const spec = loadSpec(join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml'), { set: ['params.epochs=1', 'params.days=10'] });
    const trained = await runPipeline(spec, { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), reportsDir: join(dir, 'run-reports') });
    expect(trained.status).toBe('ok');
    const ckpt = join(dir, 'models', 'quickstart.safetensors');
    expect(existsSync(ckpt)).toBe(true);
    // The checkpoint carries the per-regime selection strategy A uses.
    expect(loadCheckpoint(ckpt).metrics?.evaluation?.usefulness?.length).toBeGreaterThan(0);
    const out = (await runSnippet(withModel, 'with-model.mts')).trim().split('\n');
    expect(out).toHaveLength(2);
    const parts = out[0].split(' | ').map((x) => x.split(' '));
    expect(parts.map((p) => p[0])).toEqual(['model', 'avwap', 'model-all', 'buy-and-hold']);
    for (const p of parts) expect(Number.isFinite(Number(p[1]))).toBe(true);
    expect(out[1]).toMatch(/^(model beats avwap|avwap beats model|no significant difference) at 95%$/);
  });
});
