/**
 * The README's Live commands, run as written in bash, with three substitutions: `mlx-intraday`
 * is this checkout's CLI (src/cli.ts through tsx), the model is a small one trained here
 * instead of the quickstart's (the same kind of checkpoint), and the port is a free one.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { trainedModelPath } from './model-fixture.js';

const hasCurl = spawnSync('curl', ['--version']).status === 0;

function liveBlock(): string {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('## Live');
  expect(at, 'README section "Live"').toBeGreaterThan(0);
  const section = readme.slice(at, readme.indexOf('\n## ', at + 3));
  const m = /```bash\n([\s\S]*?)```/.exec(section);
  expect(m, 'a ```bash block in the Live section').not.toBeNull();
  return m![1];
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describe.skipIf(!hasCurl)('README Live commands', () => {
  it('serve answers health, a bar and a selection, stops on kill with exit 0; replay finds 0 mismatches', async () => {
    const block = liveBlock();
    expect(block).toContain('mlx-intraday serve');
    expect(block).toContain('mlx-intraday replay');
    const tsx = pathToFileURL(join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const cli = `node --import '${tsx}' '${join(PACKAGE_ROOT, 'src', 'cli.ts')}'`;
    const port = await freePort();
    const script =
      'set -e\n' +
      block
        .replaceAll('mlx-intraday ', `${cli} `)
        .replaceAll('models/indicator_transformer_mlx_best.safetensors', await trainedModelPath())
        .replaceAll('8787', String(port))
        .replace('kill %1', 'kill %1; wait %1 && echo "serve exit 0"');
    const r = spawnSync('bash', ['-c', script], { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/"status":"ok"/);
    expect(r.stdout).toMatch(/"selections":\[\{"ticker":"AAPL","time":"2026-11-02T14:30:00.000Z"/);
    expect(r.stdout).toMatch(/\{"ticker":"AAPL","time":"2026-11-02T14:30:00.000Z","regime":"[a-z-]+","indicators":\[\{"rank":1/);
    expect(r.stdout).toMatch(/SIGTERM: closing[\s\S]*stopped[\s\S]*serve exit 0/);
    expect(r.stdout).toMatch(/346,320 values compared with the batch engine: 346,320 bit-identical, 0 mismatches/);
  });
});
