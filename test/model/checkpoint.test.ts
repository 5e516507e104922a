import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel } from '../../src/model/train.js';
import { predict } from '../../src/model/predict.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint.js';
import type { TrainResult } from '../../src/model/types.js';
import { decodeSafetensors } from '../../src/tensor/safetensors.js';
import { synthSet } from './helpers.js';

describe('checkpoints', () => {
  const set = synthSet({ tickers: 5, times: 120, F: 6 });
  let dir: string;
  let trained: TrainResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ckpt-test-'));
    trained = await trainModel(set, {
      model: 'indicator-transformer', preset: 'small', epochs: 2, batchSize: 64, learningRate: 3e-3, seed: 3, valFraction: 0.15, testFraction: 0.2,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips weights, config, scaler, history and metrics; the loaded model predicts identically', async () => {
    const path = join(dir, 'model.safetensors');
    saveCheckpoint(path, trained);
    const back = loadCheckpoint(path);
    expect(back.config).toEqual(trained.config);
    expect(back.scaler).toEqual(trained.scaler);
    expect(back.history).toEqual(trained.history);
    expect(back.metrics).toEqual(trained.metrics);
    expect(back.split).toEqual(trained.split);
    for (const k of Object.keys(trained.weights)) {
      expect(back.weights[k].shape).toEqual(trained.weights[k].shape);
      expect(Buffer.from(back.weights[k].data.buffer)).toEqual(Buffer.from(trained.weights[k].data.buffer));
    }
    const a = await predict(trained, set.X, set.S);
    const b = await predict(back, set.X, set.S);
    expect(Buffer.from(b.buffer)).toEqual(Buffer.from(a.buffer));
    // It is one plain safetensors file with the metadata in __metadata__.
    const raw = decodeSafetensors(readFileSync(path));
    expect(raw.metadata.format).toBe('mlx-intraday/model');
    expect(JSON.parse(raw.metadata.config).kind).toBe('indicator-transformer');
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('is atomic: a failed save leaves no file, no temp file, and an existing checkpoint intact', () => {
    const sub = join(dir, 'atomic');
    mkdirSync(sub);
    const good = join(sub, 'good.safetensors');
    saveCheckpoint(good, trained);
    const before = readFileSync(good);
    // Broken weights (wrong shape) fail before anything is renamed over the old file.
    const broken = { ...trained, weights: { ...trained.weights, 'head.weight': { dtype: 'F32' as const, shape: [3, 1], data: new Float32Array(3) } } };
    expect(() => saveCheckpoint(good, broken)).toThrow(/head\.weight/);
    expect(readFileSync(good).equals(before)).toBe(true);
    // A failure after the bytes are written (the target is a directory, so rename fails).
    const blocked = join(sub, 'blocked.safetensors');
    mkdirSync(blocked);
    expect(() => saveCheckpoint(blocked, trained)).toThrow();
    // A target directory that does not exist.
    expect(() => saveCheckpoint(join(sub, 'missing', 'x.safetensors'), trained)).toThrow();
    expect(readdirSync(sub).sort()).toEqual(['blocked.safetensors', 'good.safetensors']);
    expect(readdirSync(blocked)).toEqual([]);
  });

  it('refuses truncated files and files that are not model checkpoints', () => {
    const path = join(dir, 'model.safetensors');
    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    expect(() => loadCheckpoint(cut)).toThrow(/byte range|truncated/);
    const other = join(dir, 'other.safetensors');
    writeFileSync(other, Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]));
    expect(() => loadCheckpoint(other)).toThrow(/not an mlx-intraday model checkpoint/);
  });
});
