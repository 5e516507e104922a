/**
 * Loads a pipeline spec: YAML with source positions → overrides → schema validation with
 * defaults → semantic checks (universe, step inputs). Reports every problem at once, each at
 * file:line:col (or at the command-line flag that caused it).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { IANAZone } from 'luxon';
import { dirname, relative, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { UsageError, type Diagnostic, type SourceLocation } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { applyOverride, overrideConflicts, parseSetArg, seedFlagOverrides, type Override, type SeedFlags } from './overrides.js';
import { validateSpecDocument } from './validate.js';
import { sessionsEnding } from '../data/calendar.js';
import { DataError } from '../data/provider.js';
import { MAX_TICKERS, showSymbol, SYMBOL_HINT, symbolProblem } from '../data/symbols.js';
import { FORBIDDEN_KEYS } from './overrides.js';
import type { SharedParams, Spec, StepKindName, StepSpec } from './types.js';
import { pipelineSchema, type KindSchemaSource } from './schema.js';

/** Specs are short; a bigger file is a mistake (or an attack), not a pipeline. */
export const MAX_SPEC_BYTES = 1 << 20;
/** Tickers files hold symbols only: 20,000 symbols fit in well under this. */
const MAX_TICKERS_FILE_BYTES = 4 << 20;
/** YAML aliases (*name) a spec may expand; nested anchors grow exponentially otherwise. */
const MAX_ALIAS_COUNT = 200;

export interface LoadOptions {
  /** `--set path=value` arguments, as given. */
  set?: string[];
  flags?: SeedFlags;
  /** Directory that relative --tickers-file paths are read from (default: process.cwd()). */
  cwd?: string;
  /**
   * Validate against the schema generated from these kinds instead of the checked-in one
   * (a program or test that adds kinds of its own).
   */
  kinds?: readonly KindSchemaSource[];
  /** Overrides built by the caller (a sweep point's values), applied after --set. */
  overrides?: Override[];
  /** Load as one point of a sweep: the `sweep` section is dropped from the result. */
  point?: boolean;
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Finds where a document path was written: the value's node, or with atKey the key itself. */
function makeLocator(doc: Document, lines: LineCounter, file: string, overrides: Override[]) {
  return (path: (string | number)[], atKey = false): SourceLocation => {
    // A value set on the command line is located at the flag that set it.
    for (let i = overrides.length - 1; i >= 0; i--) {
      const o = overrides[i];
      if (o.path.length <= path.length && o.path.every((k, j) => String(path[j]) === k)) return o.location ?? { file: o.origin };
    }
    // Walk down as far as the document goes; report the deepest node that exists.
    let node: unknown = doc.contents;
    let range: [number, number, number] | undefined = (node as any)?.range;
    for (let i = 0; i < path.length; i++) {
      const key = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        if (atKey && i === path.length - 1 && isScalar(pair.key)) {
          range = pair.key.range ?? range;
          break;
        }
        node = pair.value;
        range = (node as any)?.range ?? (isScalar(pair.key) ? pair.key.range : range);
      } else if (node && typeof node === 'object' && 'items' in (node as any) && typeof key === 'number') {
        node = (node as any).items[key];
        range = (node as any)?.range ?? range;
      } else break;
    }
    if (!range) return { file };
    const pos = lines.linePos(range[0]);
    return { file, line: pos.line, col: pos.col };
  };
}

function readTickersFile(path: string, where: SourceLocation): string[] {
  let text: string;
  try {
    if (statSync(path).size > MAX_TICKERS_FILE_BYTES) {
      throw UsageError.one(`tickers file ${displayPath(path)} is larger than ${MAX_TICKERS_FILE_BYTES >> 20} MiB`, `a tickers file is a JSON array of at most ${MAX_TICKERS} symbols`, where);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw UsageError.one(`tickers file ${displayPath(path)} does not exist or cannot be read`, 'check the path (relative paths in a spec are read from the spec\'s folder; on the command line, from the current folder)', where);
  }
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw UsageError.one(`tickers file ${displayPath(path)} is not valid JSON (${(e as Error).message})`, 'write a JSON array of symbols, e.g. ["AAPL", "MSFT"]', where);
  }
  if (list && typeof list === 'object' && !Array.isArray(list) && Array.isArray((list as any).tickers)) list = (list as any).tickers;
  if (!Array.isArray(list)) {
    throw UsageError.one(`tickers file ${displayPath(path)} must hold a JSON array of symbols (or {"tickers": [...]})`, 'write e.g. ["AAPL", "MSFT"]', where);
  }
  if (list.length === 0) throw UsageError.one(`tickers file ${displayPath(path)} is empty`, 'put at least one symbol in it', where);
  if (list.length > MAX_TICKERS) throw UsageError.one(`tickers file ${displayPath(path)} lists ${list.length} symbols, more than ${MAX_TICKERS}`, 'split the universe into several specs', where);
  // The same symbol rule as inline tickers: an entry like "../x" must never reach a provider.
  const problems: Diagnostic[] = [];
  list.forEach((t, i) => {
    const why = symbolProblem(typeof t === 'string' ? t.trim() : t);
    if (why) problems.push({ message: `tickers file ${displayPath(path)}: entry ${i + 1} (${showSymbol(t)}) is not a symbol: ${why}`, hint: SYMBOL_HINT, location: where });
  });
  if (problems.length) throw new UsageError(problems.slice(0, 20));
  return (list as string[]).map((t) => t.trim().toUpperCase());
}

