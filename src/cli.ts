#!/usr/bin/env -S node --expose-gc
/**
 * mlx-intraday: validate, plan and run intraday research pipelines; inspect runs and the cache.
 * Exit codes: 0 ok, 1 a run failed, 2 bad spec or usage, 130 interrupted.
 */
import { Command, Option } from 'commander';
import { resolve as resolvePath } from 'node:path';
import { loadSpec, type LoadOptions } from './spec/index.js';
import { UsageError, formatDiagnostic, isDatabaseDamaged, CacheDamagedError } from './util/errors.js';
import { redactSecrets, registerEnvSecrets } from './util/redact.js';
import { DataError } from './data/provider.js';
import { chooseReporter } from './cli/render.js';
import { runPipeline, planFor, makeEnvironment, PACKAGE_VERSION } from './run.js';
import { ArtifactCache } from './cache/store.js';
import { resolvePlan } from './dag/resolve.js';
import { shortKey } from './cache/key.js';
import { printTable, parseDuration, formatBytes } from './cli/format.js';
import { precheckCommand } from './cli/precheck.js';
import { registerRerunCommand } from './cli/rerun.js';
import { registerDiffCommand } from './cli/diff.js';
import { registerReportCommand } from './cli/report.js';
import { registerSelectCommand } from './cli/select.js';
import { registerServeCommand } from './cli/serve.js';
import { formatReplay, runReplay } from './cli/replay.js';
import { loadSweep } from './spec/sweep.js';
import { planOfSweep, runSweep } from './run-sweep.js';
import { compareCommand, printSweepPlan } from './cli/sweep.js';
import { openRunQueue, registerWorkerCommand } from './cli/queue.js';
import { describeStore, openStore, parseStoreLocation } from './cache/open-store.js';

interface CommonOpts {
  set?: string[];
  days?: number;
  epochs?: number;
  sampleInterval?: number;
  maxTickers?: number;
  tickersFile?: string;
  cacheDir: string;
  modelsDir: string;
  json?: boolean;
}

const int = (name: string, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw UsageError.one(`${name} takes a positive whole number, got "${v}"`, `e.g. ${name} 10`, { file: `${name} ${v}` });
  if (n > max) throw UsageError.one(`${name} ${v} is more than the ${max} allowed`, `use ${name} ${max} or less`, { file: `${name} ${v}` });
  return n;
};
/** The schema's bound on `concurrency`, so the flag and the spec key agree. */
const MAX_CONCURRENCY = 64;
const collectSet = (v: string, prev: string[] = []) => [...prev, v];

function specOptions(cmd: Command): Command {
  return cmd
    .option('--set <path=value>', 'override a spec value, e.g. --set train.epochs=5 (repeatable)', collectSet)
    .option('--days <n>', 'sessions of minute bars (params.days)', int('--days'))
    .option('--epochs <n>', 'training epochs (params.epochs)', int('--epochs'))
    .option('--sample-interval <n>', 'minutes between samples (params.sample_interval)', int('--sample-interval'))
    .option('--max-tickers <n>', 'use only the first N tickers', int('--max-tickers'))
    .option('--tickers-file <path>', 'JSON array of symbols to use instead of the spec\'s universe')
    .option('--json', 'machine-readable output');
}

/** `--sweep` axes and the grid-size guard, for the commands that expand a sweep. */
function sweepOptions(cmd: Command): Command {
  return cmd
    .option('--sweep <path=values>', 'sweep a param: --sweep train.epochs=5,10,20 or --sweep days=10..30:10 (repeatable; crossed with the spec\'s sweep)', collectSet)
    .option('--max-points <n>', 'allow a grid of up to N points (default: sweep.max_points, 1000)', int('--max-points', 100_000));
}

function loadSweepOf(specPath: string, o: CommonOpts & { sweep?: string[]; maxPoints?: number }) {
  return loadSweep(specPath, { ...loadOptions(o), sweep: o.sweep, maxPoints: o.maxPoints });
}

