/**
 * The package as a user gets it: build src/ into a fresh dist/, `npm pack`, install the tarball
 * into a temp project and import it by name. Offline: the tarball is unpacked into the project's
 * node_modules (what `npm install <tarball>` does) and its dependencies are linked from this
 * repo's node_modules, so nothing is downloaded and native modules are not rebuilt.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { tempDir } from '../runner/helpers.js';

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' } });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw Object.assign(new Error(`${x.message}\n${x.stdout ?? ''}\n${x.stderr ?? ''}`), { stdout: x.stdout });
  }
}

/** A copy of the repo's package inputs with a dist/ built from the current sources. */
function stagePackage(root: string): string {
  const stage = join(root, 'stage');
  mkdirSync(stage);
  for (const f of ['package.json', 'README.md', 'schemas', 'pipelines', 'src', 'docs']) {
    if (existsSync(join(PACKAGE_ROOT, f))) cpSync(join(PACKAGE_ROOT, f), join(stage, f), { recursive: true });
  }
  // tsc emits even when a file being edited elsewhere has a type error; the import below tests the result.
  try {
    run(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PACKAGE_ROOT, 'tsconfig.json'), '--outDir', join(stage, 'dist'), '--sourceMap', 'false'], PACKAGE_ROOT);
  } catch {
    /* type errors are the typecheck's business */
  }
  return stage;
}

describe('the packed package', () => {
  it('installs from its tarball and imports by name, with types', () => {
    const root = tempDir('mlxi-pack-');
    const stage = stagePackage(root);
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', root], stage))[0];
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/indicators/worker.js');
    expect(files).toContain('schemas/pipeline.schema.json');
    expect(files).toContain('pipelines/quickstart.yaml');
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('docs/') || f === 'src/index.ts')).toBe(false);

    // "Install": unpack into node_modules/mlx-intraday, link its dependencies.
    const project = join(root, 'project');
    const nm = join(project, 'node_modules');
    const dest = join(nm, 'mlx-intraday');
    mkdirSync(dest, { recursive: true });
    run('tar', ['-xzf', join(root, packed.filename), '-C', dest, '--strip-components=1'], root);
    for (const dep of Object.keys(pkg.dependencies)) {
      const link = join(nm, dep);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(join(PACKAGE_ROOT, 'node_modules', dep), link, 'dir');
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));

    writeFileSync(
      join(project, 'main.mjs'),
      `import { loadSpec, listIndicators, createProvider, sessionsEnding, computeIndicators, PACKAGE_VERSION, UsageError, loadModel, loadSweep, runSweep } from 'mlx-intraday';
const sweep = loadSweep(new URL('./node_modules/mlx-intraday/pipelines/sweep.yaml', import.meta.url).pathname);
const spec = loadSpec(new URL('./node_modules/mlx-intraday/pipelines/quickstart.yaml', import.meta.url).pathname);
const provider = createProvider({ provider: 'synthetic' }, { baseDir: '.', env: {} });
const panel = await provider.fetch({ tickers: ['AAPL', 'MSFT'], sessions: sessionsEnding('2026-10-30', 1) });
const ind = computeIndicators(panel);
let bad = '';
try { loadSpec('/nonexistent/spec.yaml'); } catch (e) { bad = e instanceof UsageError ? 'UsageError' : String(e); }
console.log(JSON.stringify({ name: spec.name, steps: spec.steps.length, indicators: listIndicators().length, T: ind.T, N: ind.N, F: ind.F, finite: ind.values.some(Number.isFinite), version: PACKAGE_VERSION, bad, loadModel: typeof loadModel, sweepPoints: sweep.points.length, runSweep: typeof runSweep }));
`,
    );
    const out = JSON.parse(run(process.execPath, ['main.mjs'], project).trim().split('\n').pop()!);
    expect(out).toEqual({ name: 'quickstart', steps: 6, indicators: 111, T: 390, N: 2, F: 111, finite: true, version: pkg.version, bad: 'UsageError', loadModel: 'function', sweepPoints: 27, runSweep: 'function' });

    // The declared types resolve by name under NodeNext, and they are real types (a misuse fails).
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(PACKAGE_ROOT, 'node_modules', '@types')] }, include: ['*.ts'] }),
    );
    writeFileSync(join(project, 'ok.ts'), `import { loadSpec, listIndicators, loadModel, type Spec, type TrainParams, type Selection } from 'mlx-intraday';\nconst s: Spec = loadSpec('x.yaml');\nconst sel: Promise<Selection> = loadModel('m.safetensors').selectIndicators({} as never, 'range-calm', { topK: 5 });\nconst n: number = listIndicators().length;\nconst p: Partial<TrainParams> = { epochs: 2 };\nexport { s, n, p, sel };\n`);
    const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    writeFileSync(join(project, 'bad.ts'), `import { listIndicators } from 'mlx-intraday';\nconst n: string = listIndicators().length;\nexport { n };\n`);
    let typeError = '';
    try {
      run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    } catch (e) {
      typeError = String((e as { stdout?: string }).stdout);
    }
    expect(typeError).toMatch(/bad\.ts\(2,7\): error TS2322/);
  }, 180_000);
});
