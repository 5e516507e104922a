/**
 * `mlx-intraday report <run-id>`: (re)builds a run's HTML report from its run record and the cache
 * (src/report/from-run.ts) and prints its path. An unknown run id, or a run without a backtest,
 * exits 2; a backtest whose cache entry is gone exits 1 with how to get it back.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import type { Store } from '../cache/store-api.js';
import { DataError, UsageError } from '../util/errors.js';
import { buildRunReport, reportsRoot } from '../report/from-run.js';

export interface ReportCommandOptions {
  /** Opens the store the run is recorded in (--store / --cache-dir). */
  openStore: () => Promise<Store>;
  /** The store's name, for messages. */
  where: string;
  /** Root folder of reports (`<out>/<run-id>/index.html`); default $MLX_INTRADAY_REPORTS or ./reports. */
  out?: string;
  json?: boolean;
}

/** Builds the report of run `id` (or a unique prefix of it) from the store's record; returns its path. */
export async function buildReportForRun(id: string, o: ReportCommandOptions): Promise<string> {
  const where = { file: `report ${id}` };
  let store: Store;
  try {
    store = await o.openStore();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw UsageError.one(`no run "${id}": the store ${o.where} cannot be opened (${(e as Error).message})`, 'pass the store the run used with --store or --cache-dir DIR', where);
  }
  try {
    const record = await store.runs.get(id);
    if (!record) {
      const n = await store.runs.count(id);
      throw UsageError.one(
        n > 1 ? `run id prefix "${id}" matches ${n} runs` : `no run "${id}" in ${o.where}`,
        n > 1 ? 'give more characters of the id' : 'list runs with: mlx-intraday runs ls',
        where,
      );
    }
    let path: string | undefined;
    try {
      path = await buildRunReport(record, store.artifacts, { root: o.out ?? reportsRoot() });
    } catch (e) {
      throw new DataError(`cannot build the report of run ${record.id}: ${(e as Error).message}`, `rerun it with: mlx-intraday run ${record.specPath}`);
    }
    if (!path) {
      throw UsageError.one(`run ${record.id} (${record.specName}) has no finished backtest step, so there is nothing to report`, 'add a backtest step to the spec (see pipelines/quickstart.yaml) and run it', where);
    }
    return path;
  } finally {
    store.close();
  }
}

/** Registers the command on the program (one line in src/cli.ts). */
export function registerReportCommand(program: Command, openStore: () => Promise<Store>, where: () => string): void {
  program
    .command('report <run-id>')
    .description("(re)build a run's HTML report from its run record and the cache: reports/<run-id>/index.html")
    .option('--out <dir>', 'folder the <run-id>/index.html goes in (default $MLX_INTRADAY_REPORTS or ./reports)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { out?: string; json?: boolean }) => {
      const path = await buildReportForRun(id, { openStore, where: where(), out: o.out });
      if (o.json) console.log(JSON.stringify({ report: path }));
      else {
        const rel = relative(process.cwd(), path);
        console.log(`report: ${rel.startsWith('..') ? path : rel}`);
      }
    });
}