function loadOptions(o: CommonOpts): LoadOptions {
  return {
    set: o.set,
    flags: { days: o.days, epochs: o.epochs, sampleInterval: o.sampleInterval, maxTickers: o.maxTickers, tickersFile: o.tickersFile },
  };
}

const program = new Command();
program
  .name('mlx-intraday')
  .description('Declarative YAML pipelines for intraday (1-minute bar) research on MLX, cached by content hash.')
  .version(PACKAGE_VERSION)
  .addOption(new Option('--cache-dir <dir>', 'cache folder (SQLite + blobs)').env('MLX_INTRADAY_CACHE').default('cache'))
  .addOption(new Option('--store <where>', 'where artifacts and run records live: local (--cache-dir, the default), folder:PATH (a shared folder) or s3://bucket/prefix?endpoint=URL').env('MLX_INTRADAY_STORE'))
  .addOption(new Option('--models-dir <dir>', 'folder for model checkpoints').env('MLX_INTRADAY_MODELS').default('models'))
  .showHelpAfterError()
  // Usage mistakes (unknown command or option, missing argument) exit 2 like spec errors.
  .exitOverride((err) => {
    process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2);
  });

const globals = () => program.opts() as { cacheDir: string; modelsDir: string; store?: string };
/** The store: --store (or MLX_INTRADAY_STORE), else the spec's `store:`, else the local cache in --cache-dir. */
const storeLocation = (spec?: { store?: string }) => parseStoreLocation(globals().store ?? spec?.store, globals().cacheDir);
const openGlobalStore = (opts: { readOnly?: boolean } = {}, spec?: { store?: string }) => openStore(storeLocation(spec), opts);

sweepOptions(specOptions(program.command('validate <spec>').description('check a spec (and every point of its sweep) and print what it resolves to'))).action((specPath: string, o: CommonOpts & { sweep?: string[]; maxPoints?: number }) => {
  const sweep = loadSweepOf(specPath, o);
  const spec = sweep.base;
  const plan = sweep.axes.length ? planOfSweep(sweep) : planFor(spec);
  if (o.json) {
    console.log(JSON.stringify({ ok: true, name: spec.name, steps: plan.stepOrder, tickers: spec.universe.tickers.length, batches: plan.batches.length, nodes: plan.nodes.size, ...(sweep.axes.length ? { sweepPoints: sweep.points.length } : {}), resolved: spec.resolved }, null, 2));
    return;
  }
  if (sweep.axes.length) console.log(`${specPath}: sweep of ${sweep.points.length} points (${sweep.axes.map((a) => `${a.name} × ${a.values.length}`).join(', ')}, ${sweep.mode}): every point valid; ${plan.nodes.size} nodes in one DAG`);
  console.log(`${specPath}: ok — pipeline "${spec.name}", ${spec.steps.length} steps (${plan.stepOrder.join(' → ')}), ${spec.universe.tickers.length} tickers in ${plan.batches.length} batch(es) of ≤ ${spec.batchSize}, ${plan.nodes.size} nodes`);
  const p = spec.params;
  console.log(`  params: days ${p.days}, sample_interval ${p.sample_interval}, warmup ${p.warmup}, horizon ${p.horizon}, epochs ${p.epochs}, min_samples ${p.min_samples}; seed ${spec.seed}`);
  if (spec.overrides.length) console.log(`  overrides: ${spec.overrides.join(' ')}`);
  for (const n of spec.notes) console.log(`  note: ${n}`);
});

