/**
 * The run summary's model part, from a real quickstart run: model / ridge / oracle IC beside the
 * ablation rows in one IC column, the per-regime table of top indicators with their gates (the
 * same as the run record's metrics and the artifact meta), and the regime agreement.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { summaryLines } from '../../src/cli/render.js';
import { scoreboardLines, topByRegime } from '../../src/cli/summary-model.js';
import { openLocalStore } from '../../src/cache/store.js';
import type { RunEvent } from '../../src/dag/events.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { tempDir } from '../runner/helpers.js';

describe('run summary: model scoreboard', () => {
  it('prints model/ridge/oracle and the ablation rows, and the per-regime top indicators stored in the run record', async () => {
    const dir = tempDir();
    const events: RunEvent[] = [];
    const spec = loadSpec(join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml'), { set: ['params.epochs=1'] });
    const r = await runPipeline(spec, { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), report: (e) => events.push(e) });
    expect(r.status).toBe('ok');
    const end = events.find((e) => e.type === 'run-end') as Extract<RunEvent, { type: 'run-end' }>;
    const m = end.metrics.train;
    const text = summaryLines(end).join('\n');
    const board = scoreboardLines(m);
    for (const l of board) expect(text).toContain(l);

    const row = (label: string) => board.find((l) => l.trimStart().startsWith(label));
    const ic = (label: string) => Number(row(label)!.slice(40, 49));
    expect(ic('model ')).toBeCloseTo(m.ic, 4);
    expect(ic('ridge ')).toBeCloseTo(m.ridge_ic, 4);
    expect(ic('oracle ')).toBeCloseTo(m.oracle_ic, 4);
    expect(ic(`model, top-${m.ablation_k} per regime only`)).toBeCloseTo(m.ic_top_k, 4);
    expect(ic(`model, ${m.ablation_k} random per regime`)).toBeCloseTo(m.ic_random_k, 4);
    expect(ic('model, all indicators')).toBeCloseTo(m.ic_all_indicators, 4);
    // "all indicators" is the model itself.
    expect(m.ic_all_indicators).toBeCloseTo(m.ic, 6);

    // The top-indicator table: one column per regime, rows by rank, scores = the run record's.
    const tops = topByRegime(m);
    expect(tops.size).toBeGreaterThan(0);
    const header = board.findIndex((l) => l.includes('top indicators by regime'));
    expect(header).toBeGreaterThan(0);
    for (const regime of tops.keys()) expect(board[header + 1]).toContain(regime);
    const first = [...tops.values()][0][0];
    expect(board[header + 2]).toContain(`${first.name} ${first.score.toFixed(3)}`);

    // The run record holds the same metrics; the artifact meta the full per-regime table.
    const store = openLocalStore(join(dir, 'cache'));
    try {
      const rec = (await store.runs.get(r.runId))!;
      expect(rec.metrics!.train).toEqual(JSON.parse(JSON.stringify(m)));
      const key = r.results.get('train')!.key!;
      const usefulness = (await store.artifacts.lookup(key))!.meta.usefulness as { regime: string; indicators: { name: string; score: number }[] }[];
      expect(usefulness.map((u) => u.regime).sort()).toEqual([...tops.keys()].sort());
      for (const u of usefulness) {
        const fromMetrics = tops.get(u.regime)!;
        expect(u.indicators.length).toBe(m.ablation_k);
        expect(u.indicators.slice(0, fromMetrics.length).map((x) => x.name)).toEqual(fromMetrics.map((x) => x.name));
      }
    } finally {
      store.close();
    }
  });
});
