/**
 * The 111 indicators over a Panel: the kernels in execution order, name selection, and
 * `computeIndicators`, which runs only the kernels the requested names need (plus the kernels
 * providing the shared series those read).
 */
import type { Panel } from '../data/panel.js';
import { run, type KernelDef } from './engine.js';
import { AVWAP_KERNELS } from './kernels/avwap.js';
import { MOMENTUM_KERNELS } from './kernels/momentum.js';
import { logReturn, PRICE_KERNELS } from './kernels/price.js';
import { TREND_KERNELS } from './kernels/trend.js';
import { VOLATILITY_KERNELS } from './kernels/volatility.js';
import { VOLUME_KERNELS } from './kernels/volume.js';
import { NAME_INDEX, REGISTRY } from './registry.js';
import type { ComputeOptions, IndicatorInfo, IndicatorResult } from './types.js';

/**
 * Bump whenever the set, the order, or any formula/convention changes: the runner puts it in
 * cache keys.
 */
export const INDICATORS_VERSION = 1;

/** All 111 names, in the documented order. */
export const INDICATOR_NAMES: readonly string[] = Object.freeze(REGISTRY.map((x) => x.name));

/** Kernels in execution order: providers of shared series come before their consumers. */
const KERNELS: readonly KernelDef[] = [
  logReturn,
  ...AVWAP_KERNELS,
  ...TREND_KERNELS,
  ...MOMENTUM_KERNELS,
  ...VOLATILITY_KERNELS,
  ...VOLUME_KERNELS,
  ...PRICE_KERNELS,
];

const KERNEL_OF = new Map<string, KernelDef>();
for (const k of KERNELS) {
  for (const o of k.outputs) {
    if (KERNEL_OF.has(o)) throw new Error(`indicators: ${o} produced by two kernels`);
    if (!NAME_INDEX.has(o)) throw new Error(`indicators: kernel ${k.id} writes unknown output ${o}`);
    KERNEL_OF.set(o, k);
  }
}
for (const n of INDICATOR_NAMES) if (!KERNEL_OF.has(n)) throw new Error(`indicators: no kernel for ${n}`);

export function listIndicators(): IndicatorInfo[] {
  return REGISTRY.map((x) => ({ ...x, params: { ...x.params } }));
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest known name to `name` (case-insensitive edit distance). */
export function suggestIndicator(name: string): string {
  const up = name.toUpperCase();
  let best = INDICATOR_NAMES[0];
  let bd = Infinity;
  for (const n of INDICATOR_NAMES) {
    const d = editDistance(up, n) - (n.startsWith(up) || up.startsWith(n) ? 0.5 : 0);
    if (d < bd) {
      bd = d;
      best = n;
    }
  }
  return best;
}

/** Validates and orders a name selection (documented order, duplicates dropped). */
export function resolveIndicatorNames(names?: readonly string[]): string[] {
  if (!names) return [...INDICATOR_NAMES];
  const unknown = [...new Set(names.filter((n) => !NAME_INDEX.has(n)))];
  if (unknown.length > 0) {
    const hints = unknown.map((u) => `${JSON.stringify(u)} (did you mean ${suggestIndicator(u)}?)`);
    throw new Error(
      `Unknown indicator name${unknown.length > 1 ? 's' : ''}: ${hints.join(', ')}. ` +
        `listIndicators() gives the ${INDICATOR_NAMES.length} valid names.`,
    );
  }
  const set = new Set(names);
  return INDICATOR_NAMES.filter((n) => set.has(n));
}

export function checkPanel(p: Panel): void {
  const size = p.T * p.N;
  for (const f of ['open', 'high', 'low', 'close', 'volume', 'mask'] as const) {
    if (p[f].length !== size) throw new Error(`indicators: panel.${f} has ${p[f].length} values, expected T*N = ${size}`);
  }
  if (p.sessionOfRow.length !== p.T) throw new Error(`indicators: panel.sessionOfRow has ${p.sessionOfRow.length} rows, expected T = ${p.T}`);
}

/**
 * Computes the requested indicators (default: all 111) for every ticker and row of the panel.
 * Result layout: values[((t * N) + n) * F + f], NaN where an indicator is not (yet) defined.
 */
export function computeIndicators(panel: Panel, opts: ComputeOptions = {}): IndicatorResult {
  checkPanel(panel);
  const names = resolveIndicatorNames(opts.names);
  const { T, N } = panel;
  const F = names.length;
  const nOffset = opts.nOffset ?? 0;
  const nTotal = opts.nTotal ?? N;
  if (!Number.isInteger(nOffset) || !Number.isInteger(nTotal) || nOffset < 0 || nOffset + N > nTotal)
    throw new Error(`indicators: columns ${nOffset}..${nOffset + N - 1} do not fit in nTotal = ${nTotal}`);
  if (nTotal !== N && !opts.out) throw new Error('indicators: opts.nOffset/nTotal need opts.out');
  let values = opts.out;
  if (values) {
    if (values.length !== T * nTotal * F) throw new Error(`indicators: opts.out has ${values.length} values, expected T*N*F = ${T * nTotal * F}`);
  } else values = new Float32Array(T * N * F);
  const active = new Set<KernelDef>(names.map((n) => KERNEL_OF.get(n)!));
  const needed = new Set<string>();
  for (const k of active) for (const s of k.needs ?? []) needed.add(s);
  for (const k of KERNELS) if (k.provides?.some((s) => needed.has(s))) active.add(k);
  const ordered = KERNELS.filter((k) => active.has(k));
  const nan = T > 0 && N > 0 && F > 0 ? run(panel, ordered, names, values, { nOffset, nTotal }, opts.countNaN === true) : 0;
  const result: IndicatorResult = { values, names, T, N: nTotal, F };
  if (opts.countNaN) result.nanCount = nan;
  return result;
}