sweepOptions(specOptions(program.command('plan <spec>').description('print the nodes, their cache keys and hit/miss, without running anything (for a sweep: the grid and what its points share)'))).action(async (specPath: string, o: CommonOpts & { sweep?: string[]; maxPoints?: number }) => {
  const g = globals();
  const sweep = loadSweepOf(specPath, o);
  const spec = sweep.base;
  const isSweep = sweep.axes.length > 0;
  const plan = isSweep ? planOfSweep(sweep) : planFor(spec);
  const store = await openGlobalStore({}, spec);
  const cache = store.artifacts;
  try {
    if (isSweep && !o.json) {
      printSweepPlan(sweep, plan as ReturnType<typeof planOfSweep>, await resolvePlan(plan, cache, makeEnvironment(spec, { modelsDir: g.modelsDir })));
      return;
    }
    const nodes = await resolvePlan(plan, cache, makeEnvironment(spec, { modelsDir: g.modelsDir }));
    if (o.json) {
      console.log(JSON.stringify({ spec: spec.path, nodes }, null, 2));
      return;
    }
    printTable(
      nodes.map((n) => ({
        node: n.id,
        kind: n.kind,
        key: n.key ? shortKey(n.key) : '—',
        cache: n.state === 'pending' ? `key known after ${n.waitsFor} runs` : n.state === 'always' ? 'runs every time (re-reads its data)' : n.state,
      })),
    );
    const count = (s: string) => nodes.filter((n) => n.state === s).length;
    console.log(`\n${nodes.length} nodes: ${count('hit')} hit, ${count('miss')} miss, ${count('always')} always run, ${count('pending')} pending (their keys depend on data not fetched yet)`);
  } finally {
    store.close();
  }
});

sweepOptions(specOptions(program.command('run <spec>').description('run a pipeline (or every point of its sweep); cached nodes are not recomputed')))
  .option('--refresh <step>', 'run this step even when cached (repeatable)', collectSet)
  .option('--concurrency <n>', 'nodes at once (default: CPU cores)', int('--concurrency', MAX_CONCURRENCY))
  .option('--queue <url>', 'hand the nodes to workers on this Redis (mlx-intraday worker --queue URL) instead of running them here')
  .action(async (specPath: string, o: CommonOpts & { refresh?: string[]; concurrency?: number; sweep?: string[]; maxPoints?: number; queue?: string }) => {
    const g = globals();
    const sweep = loadSweepOf(specPath, o);
    const spec = sweep.base;
    for (const r of o.refresh ?? []) {
      if (!spec.steps.some((s) => s.name === r)) throw UsageError.one(`--refresh ${r}: no step named \`${r}\``, `steps: ${spec.steps.map((s) => s.name).join(', ')}`, { file: `--refresh ${r}` });
    }
    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = (sig: string) => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      process.stderr.write(`\n${sig}: stopping — running steps are abandoned and nothing partial is cached (press Ctrl-C again to quit at once)\n`);
      controller.abort();
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    const store = await openGlobalStore({}, spec);
    const queue = o.queue ? await openRunQueue(o.queue, spec, { ...loadOptions(o), sweep: o.sweep, maxPoints: o.maxPoints }, storeLocation(spec), (m) => process.stderr.write(`note: ${m}\n`)).catch((e) => {
      store.close();
      throw e;
    }) : undefined;
    const runOpts = {
      store,
      remote: queue,
      cacheDir: g.cacheDir,
      modelsDir: g.modelsDir,
      concurrency: o.concurrency,
      refresh: o.refresh,
      report: chooseReporter({ json: o.json }),
      signal: controller.signal,
    };
    try {
      if (sweep.axes.length > 0) {
        const outcome = await runSweep(sweep, runOpts);
        // The points side by side (best chosen on validation) and the sweep page.
        if (!o.json && outcome.status !== 'interrupted') {
          console.log('');
          await compareCommand(store, [outcome.sweepId], {});
        }
        process.exitCode = outcome.status === 'ok' ? 0 : outcome.status === 'interrupted' ? 130 : 1;
        return;
      }
      const outcome = await runPipeline(spec, runOpts);
      process.exitCode = outcome.status === 'ok' ? 0 : outcome.status === 'interrupted' ? 130 : 1;
    } finally {
      await queue?.close();
      store.close();
    }
  });

