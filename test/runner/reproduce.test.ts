/**
 * Reproducing runs: `rerun <id>` replays a recorded run (spec text, overrides, seed, tickers),
 * recomputes every node and finds identical metrics and weight hashes; it says before running
 * what is no longer as recorded (spec file on disk, code), reports changed data as soon as the
 * fetch ran, and suggests ids for an unknown one. Results do not depend on --concurrency.
 * All through the real CLI and the real runner.
 */
import { asyncArtifacts } from '../../src/cache/store-api.js';
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { RunStore, type RunRecord } from '../../src/cache/runs.js';
import { ArtifactCache } from '../../src/cache/store.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { dataFingerprints, weightHashes } from '../../src/cli/diff.js';
import { runCli, runEnd } from './cli.js';
import { tempDir } from './helpers.js';

/** Synthetic bars, two batches of two tickers, a small model: seconds per run. */
const SMALL = (model: string, epochs = 2) => `name: small
seed: 3
batch_size: 2
universe:
  tickers: [AAPL, MSFT, NVDA, AMD]
data:
  provider: synthetic
  seed: 5
  end: 2026-10-30
params:
  days: 3
  sample_interval: 5
  epochs: ${epochs}
  min_samples: 200
steps:
  precheck:
    kind: precheck
  bars:
    kind: fetch
    inputs: [precheck]
  indicators:
    kind: indicators
    inputs: [bars]
  samples:
    kind: sample
    inputs: [indicators, bars]
  train:
    kind: train
    inputs: [samples]
    params:
      model: ${model}
`;