export function loadSpec(specPath: string, opts: LoadOptions = {}): Spec {
  const path = resolve(specPath);
  const file = displayPath(path);
  let text: string;
  try {
    const st = statSync(path);
    if (st.isDirectory()) {
      throw UsageError.one(`${file} is a folder, not a spec file`, 'pass the path of a pipeline YAML inside it, e.g. pipelines/quickstart.yaml', { file });
    }
    if (st.size > MAX_SPEC_BYTES) {
      throw UsageError.one(`spec ${file} is ${(st.size / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_SPEC_BYTES >> 20} MiB a spec may be`, 'keep long ticker lists in a tickers file (universe.tickers_file)', { file });
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw UsageError.one(
      code === 'ENOENT' ? `cannot read spec ${file}: no such file` : `cannot read spec ${file} (${code ?? (e as Error).message})`,
      code === 'ENOENT' ? 'pass the path of a pipeline YAML, e.g. pipelines/quickstart.yaml' : 'check the file\'s permissions',
      { file },
    );
  }
  return parseSpec(text, path, opts);
}

export function parseSpec(text: string, path: string, opts: LoadOptions = {}): Spec {
  const file = displayPath(path);
  if (Buffer.byteLength(text, 'utf8') > MAX_SPEC_BYTES) {
    throw UsageError.one(`spec ${file} is larger than the ${MAX_SPEC_BYTES >> 20} MiB a spec may be`, 'keep long ticker lists in a tickers file (universe.tickers_file)', { file });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];

  for (const err of [...doc.errors]) {
    const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
    const message = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    diagnostics.push({ message: `invalid YAML: ${message}`, location: { file, line: pos?.line, col: pos?.col }, hint: 'check indentation, colons and quotes on that line' });
  }
  if (diagnostics.length) throw new UsageError(diagnostics);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw UsageError.one(`${file} expands too far when its YAML aliases are resolved (${why})`, `use at most ${MAX_ALIAS_COUNT} aliases (*name), without anchors nested inside each other`, { file });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw UsageError.one('a pipeline spec must be a YAML map with `name`, `universe` and `steps`', 'see pipelines/quickstart.yaml for an example', { file, line: 1, col: 1 });
  }
  const obj = raw as Record<string, unknown>;
  const stepsRaw = (obj.steps && typeof obj.steps === 'object' ? obj.steps : {}) as Record<string, { params?: Record<string, unknown> }>;

  // Overrides: seed flags first, then --set (the more specific wins).
  const overrides: Override[] = [...seedFlagOverrides(opts.flags ?? {}, stepsRaw)];
  const stepKinds = Object.fromEntries(Object.entries(stepsRaw).map(([name, st]) => [name, String((st as { kind?: unknown })?.kind ?? '')]));
  for (const arg of opts.set ?? []) overrides.push(parseSetArg(arg, stepKinds));
  const conflicts = overrideConflicts(overrides);
  if (conflicts.length) throw new UsageError(conflicts);
  for (const o of opts.overrides ?? []) {
    const set = overrides.find((p) => p.origin.startsWith('--set ') && p.path.join('.') === o.path.join('.'));
    if (set) throw UsageError.one(`${set.origin} and the sweep both set ${o.path.join('.')}`, 'keep one of them: sweep it, or set it', { file: set.origin });
  }
  overrides.push(...(opts.overrides ?? []));
  for (const o of overrides) applyOverride(obj, o);
  if (opts.point) delete obj.sweep;

  // ajv applies a kind's param defaults inside `allOf/then`, which it evaluates before the
  // `params: {}` default exists: create the empty maps first so every default lands.
  if (obj.data === undefined) obj.data = {};
  for (const step of Object.values(stepsRaw)) if (step && typeof step === 'object' && !Array.isArray(step) && step.params === undefined) step.params = {};

  const locate = makeLocator(doc, lines, file, overrides);
  // Before ajv or anything else reads the document (a `__proto__` key crashed ajv).
  for (const p of unsafeValues(obj)) diagnostics.push({ message: p.message, hint: p.hint, location: locate(p.path, p.atKey) });
  if (diagnostics.length) throw new UsageError(diagnostics);
  for (const pr of validateSpecDocument(obj, opts.kinds ? generatedSchema(opts.kinds) : undefined)) {
    diagnostics.push({ message: pr.message, hint: pr.hint, location: locate(pr.path, pr.atKey) });
  }
  // Keep going after schema problems so that input and universe problems are reported too.
  const stepEntries = obj.steps && typeof obj.steps === 'object' && !Array.isArray(obj.steps) ? Object.entries(obj.steps as Record<string, any>) : [];
  const steps: StepSpec[] = stepEntries.map(([name, s]) => ({
    name,
    kind: s?.kind as StepKindName,
    ...inputsOf(s?.inputs),
    params: (s?.params ?? {}) as Record<string, unknown>,
  }));

  // Inputs must name steps of this spec.
  const names = steps.map((s) => s.name);
  for (const s of steps) {
    s.inputs.forEach((input, i) => {
      const at = locate(['steps', s.name, 'inputs', s.roles[input] ?? i]);
      if (!names.includes(input)) {
        diagnostics.push({
          message: `step \`${s.name}\` reads input \`${input}\`, which is not a step of this spec`,
          hint: didYouMean(input, names.filter((n) => n !== s.name)),
          location: at,
        });
      } else if (input === s.name) {
        diagnostics.push({ message: `step \`${s.name}\` lists itself as an input`, hint: 'remove it from its own inputs', location: at });
      }
    });
  }

  // Universe: exactly one of tickers / tickers_file.
  const u = (obj.universe && typeof obj.universe === 'object' ? obj.universe : {}) as { tickers?: string[]; tickers_file?: string; max_tickers?: number };
  let tickers: string[] = [];
  let source = file;
  if (u.tickers && u.tickers_file) {
    diagnostics.push({ message: 'universe has both `tickers` and `tickers_file`', hint: 'keep one of them', location: locate(['universe']) });
  } else if (!u.tickers && !u.tickers_file && obj.universe) {
    diagnostics.push({ message: 'universe names no tickers', hint: 'add `tickers: [AAPL, MSFT]` or `tickers_file: tickers/curated.json`', location: locate(['universe']) });
  } else if (u.tickers) {
    tickers = Array.isArray(u.tickers) ? u.tickers.map((t) => String(t).toUpperCase()) : [];
    // The schema's pattern says the same; this names the problem in words.
    if (Array.isArray(u.tickers) && !diagnostics.some((d) => d.message.includes('tickers'))) {
      u.tickers.forEach((t, i) => {
        const why = symbolProblem(t);
        if (why) diagnostics.push({ message: `universe.tickers[${i}] (${showSymbol(t)}) is not a symbol: ${why}`, hint: SYMBOL_HINT, location: locate(['universe', 'tickers', i]) });
      });
    }
  } else {
    const where = locate(['universe', 'tickers_file']);
    const fromFlag = where.line === undefined && where.file.startsWith('--tickers-file');
    const base = fromFlag ? (opts.cwd ?? process.cwd()) : dirname(path);
    const tickersPath = resolve(base, String(u.tickers_file));
    try {
      tickers = readTickersFile(tickersPath, where);
      source = displayPath(tickersPath);
    } catch (e) {
      if (e instanceof UsageError) diagnostics.push(...e.diagnostics);
      else throw e;
    }
  }
  // Symbols are case-insensitive: AAPL and aapl are one ticker. Say so rather than run it twice.
  const notes: string[] = [];
  const unique = [...new Set(tickers)];
  if (unique.length < tickers.length) {
    const seen = new Set<string>();
    const dups = [...new Set(tickers.filter((t) => seen.has(t) || !seen.add(t)))];
    notes.push(`${source} lists ${dups.slice(0, 5).join(', ')}${dups.length > 5 ? ` and ${dups.length - 5} more` : ''} more than once; each is used once (${unique.length} tickers)`);
    tickers = unique;
  }
  if (typeof u.max_tickers === 'number') tickers = tickers.slice(0, u.max_tickers);

  // An end date must be a real calendar day with enough sessions before it.
  const data = obj.data as { end?: unknown } | undefined;
  const days = (obj.params as { days?: unknown } | undefined)?.days;
  if (typeof data?.end === 'string' && typeof days === 'number') {
    try {
      sessionsEnding(data.end, days);
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      diagnostics.push({ message: `data.end: ${e.message}`, hint: e.hint ?? 'use a YYYY-MM-DD date on or after 2000-01-03', location: locate(['data', 'end']) });
    }
  }
  diagnostics.push(...semanticProblems(obj, locate));
  if (diagnostics.length) throw new UsageError(diagnostics);

  return {
    path,
    dir: dirname(path),
    text,
    textHash: createHash('sha256').update(text).digest('hex'),
    name: obj.name as string,
    description: obj.description as string | undefined,
    seed: obj.seed as number,
    batchSize: obj.batch_size as number,
    concurrency: obj.concurrency as number | undefined,
    // A relative shared folder is the spec's own (the spec is the same file on every machine).
    store: typeof obj.store === 'string' ? obj.store.replace(/^folder:(?!\/)/, `folder:${dirname(path)}/`) : undefined,
    universe: { tickers, source },
    data: (obj.data ?? {}) as Record<string, unknown>,
    params: obj.params as SharedParams,
    steps,
    overrides: overrides.map((o) => o.origin).filter((v, i, a) => a.indexOf(v) === i),
    notes,
    resolved: obj,
    locate: (p) => locate(p),
  };
}

