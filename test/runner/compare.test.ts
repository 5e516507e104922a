/** `runs compare` and the sweep page: best chosen on validation, never on test; the CLI end to end. */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalStore } from '../../src/cache/store.js';
import { compareRecords, comparisonCsv, isTestMetric } from '../../src/cli/compare.js';
import { compareCommand } from '../../src/cli/sweep.js';
import { runSweep } from '../../src/run-sweep.js';
import { parseSweep } from '../../src/spec/sweep.js';
import type { KindRegistry, StepKind } from '../../src/steps/kind.js';
import { tensor } from '../../src/tensor/tensor.js';
import { UsageError } from '../../src/util/errors.js';
import { runCli } from './cli.js';
import { tempDir } from './helpers.js';
import { TOY_SPEC, toyKinds } from './toy-kinds.js';

// Validation is best at 2 epochs; test IC is best at 3: the best point must be 2.
const scores: Record<number, { best_val_loss: number; ic: number }> = { 1: { best_val_loss: 0.9, ic: 0.01 }, 2: { best_val_loss: 0.5, ic: 0.02 }, 3: { best_val_loss: 0.7, ic: 0.09 } };
const scoredTrain: StepKind = {
  ...(toyKinds().train as StepKind),
  async run(ctx) {
    const e = ctx.params.epochs as number;
    return { tensors: { e: tensor(Float64Array.of(e), [1]) }, meta: { history: [{ epoch: 1, trainLoss: 1, valLoss: scores[e].best_val_loss }] }, metrics: { ...scores[e], samples: 10 } };
  },
};

async function sweepRun(dir: string) {
  const kinds = { ...toyKinds(), train: scoredTrain } as KindRegistry;
  const sweep = parseSweep(TOY_SPEC(2, 'sweep:\n  grid:\n    epochs: [1, 2, 3]\n'), join(dir, 'spec.yaml'));
  return runSweep(sweep, { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), kinds, concurrency: 2 });
}

describe('runs compare', () => {
  it('chooses the best point on validation, refuses a test metric, prints CSV and JSON, writes the page', async () => {
    const dir = tempDir();
    const out = await sweepRun(dir);
    const store = openLocalStore(join(dir, 'cache'));
    try {
      const c = compareRecords((await store.runs.sweep(out.sweepId)));
      expect(c.sweepId).toBe(out.sweepId);
      expect(c.paramNames).toEqual(['epochs']);
      expect(c.chosenBy).toEqual({ metric: 'model.best_val_loss', goal: 'min' });
      expect(c.best?.params).toEqual({ epochs: 2 });
      expect(c.rows.map((r) => r.params.epochs)).toEqual([2, 3, 1]);
      expect(isTestMetric('model.ic')).toBe(true);
      expect(isTestMetric('model.best_val_loss')).toBe(false);
      const points = await store.runs.sweep(out.sweepId);
      expect(() => compareRecords(points, { by: 'model.ic' })).toThrow(/measured on the test split/);
      expect(() => compareRecords(points, { by: 'model.icc' })).toThrow(UsageError);

      const csv = comparisonCsv(c).trim().split('\n');
      expect(csv[0]).toBe('point,run,status,epochs,model.best_val_loss,model.ic,best');
      expect(csv[1]).toBe(`2,${out.points[1].runId},ok,2,0.5,0.02,1`);

      const lines: string[] = [];
      const cwd = process.cwd();
      process.chdir(dir);
      let page: string | undefined;
      try {
        page = await compareCommand(store, [out.sweepId.slice(0, 20)], {}, (s) => lines.push(s));
      } finally {
        process.chdir(cwd);
      }
      expect(lines.join('\n')).toMatch(/★ best point: chosen on validation \(model\.best_val_loss, lowest\), never on test/);
      expect(lines.join('\n')).toMatch(/model\.ic \(test\)/);
      const html = readFileSync(page!, 'utf8');
      expect(html.match(/<svg/g)?.length).toBe(2); // heatmap (a line over one param) and training curves
      for (const p of out.points) expect(html).toContain(p.runId);
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);

      const json: string[] = [];
      await compareCommand(store, [out.points[0].runId, out.points[2].runId], { json: true }, (s) => json.push(s));
      const parsed = JSON.parse(json[0]);
      expect(parsed.best).toBe(out.points[2].runId); // 0.7 < 0.9 among the two named
      expect(parsed.chosenBy.split).toBe('validation');
    } finally {
      store.close();
    }
  });

  it('an unknown id suggests the nearest', async () => {
    const dir = tempDir();
    const out = await sweepRun(dir);
    const store = openLocalStore(join(dir, 'cache'), { readOnly: true });
    try {
      const typo = out.points[0].runId.replace(/-p1$/, '-q1');
      await expect(compareCommand(store, [typo, out.points[1].runId], {}, () => {})).rejects.toThrow(/did you mean/);
    } finally {
      store.close();
    }
  });
});

describe('the CLI', () => {
  it('run --sweep runs every point, prints the table with the best point and the page; plan shows the sharing', async () => {
    const dir = tempDir();
    const spec = join(dir, 'spec.yaml');
    writeFileSync(
      spec,
      `name: cli_sweep
universe: {tickers: [AAA, BBB]}
data: {provider: synthetic, end: "2026-10-30"}
params: {days: 3, sample_interval: 10, epochs: 1, min_samples: 50}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [indicators, bars]}
  train: {kind: train, inputs: [samples], params: {model: mlp}}
`,
    );
    const common = ['--cache-dir', join(dir, 'cache'), '--models-dir', join(dir, 'models')];
    const plan = await runCli([...common, 'plan', spec, '--sweep', 'train.epochs=1,2', '--sweep', 'sample_interval=10..20:10'], { cwd: dir });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/sweep of 4 points \(cross\)/);
    expect(plan.stdout).toMatch(/8 nodes in one DAG; 16 if each point ran on its own/);

    const run = await runCli([...common, 'run', spec, '--sweep', 'train.epochs=1,2', '--sweep', 'sample_interval=10..20:10'], { cwd: dir });
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/4 of 4 points ok/);
    expect(run.stdout).toMatch(/★/);
    const page = /sweep page: (\S+)/.exec(run.stdout)![1];
    expect(existsSync(join(dir, page))).toBe(true);

    const bad = await runCli([...common, 'run', spec, '--sweep', 'train.epochz=1,2'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sweep train\.epochz=1,2.*epochz/s);
  }, 180_000);
});