specOptions(program.command('precheck <spec>').description('check data coverage and the sample estimate before any heavy work')).action(async (specPath: string, o: CommonOpts) => {
  const spec = loadSpec(specPath, loadOptions(o));
  process.exitCode = await precheckCommand(spec, { json: o.json, cacheDir: globals().cacheDir });
});

registerSelectCommand(program);
registerServeCommand(program);
specOptions(program.command('replay <spec>').description('feed one session bar by bar through the live engine and check it against the batch engine'))
  .requiredOption('--date <YYYY-MM-DD>', 'the session to replay')
  .option('--history-days <n>', 'sessions before it to warm up from', int('--history-days'), 2)
  .action(async (specPath: string, o: CommonOpts & { date: string; historyDays: number }) => {
    const r = await runReplay(loadSpec(specPath, loadOptions(o)), { date: o.date, historyDays: o.historyDays });
    console.log(o.json ? JSON.stringify(r, null, 2) : formatReplay(r).join('\n'));
    process.exitCode = r.mismatches.length === 0 ? 0 : 1;
  });

const runs = program.command('runs').description('past runs recorded in the cache');
runs
  .command('ls')
  .description('list recent runs')
  .option('--limit <n>', 'how many', int('--limit'), 20)
  .option('--spec <path>', "only this spec's runs (matched by its resolved path), e.g. --spec pipelines/curated.yaml")
  .option('--json', 'machine-readable output')
  .action(async (o: { limit: number; spec?: string; json?: boolean }) => {
    const store = await openGlobalStore({ readOnly: true });
    try {
      const list = await store.runs.list(o.limit, o.spec === undefined ? {} : { specPath: resolvePath(o.spec) });
      if (o.json) return console.log(JSON.stringify(list.map(({ specText, resolved, ...r }) => r), null, 2));
      if (list.length === 0) return console.log(o.spec === undefined ? 'no runs recorded yet — try: mlx-intraday run pipelines/quickstart.yaml' : `no runs of ${resolvePath(o.spec)} recorded in ${describeStore(storeLocation())}`);
      printTable(
        list.map((r) => ({
          id: r.id,
          spec: r.specName,
          status: r.status,
          started: new Date(r.startedAt).toISOString().replace('T', ' ').slice(0, 19),
          seconds: r.finishedAt ? ((r.finishedAt - r.startedAt) / 1000).toFixed(2) : '',
          cached: `${r.hits}/${r.nodes}`,
          git: r.gitCommit ? `${r.gitCommit.slice(0, 8)}${r.gitDirty ? '+dirty' : ''}` : '',
        })),
      );
    } finally {
      store.close();
    }
  });
runs
  .command('compare <ids...>')
  .description('a sweep\'s points (by sweep id) or several runs side by side: params × metrics, best chosen on validation; writes the sweep page')
  .option('--by <metric>', 'the validation metric to choose the best point by (default: val_ic, else best_val_loss)')
  .option('--metrics <names>', 'comma-separated metric columns (default: the headline ones)', (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean))
  .option('--json', 'machine-readable output')
  .option('--csv', 'CSV output')
  .option('--no-page', 'do not write the sweep page')
  .action(async (ids: string[], o: { by?: string; metrics?: string[]; json?: boolean; csv?: boolean; page?: boolean }) => {
    const store = await openGlobalStore({ readOnly: true });
    try {
      await compareCommand(store, ids, o);
    } finally {
      store.close();
    }
  });