interface PathProblem {
  path: (string | number)[];
  atKey?: boolean;
  message: string;
  hint?: string;
}

/**
 * Values no spec may hold, found before anything reads the document: keys that would reach
 * Object.prototype (`__proto__`, `constructor`, `prototype`) and non-finite numbers (`.inf`,
 * `.nan`), which JSON Schema's integer and range checks let through.
 */
function unsafeValues(value: unknown, path: (string | number)[] = [], out: PathProblem[] = []): PathProblem[] {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    out.push({ path, message: `\`${path.join('.')}\` is ${value}, not a finite number`, hint: 'write a plain number' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => unsafeValues(v, [...path, i], out));
  } else if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        out.push({ path: [...path, key], atKey: true, message: `\`${key}\` cannot be used as a key`, hint: 'remove it (it is reserved by JavaScript objects)' });
        continue;
      }
      unsafeValues((value as Record<string, unknown>)[key], [...path, key], out);
    }
  }
  return out;
}

/** Checks JSON Schema cannot express: a real time zone, a warm-up that leaves samples. */
function semanticProblems(obj: Record<string, unknown>, locate: (path: (string | number)[]) => SourceLocation): Diagnostic[] {
  const out: Diagnostic[] = [];
  const data = (obj.data ?? {}) as { folder?: { timezone?: unknown } };
  const tz = data.folder?.timezone;
  if (typeof tz === 'string' && !IANAZone.isValidZone(tz)) {
    const common = ['UTC', 'America/New_York', 'America/Chicago', 'Europe/London'];
    out.push({ message: `data.folder.timezone: unknown time zone "${tz}"`, hint: `use an IANA zone name such as ${common.join(', ')}`, location: locate(['data', 'folder', 'timezone']) });
  }
  const params = (obj.params ?? {}) as { days?: unknown; warmup?: unknown };
  const stepsMap = (obj.steps && typeof obj.steps === 'object' ? obj.steps : {}) as Record<string, { params?: { warmup?: unknown; days?: unknown } }>;
  const checkWarmup = (warmup: unknown, days: unknown, path: (string | number)[]) => {
    if (typeof warmup !== 'number' || typeof days !== 'number') return;
    if (warmup >= days * 390) {
      out.push({
        message: `warmup ${warmup} minutes is as long as all ${days} sessions (${days * 390} minutes): no sample would be taken`,
        hint: `lower warmup (default 120, at most one session: 390) or raise days`,
        location: locate(path),
      });
    }
  };
  checkWarmup(params.warmup, params.days, ['params', 'warmup']);
  for (const [name, st] of Object.entries(stepsMap)) {
    const w = st?.params?.warmup;
    if (w !== undefined) checkWarmup(w, st?.params?.days ?? params.days, ['steps', name, 'params', 'warmup']);
  }
  return out;
}

/** A step's inputs as a list of step names, with the roles the map form (`{model: train_a}`) gives. */
function inputsOf(raw: unknown): { inputs: string[]; roles: Record<string, string> } {
  if (Array.isArray(raw)) return { inputs: raw.map(String), roles: {} };
  if (raw && typeof raw === 'object') {
    const entries = Object.entries(raw as Record<string, unknown>);
    return { inputs: entries.map(([, step]) => String(step)), roles: Object.fromEntries(entries.map(([role, step]) => [String(step), role])) };
  }
  return { inputs: [], roles: {} };
}

const generated = new WeakMap<readonly KindSchemaSource[], Record<string, unknown>>();
function generatedSchema(kinds: readonly KindSchemaSource[]): Record<string, unknown> {
  let s = generated.get(kinds);
  if (!s) generated.set(kinds, (s = pipelineSchema(kinds)));
  return s;
}