function record(cacheDir: string, id: string): RunRecord {
  const cache = ArtifactCache.open(cacheDir, { readOnly: true });
  try {
    return new RunStore(cache.db, { readOnly: true }).get(id)!;
  } finally {
    cache.close();
  }
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

/** Every cache entry with when it was written. */
function cacheEntries(cacheDir: string) {
  const cache = ArtifactCache.open(cacheDir, { readOnly: true });
  try {
    return cache.list().map((e) => [e.key, e.createdAt, e.checksum]).sort();
  } finally {
    cache.close();
  }
}

/** A folder's files with sizes and modification times. */
function folderState(dir: string) {
  return readdirSync(dir).sort().map((f) => [f, statSync(join(dir, f)).size, statSync(join(dir, f)).mtimeMs]);
}

function setup(specText: string) {
  const dir = tempDir('mlxi-repro-');
  const spec = join(dir, 'small.yaml');
  writeFileSync(spec, specText);
  const g = ['--cache-dir', join(dir, 'cache'), '--models-dir', join(dir, 'models')];
  return { dir, spec, g, cacheDir: join(dir, 'cache') };
}

describe('rerun', () => {
  it('replays a run with its overrides and finds identical metrics and weight hashes, every node recomputed', async () => {
    const { dir, spec, g, cacheDir } = setup(SMALL('mlp', 3));
    const first = await runCli([...g, 'run', spec, '--json', '--epochs', '2', '--set', 'train.learning_rate=0.002'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const id = runEnd(first.stdout).runId;
    const rec = record(cacheDir, id);
    expect((rec.resolved as any).overrides).toEqual(['--epochs 2', '--set train.learning_rate=0.002']);
    const trainNode = rec.nodes!.find((n) => n.step === 'train')!;
    expect(trainNode.weightsHash).toMatch(/^[0-9a-f]{64}$/);
    // The recorded hash is the one the train step computed and kept in its cache entry.
    const cache = ArtifactCache.open(cacheDir, { readOnly: true });
    expect(cache.lookup(trainNode.key!)!.meta.weightsHash).toBe(trainNode.weightsHash);
    cache.close();
    const fetches = rec.nodes!.filter((n) => n.step === 'bars');
    expect(fetches).toHaveLength(2);
    for (const f of fetches) expect(f.contentId).toMatch(/^data:[0-9a-f]{64}$/); // the data fingerprint, not the key
    for (const f of fetches) expect(f.contentId).not.toContain(f.key!);

    // A record from before these columns existed: the ids come from the cache entries its keys name.
    const db = ArtifactCache.open(cacheDir);
    const older = { ...rec, nodes: rec.nodes!.map(({ contentId, weightsHash, ...n }) => n) };
    expect(await dataFingerprints(older, asyncArtifacts(db))).toEqual(Object.fromEntries(fetches.map((f) => [f.node, f.contentId])));
    expect(await weightHashes(older, asyncArtifacts(db))).toEqual({ train: trainNode.weightsHash });
    db.close();

    // What a rerun killed with -9 leaves behind (its pid is gone): removed by the next rerun.
    const stale = join(cacheDir, 'rerun-scratch-999999999-abc');
    mkdirSync(join(stale, 'blobs'), { recursive: true });
    const entriesBefore = cacheEntries(cacheDir);
    const modelsBefore = folderState(join(dir, 'models'));
    const r = await runCli([...g, 'rerun', id, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // Computed in a scratch cache, removed afterwards: the user's entries and checkpoints are untouched.
    expect(cacheEntries(cacheDir)).toEqual(entriesBefore);
    expect(folderState(join(dir, 'models'))).toEqual(modelsBefore);
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('rerun-'))).toEqual([]);
    const lines = jsonLines(r.stdout);
    const check = lines.find((e) => e.type === 'rerun-check');
    expect(check.differences).toEqual([]);
    // The check comes before the run starts.
    expect(lines.indexOf(check)).toBeLessThan(lines.findIndex((e) => e.type === 'run-start'));
    const end = lines.find((e) => e.type === 'run-end');
    // Recomputed, not read back from the cache.
    expect(end.counts.hit).toBe(0);
    expect(end.counts.ran).toBe(rec.nodes!.length);
    const result = lines.find((e) => e.type === 'rerun-result');
    expect(result.identical).toBe(true);
    expect(result.differences).toEqual([]);
    expect(result.compared.weights).toBe(1);
    expect(result.compared.data).toBe(2);
    expect(result.compared.metrics).toBeGreaterThan(10);

    const again = record(cacheDir, result.rerun);
    expect(again.metrics).toEqual(rec.metrics);
    expect(again.metrics!.train.epochs).toBe(2);
    expect(again.nodes!.find((n) => n.step === 'train')!.weightsHash).toBe(trainNode.weightsHash);
    expect((again.resolved as any).overrides).toEqual((rec.resolved as any).overrides);
    expect(again.specText).toBe(rec.specText);
  });

  it('says before running that the spec file changed (and how), replays the recorded text, and still reproduces', async () => {
    const { dir, spec, g, cacheDir } = setup(SMALL('mlp'));
    const first = await runCli([...g, 'run', spec, '--json'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const id = runEnd(first.stdout).runId;
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('epochs: 2', 'epochs: 3'));

    const r = await runCli([...g, 'rerun', id], { cwd: dir });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = r.stdout;
    const warned = out.indexOf('small.yaml changed since the run');
    expect(warned).toBeGreaterThan(-1);
    expect(out).toContain('-   epochs: 2');
    expect(out).toContain('+   epochs: 3');
    // Said before the run's summary, which comes at its end.
    expect(warned).toBeLessThan(out.indexOf(' ok in '));
    expect(out).toMatch(/train\s+weights sha256\s+([0-9a-f]{16})\s+\1\s+=/);
    expect(out).toContain(`match run ${id} exactly`);
    const newId = out.match(/beside rerun (\S+)/)![1];
    expect(record(cacheDir, newId).metrics!.train.epochs).toBe(2);
  });

  it('replays one point of a sweep (the grid narrowed to its recorded values)', async () => {
    const { dir, spec, g, cacheDir } = setup(SMALL('mlp').replace('steps:', 'sweep:\n  grid:\n    epochs: [1, 2]\nsteps:'));
    const first = await runCli([...g, 'run', spec, '--json'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const cache = ArtifactCache.open(cacheDir, { readOnly: true });
    const points = new RunStore(cache.db, { readOnly: true }).list(10);
    cache.close();
    const p1 = points.find((p) => p.sweepValues?.epochs === 1)!;
    expect(p1.sweepId).toBeDefined();
    const r = await runCli([...g, 'rerun', p1.id, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const result = jsonLines(r.stdout).find((e) => e.type === 'rerun-result');
    expect(result.identical).toBe(true);
    expect(record(cacheDir, result.rerun).metrics!.train.epochs).toBe(1);
    expect(record(cacheDir, result.rerun).metrics).toEqual(record(cacheDir, p1.id).metrics);
    // The sweep's own id names several runs: say so and name a point.
    const whole = await runCli([...g, 'rerun', p1.sweepId!], { cwd: dir });
    expect(whole.code).toBe(2);
    expect(whole.stderr).toContain(`"${p1.sweepId}" is a sweep of 2 points, not one run`);
    expect(whole.stderr).toContain(`runs compare ${p1.sweepId}`);
  });

  it('an unknown id exits 2 with the nearest ids; an ambiguous prefix names the runs it matches', async () => {
    const { dir, spec, g } = setup(SMALL('mlp', 1));
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await runCli([...g, 'run', spec, '--json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      ids.push(runEnd(r.stdout).runId);
    }
    const typo = ids[0].slice(0, -1) + (ids[0].endsWith('0') ? '1' : '0');
    const bad = await runCli([...g, 'rerun', typo], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`rerun ${typo}: error: no run "${typo}"`);
    expect(bad.stderr).toMatch(new RegExp(`fix: nearest: ${ids[0]}`));
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const prefix = await runCli([...g, 'rerun', '20'], { cwd: dir });
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toContain('matches 2 runs');
    expect(prefix.stderr).toContain(ids[0]);
    const none = await runCli(['--cache-dir', join(dir, 'empty'), 'rerun', 'abc'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('holds no run records');
  });

  it('a recorded spec this version no longer accepts, or a run still going, exits 2 with the reason and no stack', async () => {
    const dir = tempDir('mlxi-repro-');
    const cacheDir = join(dir, 'cache');
    const cache = ArtifactCache.open(cacheDir);
    const store = new RunStore(cache.db);
    const base = { startedAt: Date.now(), specPath: join(dir, 'old.yaml'), specName: 'old', specHash: 'a'.repeat(64), resolved: { overrides: [] }, seed: 1, packageVersion: '0.0.1' };
    store.begin({ ...base, id: '20260101-000000-aaaaaa', specText: SMALL('mlp').replace('model: mlp', 'model: mlp\n      dropout_schedule: cosine') });
    store.finish('20260101-000000-aaaaaa', 'ok', {});
    store.begin({ ...base, id: '20260101-000001-bbbbbb', specText: SMALL('mlp') });
    cache.close();

    const old = await runCli(['--cache-dir', cacheDir, 'rerun', '20260101-000000'], { cwd: dir });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain("rerun 20260101-000000-aaaaaa: error: run 20260101-000000-aaaaaa's recorded spec");
    expect(old.stderr).toContain('no longer loads with this version');
    expect(old.stderr).toMatch(/old\.yaml:\d+:\d+: error: unknown key `dropout_schedule`/);
    expect(old.stderr).not.toMatch(/\n\s+at /);

    // Its pid is this test's (alive), so the record stays "running".
    const running = await runCli(['--cache-dir', cacheDir, 'rerun', '20260101-000001-bbbbbb'], { cwd: dir });
    expect(running.code).toBe(2);
    expect(running.stderr).toContain('is still running');
  });

  const REAL = resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'real-1min');
  it.skipIf(!existsSync(REAL))('reports changed data when the fetch ran, and the difference after the run (exit 1)', async () => {
    const dir = tempDir('mlxi-repro-');
    const bars = join(dir, 'bars');
    mkdirSync(bars);
    for (const t of ['AAPL', 'MSFT']) copyFileSync(join(REAL, `${t}.csv`), join(bars, `${t}.csv`));
    const spec = join(dir, 'real.yaml');
    writeFileSync(
      spec,
      `name: real
universe: {tickers: [AAPL, MSFT]}
data: {provider: folder, end: 2026-03-20, folder: {path: bars}}
params: {days: 5, sample_interval: 30, min_samples: 10}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars], params: {names: [AVWAP_SESSION, EMA_9, RSI_14]}}
  samples: {kind: sample, inputs: [indicators, bars]}
`,
    );
    const g = ['--cache-dir', join(dir, 'cache'), '--models-dir', join(dir, 'models')];
    const first = await runCli([...g, 'run', spec, '--json'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const id = runEnd(first.stdout).runId;
    // A corrected bar: same settings (same fetch key), other data (another content id).
    const file = join(bars, 'MSFT.csv');
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('2026-03-18T15:00:00Z'));
    const cols = lines[i].split(',');
    cols[4] = (Number(cols[4]) + 0.01).toFixed(4);
    cols[2] = Math.max(Number(cols[2]), Number(cols[4])).toFixed(4);
    lines[i] = cols.join(',');
    writeFileSync(file, lines.join('\n'));

    const r = await runCli([...g, 'rerun', id, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const events = jsonLines(r.stdout);
    expect(events.find((e) => e.type === 'rerun-check').differences).toEqual([]); // settings unchanged
    const warnAt = events.findIndex((e) => e.type === 'warn' && /the data differ from the recorded run's/.test(e.message));
    expect(warnAt).toBeGreaterThan(-1);
    // Reported when the fetch finished: before the samples step (downstream) finished.
    expect(warnAt).toBeLessThan(events.findIndex((e) => e.type === 'node-end' && e.step === 'samples'));
    const result = events.find((e) => e.type === 'rerun-result');
    expect(result.identical).toBe(false);
    expect(result.differences.map((d: any) => d.path)).toContain('bars[1/1].data fingerprint');
  });
});

describe('concurrency does not change results', () => {
  it.each(['mlp', 'indicator-transformer'])('%s: --concurrency 1 and 2 in fresh caches give the same metrics and weights', async (model) => {
    const { spec } = setup(SMALL(model));
    const outcomes: RunRecord[] = [];
    for (const concurrency of [1, 2]) {
      const dir = tempDir('mlxi-conc-');
      const cacheDir = join(dir, 'cache');
      const out = await runPipeline(loadSpec(spec), { cacheDir, modelsDir: join(dir, 'models'), concurrency });
      expect(out.status).toBe('ok');
      expect([...out.results.values()].every((r) => r.status === 'ran')).toBe(true);
      outcomes.push(record(cacheDir, out.runId));
    }
    const [one, two] = outcomes;
    expect(two.metrics).toEqual(one.metrics);
    expect(Object.keys(one.metrics!)).toContain('train');
    const hashes = (r: RunRecord) => r.nodes!.filter((n) => n.weightsHash || n.contentId).map((n) => [n.node, n.weightsHash ?? n.contentId]).sort();
    expect(hashes(two)).toEqual(hashes(one));
    expect(one.nodes!.find((n) => n.step === 'train')!.weightsHash).toMatch(/^[0-9a-f]{64}$/);
    const keys = (r: RunRecord) => Object.fromEntries(r.nodes!.map((n) => [n.node, n.key]));
    expect(keys(two)).toEqual(keys(one));
  });
});
