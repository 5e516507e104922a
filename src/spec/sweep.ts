/**
 * Sweeps: a spec's `sweep:` section (and `--sweep path=a,b,c` on the command line) expanded
 * into points, each a full Spec loaded with that point's values as overrides. Every point goes
 * through the same validation as a plain run, and a bad value is reported at the grid entry
 * that produced it (file:line:col), or at the flag.
 */
import { resolve } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { UsageError, type Diagnostic, type SourceLocation } from '../util/errors.js';
import { loadSpec, parseSpec, type LoadOptions } from './load.js';
import { parseSetArg, type Override } from './overrides.js';
import type { Spec } from './types.js';

/** Shared params a grid may name without `params.` (as the seed flags do). */
const SHARED = new Set(['days', 'sample_interval', 'warmup', 'horizon', 'epochs', 'min_samples']);
export const DEFAULT_MAX_POINTS = 1000;

/** One axis of the grid: a param path and its values, with where it was written. */
export interface SweepAxis {
  /** As written: `days`, `train.epochs`. */
  name: string;
  values: unknown[];
  location: SourceLocation;
}

export interface SweepPoint {
  index: number;
  /** The point's value for each axis, by axis name. */
  values: Record<string, unknown>;
  spec: Spec;
}

export interface Sweep {
  /** The spec without any point applied (the first point's spec when there is no sweep). */
  base: Spec;
  mode: 'cross' | 'zip';
  axes: SweepAxis[];
  points: SweepPoint[];
}

/** `--sweep train.epochs=5,10,20` or `--sweep days=10..30:10` → an axis. */
export function parseSweepArg(arg: string): SweepAxis {
  const location = { file: `--sweep ${arg}` };
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) throw UsageError.one('expected path=values', 'write it as --sweep train.epochs=5,10,20 or --sweep days=10..30:10', location);
  const name = arg.slice(0, eq).trim();
  const text = arg.slice(eq + 1).trim();
  const range = /^(-?[\d.]+)\.\.(-?[\d.]+)(?::(-?[\d.]+))?$/.exec(text);
  if (range) return { name, values: rangeValues({ from: Number(range[1]), to: Number(range[2]), step: range[3] === undefined ? undefined : Number(range[3]) }, location), location };
  const values = text.split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw UsageError.one(`--sweep ${name}: an empty value in the list`, 'separate values with commas, e.g. 5,10,20', location);
  return { name, values: values.map((v) => parseYamlValue(v)), location };
}

function rangeValues(r: { from: number; to: number; step?: number }, location: SourceLocation): number[] {
  const step = r.step ?? 1;
  if (step === 0 || !Number.isFinite(step)) throw UsageError.one(`the range ${r.from}..${r.to} has step ${step}`, 'use a non-zero step, e.g. {from: 10, to: 30, step: 10}', location);
  if ((r.to - r.from) * step < 0) {
    throw UsageError.one(`the range from ${r.from} to ${r.to} never arrives with step ${step}`, `use step ${-step} (or swap from and to)`, location);
  }
  const n = Math.floor((r.to - r.from) / step + 1e-9) + 1;
  if (n > 100_000) throw UsageError.one(`the range ${r.from}..${r.to} step ${step} has ${n} values`, 'use a larger step', location);
  // Computed from the index, not by adding steps: no drift (0.1 + 0.2 ≠ 0.3).
  return Array.from({ length: n }, (_, i) => Number((r.from + i * step).toPrecision(12)));
}

/** The grid's points: every combination (cross) or the i-th of every axis (zip). */
export function gridPoints(axes: SweepAxis[], mode: 'cross' | 'zip'): Record<string, unknown>[] {
  if (axes.length === 0) return [{}];
  if (mode === 'zip') {
    const n = axes[0].values.length;
    const bad = axes.find((a) => a.values.length !== n);
    if (bad) {
      throw UsageError.one(`sweep mode zip needs lists of one length: ${axes[0].name} has ${n} values, ${bad.name} has ${bad.values.length}`, 'give every axis as many values, or use mode: cross', bad.location);
    }
    return Array.from({ length: n }, (_, i) => Object.fromEntries(axes.map((a) => [a.name, a.values[i]])));
  }
  let points: Record<string, unknown>[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.name]: v })));
  return points;
}

