/**
 * Command-line overrides: `--set train.epochs=5` and the seed script's flags (`--days`,
 * `--epochs`, `--sample-interval`, `--max-tickers`, `--tickers-file`), mapped onto spec paths.
 */
import { parse as parseYamlValue } from 'yaml';
import { UsageError, type Diagnostic, type SourceLocation } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';

export interface Override {
  /** Path in the spec document, e.g. ['steps', 'train', 'params', 'epochs']. */
  path: string[];
  value: unknown;
  /** How the user wrote it, for messages: `--set train.epochs=5`. */
  origin: string;
  /** Where it was written when that is a place in a file (a sweep's grid entry); else the origin. */
  location?: SourceLocation;
}

export interface SeedFlags {
  days?: number;
  epochs?: number;
  sampleInterval?: number;
  maxTickers?: number;
  tickersFile?: string;
}

/** Keys that would reach Object.prototype through a path like `params.__proto__.x`. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Shared params the seed flags set, by flag. */
const SEED_FLAG_PARAMS: Record<string, string> = { '--days': 'days', '--epochs': 'epochs', '--sample-interval': 'sample_interval' };

const TOP_LEVEL_KEYS = ['name', 'description', 'seed', 'batch_size', 'concurrency', 'store', 'universe', 'data', 'params'];

/**
 * Parses `a.b.c=value` given to --set; the value is read as YAML (5, true, [a, b], text). The
 * head names a step, a top-level key, or a step kind when exactly one step has that kind
 * (`--set train.epochs=5` reaches the train step whatever it is called).
 */
export function parseSetArg(arg: string, stepKinds: Record<string, string>): Override {
  const stepNames = Object.keys(stepKinds);
  const origin = `--set ${arg}`;
  const eq = arg.indexOf('=');
  if (eq <= 0) {
    throw UsageError.one('expected path=value', 'write it as --set train.epochs=5', { file: origin });
  }
  const keys = arg.slice(0, eq).trim().split('.');
  if (keys.some((k) => k === '')) throw UsageError.one('empty key in the path', 'write it as --set train.epochs=5', { file: origin });
  const forbidden = keys.find((k) => FORBIDDEN_KEYS.has(k));
  if (forbidden) throw UsageError.one(`\`${forbidden}\` cannot be used in a --set path`, 'name a spec key, e.g. --set params.days=20', { file: origin });
  let value: unknown;
  try {
    value = parseYamlValue(arg.slice(eq + 1));
  } catch {
    value = arg.slice(eq + 1);
  }
  let [head, ...rest] = keys;
  const ofKind = stepNames.filter((n) => stepKinds[n] === head);
  if (!stepNames.includes(head) && !TOP_LEVEL_KEYS.includes(head) && ofKind.length === 1) head = ofKind[0];
  if (stepNames.includes(head)) {
    if (rest.length === 0) {
      throw UsageError.one(`name a parameter of step \`${head}\``, `for example --set ${head}.epochs=5`, { file: origin });
    }
    return { path: ['steps', head, 'params', ...rest], value, origin };
  }
  if (head === 'steps') return { path: keys, value, origin };
  if (TOP_LEVEL_KEYS.includes(head)) return { path: keys, value, origin };
  throw UsageError.one(
    `\`${head}\` is neither a step of this spec nor a top-level key`,
    didYouMean(head, [...stepNames, ...TOP_LEVEL_KEYS]),
    { file: origin },
  );
}

/** The seed flags as overrides of shared params (and of any step that sets the same key itself). */
export function seedFlagOverrides(flags: SeedFlags, steps: Record<string, { params?: Record<string, unknown> }>): Override[] {
  const out: Override[] = [];
  const shared = (key: string, value: number | undefined, flag: string) => {
    if (value === undefined) return;
    const origin = `${flag} ${value}`;
    out.push({ path: ['params', key], value, origin });
    // A flag is the knob the user turns: it also wins over a step that set the key itself.
    for (const [name, step] of Object.entries(steps)) {
      if (step?.params && Object.prototype.hasOwnProperty.call(step.params, key)) {
        out.push({ path: ['steps', name, 'params', key], value, origin });
      }
    }
  };
  shared('days', flags.days, '--days');
  shared('epochs', flags.epochs, '--epochs');
  shared('sample_interval', flags.sampleInterval, '--sample-interval');
  if (flags.maxTickers !== undefined) {
    out.push({ path: ['universe', 'max_tickers'], value: flags.maxTickers, origin: `--max-tickers ${flags.maxTickers}` });
  }
  if (flags.tickersFile !== undefined) {
    out.push({ path: ['universe', 'tickers_file'], value: flags.tickersFile, origin: `--tickers-file ${flags.tickersFile}` });
    out.push({ path: ['universe', 'tickers'], value: undefined, origin: `--tickers-file ${flags.tickersFile}` });
  }
  return out;
}

/** Sets (or, with value undefined, deletes) a path in a plain object tree, creating maps on the way. */
export function applyOverride(doc: Record<string, unknown>, o: Override): void {
  let node: Record<string, unknown> = doc;
  for (const key of o.path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) {
      throw UsageError.one(`\`${key}\` is not a map, so \`${o.path.join('.')}\` cannot be set`, undefined, { file: o.origin });
    }
    node = node[key] as Record<string, unknown>;
  }
  const last = o.path[o.path.length - 1];
  if (o.value === undefined) delete node[last];
  else node[last] = o.value;
}

/**
 * A seed flag and a --set that give one param two values (`--epochs 2 --set train.epochs=3`)
 * would leave one silently ignored: refuse the pair and say which to keep.
 */
export function overrideConflicts(overrides: Override[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const flag of overrides) {
    const flagName = flag.origin.split(' ')[0];
    const key = SEED_FLAG_PARAMS[flagName];
    if (!key || flag.path.length !== 2) continue;
    for (const set of overrides) {
      if (!set.origin.startsWith('--set ') || set.path[set.path.length - 1] !== key) continue;
      const shared = set.path.length === 2 && set.path[0] === 'params';
      const ofStep = set.path.length === 4 && set.path[0] === 'steps' && set.path[2] === 'params';
      if ((shared || ofStep) && JSON.stringify(set.value) !== JSON.stringify(flag.value)) {
        out.push({
          message: `${flag.origin} and ${set.origin} give ${key} two values${ofStep ? ` (step \`${set.path[1]}\` would use ${JSON.stringify(set.value)})` : ''}`,
          hint: `keep one of them`,
          location: { file: set.origin },
        });
      }
    }
  }
  return out;
}
