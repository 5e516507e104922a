/**
 * The train step publishes its best checkpoint at the default (or configured) path with a JSON
 * sidecar beside it, and keeps one keyed copy per train key: two runs that differ in a train
 * param leave two keyed files, neither overwriting the other.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { sidecarPath, DEFAULT_CHECKPOINT_NAME, PACKAGE_VERSION } from '../../src/model/sidecar.js';
import { REGIME_DEFINITION, REGIME_NAMES } from '../../src/model/regime.js';
import { CONTEXT_DEFINITION } from '../../src/model/context.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { tempDir } from '../runner/helpers.js';

const quickstart = join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml');

describe('published checkpoint and sidecar', () => {
  it('default path models/indicator_transformer_mlx_best.safetensors + .json sidecar; keyed copies per key', async () => {
    const dir = tempDir();
    const models = join(dir, 'models');
    const cache = join(dir, 'cache');
    const keyed: string[] = [];
    for (const epochs of [1, 2]) {
      const spec = loadSpec(quickstart, { set: [`params.epochs=${epochs}`] });
      const r = await runPipeline(spec, { cacheDir: cache, modelsDir: models });
      expect(r.status).toBe('ok');
      const key = r.results.get('train')!.key!;
      keyed.push(`quickstart-${key.slice(0, 12)}.safetensors`);
      const published = join(models, DEFAULT_CHECKPOINT_NAME);
      expect(existsSync(published)).toBe(true);
      const ckpt = loadCheckpoint(published);
      expect(ckpt.history).toHaveLength(epochs);
      const side = JSON.parse(readFileSync(sidecarPath(published), 'utf8'));
      expect(side.format).toBe('mlx-intraday/model-sidecar');
      expect(side.checkpoint).toBe(DEFAULT_CHECKPOINT_NAME);
      expect(side.indicators).toEqual(ckpt.config.featureNames.slice(0, ckpt.config.F - (ckpt.config.contextF ?? 0)));
      expect(side.indicators).toHaveLength(111);
      expect(side.inputs).toEqual(ckpt.config.featureNames);
      expect(side.scaler).toEqual(JSON.parse(JSON.stringify(ckpt.scaler)));
      expect(side.regime.names).toEqual([...REGIME_NAMES]);
      expect(side.regime.definition).toEqual({ ...REGIME_DEFINITION });
      expect(side.context.definition).toEqual({ ...CONTEXT_DEFINITION });
      expect(side.hyperParameters.epochs).toBe(epochs);
      expect(side.epochs.map((e: { epoch: number }) => e.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
      // Best epoch is the one with the lowest validation loss.
      const vl = side.epochs.map((e: { valLoss: number }) => e.valLoss);
      expect(side.bestEpoch).toBe(vl.indexOf(Math.min(...vl)) + 1);
      expect(side.specHash).toBe(createHash('sha256').update(spec.text).digest('hex'));
      expect(side.packageVersion).toBe(PACKAGE_VERSION);
      expect(side.data.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(side.data.samples).toBe(r.metrics.train.samples);
      expect(side.test.ridgeIc).toBeCloseTo(r.metrics.train.ridge_ic, 10);
      expect(side.usefulnessByRegime.length).toBeGreaterThan(0);
      expect(side.key).toBe(key);
    }
    expect(keyed[0]).not.toBe(keyed[1]);
    const files = readdirSync(models);
    for (const k of keyed) {
      expect(files).toContain(k);
      expect(files).toContain(k.replace(/\.safetensors$/, '.json'));
    }
    // The first run's keyed file still holds the 1-epoch model.
    expect(loadCheckpoint(join(models, keyed[0])).history).toHaveLength(1);
    // The same data → the same fingerprint in both sidecars.
    const fp = keyed.map((k) => JSON.parse(readFileSync(join(models, k.replace(/\.safetensors$/, '.json')), 'utf8')).data.fingerprint);
    expect(fp[0]).toBe(fp[1]);
    // No temp files left behind.
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('train.checkpoint moves the published file; a cache hit publishes it again after models/ is cleaned', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const set = ['params.epochs=1', 'train.checkpoint=sub/mine.safetensors'];
    const r1 = await runPipeline(loadSpec(quickstart, { set }), { cacheDir: cache, modelsDir: join(dir, 'm1') });
    expect(r1.status).toBe('ok');
    expect(existsSync(join(dir, 'm1', 'sub', 'mine.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'm1', 'sub', 'mine.json'), 'utf8')).checkpoint).toBe('mine.safetensors');
    expect(existsSync(join(dir, 'm1', DEFAULT_CHECKPOINT_NAME))).toBe(false);
    const r2 = await runPipeline(loadSpec(quickstart, { set }), { cacheDir: cache, modelsDir: join(dir, 'm2') });
    expect([...r2.results.values()].every((n) => n.status === 'hit')).toBe(true);
    const a = loadCheckpoint(join(dir, 'm1', 'sub', 'mine.safetensors'));
    const b = loadCheckpoint(join(dir, 'm2', 'sub', 'mine.safetensors'));
    expect(Buffer.from(b.weights['head.weight'].data.buffer).equals(Buffer.from(a.weights['head.weight'].data.buffer))).toBe(true);
    const side = JSON.parse(readFileSync(join(dir, 'm2', 'sub', 'mine.json'), 'utf8'));
    expect(side.data.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });
});