/** A point's values as overrides, each located at its axis (shared params reach steps that set them). */
function pointOverrides(values: Record<string, unknown>, axes: SweepAxis[], stepsRaw: Record<string, { kind?: unknown; params?: Record<string, unknown> }>): Override[] {
  const stepKinds = Object.fromEntries(Object.entries(stepsRaw).map(([n, s]) => [n, String(s?.kind ?? '')]));
  const out: Override[] = [];
  for (const axis of axes) {
    const value = values[axis.name];
    const origin = `sweep ${axis.name}=${JSON.stringify(value)}`;
    if (SHARED.has(axis.name)) {
      out.push({ path: ['params', axis.name], value, origin, location: axis.location });
      // Like --days: the swept knob also wins over a step that set it itself.
      for (const [name, step] of Object.entries(stepsRaw)) {
        if (step?.params && Object.prototype.hasOwnProperty.call(step.params, axis.name)) out.push({ path: ['steps', name, 'params', axis.name], value, origin, location: axis.location });
      }
      continue;
    }
    let o: Override;
    try {
      o = parseSetArg(`${axis.name}=x`, stepKinds);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(e.diagnostics.map((d) => ({ ...d, message: `sweep: ${d.message.replace('--set path', 'sweep path')}`, location: axis.location })));
      throw e;
    }
    out.push({ ...o, value, origin, location: axis.location });
    // A tickers file replaces an inline list.
    if (o.path.join('.') === 'universe.tickers_file') out.push({ path: ['universe', 'tickers'], value: undefined, origin, location: axis.location });
  }
  return out;
}

function axesOf(section: Record<string, any>, locate: Spec['locate']): SweepAxis[] {
  const axes: SweepAxis[] = [];
  for (const [name, raw] of Object.entries((section.grid ?? {}) as Record<string, unknown>)) {
    const location = locate(['sweep', 'grid', name]);
    const values = Array.isArray(raw) ? raw : rangeValues(raw as { from: number; to: number; step?: number }, location);
    axes.push({ name, values, location });
  }
  return axes;
}

export interface SweepLoadOptions extends LoadOptions {
  /** `--sweep` arguments: axes added to the spec's grid (one of the same name replaces it). */
  sweep?: string[];
  /** `--max-points`: overrides sweep.max_points. */
  maxPoints?: number;
}

/** Loads a spec and expands its sweep (plus `--sweep` axes) into points; no sweep → one point. */
export function loadSweep(specPath: string, opts: SweepLoadOptions = {}): Sweep {
  const base = loadSpec(resolve(specPath), opts);
  return expandSweep(base, opts);
}

/** The same from a spec's text (tests, rerun of a recorded spec). */
export function parseSweep(text: string, path: string, opts: SweepLoadOptions = {}): Sweep {
  return expandSweep(parseSpec(text, path, opts), opts);
}

/** Every point is parsed from the base spec's own text (read once), with its values as overrides. */
function expandSweep(base: Spec, opts: SweepLoadOptions): Sweep {
  const section = (base.resolved.sweep ?? {}) as Record<string, any>;
  const axes = axesOf(section, base.locate);
  for (const arg of opts.sweep ?? []) {
    const axis = parseSweepArg(arg);
    const at = axes.findIndex((a) => a.name === axis.name);
    if (at >= 0) axes[at] = axis;
    else axes.push(axis);
  }
  const mode = (section.mode ?? 'cross') as 'cross' | 'zip';
  if (axes.length === 0) return { base, mode, axes, points: [{ index: 0, values: {}, spec: base }] };
  const maxPoints = opts.maxPoints ?? (section.max_points as number | undefined) ?? DEFAULT_MAX_POINTS;
  const size = mode === 'zip' ? axes[0].values.length : axes.reduce((n, a) => n * a.values.length, 1);
  if (size > maxPoints) {
    throw UsageError.one(
      `the sweep has ${size.toLocaleString('en-US')} points (${axes.map((a) => `${a.name}: ${a.values.length}`).join(' × ')}), more than max_points ${maxPoints}`,
      'shrink the grid, or raise sweep.max_points (or pass --max-points N) if you mean it',
      section.max_points !== undefined ? base.locate(['sweep', 'max_points']) : base.locate(['sweep']),
    );
  }
  const stepsRaw = base.resolved.steps as Record<string, { kind?: unknown; params?: Record<string, unknown> }>;
  const problems: Diagnostic[] = [];
  const points: SweepPoint[] = [];
  for (const [index, values] of gridPoints(axes, mode).entries()) {
    try {
      const spec = parseSpec(base.text, base.path, { ...opts, overrides: pointOverrides(values, axes, stepsRaw), point: true });
      points.push({ index, values, spec });
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const shown = Object.entries(values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
      for (const d of e.diagnostics) {
        if (!problems.some((p) => p.message.endsWith(d.message))) problems.push({ ...d, message: `sweep point ${index + 1} (${shown}): ${d.message}` });
      }
    }
  }
  if (problems.length) throw new UsageError(problems.slice(0, 20));
  return { base, mode, axes, points };
}