runs
  .command('show <id>')
  .description('one run: spec, resolved params, nodes with keys, hit/miss and timings, metrics')
  .option('--json', 'machine-readable output')
  .action(async (id: string, o: { json?: boolean }) => {
    const store = await openGlobalStore({ readOnly: true });
    try {
      const r = await store.runs.get(id);
      if (!r) {
        const n = await store.runs.count(id);
        throw UsageError.one(n > 1 ? `run id prefix "${id}" matches ${n} runs` : `no run "${id}" in ${describeStore(storeLocation())}`, n > 1 ? 'give more characters of the id' : 'list runs with: mlx-intraday runs ls', { file: `runs show ${id}` });
      }
      if (o.json) return console.log(JSON.stringify(r, null, 2));
      console.log(`run ${r.id}  ${r.status}`);
      console.log(`  spec      ${r.specPath} (sha256 ${r.specHash.slice(0, 12)}${r.specBlob ? `, git blob ${r.specBlob.slice(0, 12)}` : ''})`);
      console.log(`  started   ${new Date(r.startedAt).toISOString()}${r.finishedAt ? `, took ${((r.finishedAt - r.startedAt) / 1000).toFixed(2)} s` : ''}`);
      console.log(`  seed      ${r.seed}   version ${r.packageVersion}   git ${r.gitCommit ? `${r.gitCommit.slice(0, 12)}${r.gitDirty ? ' (dirty)' : r.gitDirty === undefined ? ' (dirty: not known)' : ''}` : '— (the spec was not in a git work tree)'}`);
      const resolved = r.resolved as any;
      if (resolved.overrides?.length) console.log(`  overrides ${resolved.overrides.join(' ')}`);
      console.log(`  params    ${JSON.stringify(resolved.params)}`);
      if (r.error) console.log(`  error     ${r.error}`);
      console.log('');
      printTable((r.nodes ?? []).map((n) => ({ node: n.node, status: n.status, key: n.key ? shortKey(n.key) : '', ms: n.ms.toFixed(1), error: n.error ?? '' })));
      if (r.metrics && Object.keys(r.metrics).length) {
        console.log('\nmetrics');
        for (const [node, m] of Object.entries(r.metrics)) console.log(`  ${node}: ${Object.entries(m).map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toPrecision(6) : v}`).join(', ')}`);
      }
    } finally {
      store.close();
    }
  });

registerReportCommand(program, () => openGlobalStore({ readOnly: true }), () => describeStore(storeLocation()));

registerRerunCommand(program, globals);
registerWorkerCommand(program, globals);
registerDiffCommand(program, () => openGlobalStore({ readOnly: true }), () => describeStore(storeLocation()));

const cacheCmd = program
  .command('cache')
  .description('inspect and maintain the local artifact cache (--cache-dir)')
  // These read the SQLite database itself: say so rather than quietly use --cache-dir.
  .hook('preAction', (_cache, action) => {
    const loc = storeLocation();
    if (action.name() === 'gc' && action.opts().orphans && action.opts().olderThan === undefined && action.opts().keepRuns === undefined) return; // any store
    if (loc.backend !== 'local') throw UsageError.one(`cache ls/verify/gc work on the local cache, not on --store ${describeStore(loc)}`, 'drop --store (and MLX_INTRADAY_STORE) to maintain the local cache in --cache-dir; a shared store is kept by content hash and needs no verify (every read checks its sha256), and `cache gc --orphans` removes what killed writers left in it', { file: `--store ${describeStore(loc)}` });
  });
cacheCmd
  .command('ls')
  .description('list cache entries, most recently used first')
  .option('--json', 'machine-readable output')
  .action((o: { json?: boolean }) => {
    const cache = ArtifactCache.open(globals().cacheDir, { readOnly: true });
    try {
      const list = cache.list();
      if (o.json) return console.log(JSON.stringify(list.map(({ meta, ...r }) => r), null, 2));
      printTable(list.map((r) => ({ key: shortKey(r.key), step: r.step, kind: r.kind, size: formatBytes(r.bytes), stored: r.inline ? 'sqlite' : 'file', 'last used': new Date(r.lastUsedAt).toISOString().replace('T', ' ').slice(0, 19) })));
      console.log(`\n${list.length} entries, ${formatBytes(list.reduce((a, r) => a + r.bytes, 0))}`);
    } finally {
      cache.close();
    }
  });
cacheCmd
  .command('verify')
  .description('check the database and every entry against its checksum; corrupt entries are removed (they recompute on the next run)')
  .option('--repair', 'when the database file itself is damaged: move it aside, re-index the blob files, keep the run records that read')
  .action((o: { repair?: boolean }) => {
    const dir = globals().cacheDir;
    const repair = () => {
      const r = ArtifactCache.repair(dir);
      console.log(`moved the damaged database to ${r.movedTo}`);
      console.log(`re-indexed ${r.reindexed} blob file(s)${r.unreadable ? `, removed ${r.unreadable} that did not check out` : ''}; kept ${r.runsKept} run record(s); everything else recomputes when next needed`);
    };
    let cache: ArtifactCache;
    try {
      cache = ArtifactCache.open(dir);
    } catch (e) {
      if (o.repair && e instanceof CacheDamagedError) return repair();
      throw e;
    }
    try {
      const { checked, corrupt } = cache.verify();
      for (const c of corrupt) console.log(`corrupt: ${c.reason}`);
      console.log(`database ok; ${checked} entries checked, ${corrupt.length} corrupt${corrupt.length ? ' (removed; the next run recomputes them)' : ''}`);
      process.exitCode = corrupt.length ? 1 : 0;
    } catch (e) {
      if (!(e instanceof CacheDamagedError)) throw e;
      cache.close();
      if (o.repair) return repair();
      for (const d of e.diagnostics) console.log(formatDiagnostic(d));
      process.exitCode = 1;
      return;
    }
    cache.close();
  });
cacheCmd
  .command('gc')
  .description('remove entries by age and/or keep only what the last N runs used; --orphans alone also works on a shared --store')
  .option('--older-than <age>', 'remove entries not used for this long, e.g. 7d, 12h, 30m')
  .option('--keep-runs <n>', 'keep only entries used by the last N runs', int('--keep-runs'))
  .option('--orphans', 'remove what killed writers left (temp files, blobs no entry names) once an hour old; the local cache does this on every gc')
  .action(async (o: { olderThan?: string; keepRuns?: number; orphans?: boolean }) => {
    if (o.olderThan === undefined && o.keepRuns === undefined && !o.orphans) throw UsageError.one('cache gc needs --older-than AGE, --keep-runs N or --orphans', 'e.g. mlx-intraday cache gc --older-than 30d', { file: 'cache gc' });
    if (storeLocation().backend !== 'local') {
      const store = await openGlobalStore();
      try {
        const r = await store.artifacts.collectOrphans!();
        console.log(`removed ${r.files} orphan file(s) from ${describeStore(storeLocation())}, freed ${formatBytes(r.bytes)}`);
      } finally {
        store.close();
      }
      return;
    }
    const cache = ArtifactCache.open(globals().cacheDir);
    try {
      const r = cache.gc({ olderThanMs: o.olderThan ? parseDuration(o.olderThan) : undefined, keepRuns: o.keepRuns });
      console.log(`removed ${r.removed} entries and ${r.orphanFiles} orphan files, freed ${formatBytes(r.freedBytes)}`);
    } finally {
      cache.close();
    }
  });

/** Prints an error (through the one redaction point) and exits: 2 for the user's input, 1 otherwise. */
function fail(e: unknown): never {
  const say = (text: string) => process.stderr.write(redactSecrets(text) + '\n');
  if (isDatabaseDamaged(e)) e = new CacheDamagedError(`${globals().cacheDir}/cache.sqlite`, (e as Error).message);
  if (e instanceof UsageError) {
    for (const d of e.diagnostics) say(formatDiagnostic(d));
    process.exit(2);
  }
  if (e instanceof DataError) {
    say(`error: ${e.message}${e.hint ? `\n  fix: ${e.hint}` : ''}`);
    process.exit(1);
  }
  // Not the user's mistake: a bug. The stack helps whoever fixes it.
  say(`error: ${(e as Error)?.stack ?? String(e)}`);
  process.exit(1);
}

// Known before anything can print: a key in the environment is masked wherever it shows up.
registerEnvSecrets();
program.parseAsync(process.argv).catch(fail);

