/**
 * The README's TypeScript selection example, run as written: the ```ts block of the section
 * "Which indicators matter now" is extracted from README.md and executed in a child process in
 * a folder where `npm run demo`'s checkpoint exists (trained here from pipelines/quickstart.yaml,
 * 1 epoch). The one change: `from 'mlx-intraday'` points at this checkout's src/index.ts (the
 * packed install is tested in test/package/pack.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { INDICATOR_NAMES } from '../../src/indicators/index.js';
import { REGIME_NAMES } from '../../src/model/regime.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { tempDir } from '../runner/helpers.js';

function readmeExample(): string {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('## Which indicators matter now');
  expect(at, 'README section "Which indicators matter now"').toBeGreaterThan(0);
  const section = readme.slice(at, readme.indexOf('\n## ', at + 3));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  expect(m, 'a ```ts block in that section').not.toBeNull();
  return m![1];
}

describe('README selection example', () => {
  it('runs as written against the model a quickstart run publishes', async () => {
    const code = readmeExample();
    expect(code).toContain("from 'mlx-intraday'");
    const dir = tempDir();
    const spec = loadSpec(join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml'), { set: ['params.epochs=1'] });
    const r = await runPipeline(spec, { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models') });
    expect(r.status).toBe('ok');
    const file = join(dir, 'example.mts');
    writeFileSync(file, code.replace("from 'mlx-intraday'", `from ${JSON.stringify(pathToFileURL(join(PACKAGE_ROOT, 'src', 'index.ts')).href)}`));
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', pathToFileURL(join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, file], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_PATH: join(PACKAGE_ROOT, 'node_modules') } });
    expect(run.status, run.stderr).toBe(0);
    const [first, second] = run.stdout.trim().split('\n');
    // "<regime> NAME 0.123, NAME 0.456, …" (10 of them), then the top name in trend-volatile and 5 NAME=value.
    const [regime, ...rest] = first.split(' ');
    expect(REGIME_NAMES).toContain(regime);
    const ranked = rest.join(' ').split(', ').map((x) => x.split(' '));
    expect(ranked).toHaveLength(10);
    for (const [name, score] of ranked) {
      expect(INDICATOR_NAMES).toContain(name);
      expect(Number(score)).toBeGreaterThanOrEqual(0);
      expect(Number(score)).toBeLessThanOrEqual(1);
    }
    const words = second.split(' ');
    expect(INDICATOR_NAMES).toContain(words[0]);
    expect(words.slice(1)).toHaveLength(5);
    for (const w of words.slice(1)) expect(w).toMatch(/^[A-Z0-9_]+=(-?\d+\.\d{4}|NaN)$/);
  });
});
