/**
 * Precheck: a fast look at the data before any heavy work. Per ticker and day it counts bars
 * present, missing and zero-volume minutes and price anomalies; it estimates the number of
 * training samples by the guide's formula and by counting the sample points the `sample` step
 * will really take (`samplePoints` in sampling.ts, shared with that step), and when too few are expected it
 * fails with a message that says what to change. It also fails on thin or misaligned data
 * (`checkCoverage`): a ticker with too many minutes or days missing, or requested days the data
 * do not hold; and it reports the end date and which tickers are padded on which days.
 */
import type { Panel, SessionInfo } from './panel.js';
import type { Provider } from './provider.js';
import { DataError } from './provider.js';
import { FULL_DAY_BARS } from './calendar.js';

import { checkGrid, samplePointsPerTicker, type SampleGrid } from './sampling.js';
export { sampleRows, samplePoints, samplePointsPerTicker, type PanelRows, type SampleGrid } from './sampling.js';

/** The guide's estimate: floor((days × 390 − warmup) ÷ interval) per ticker, × tickers. */
export function formulaEstimate(days: number, interval: number, warmup: number, tickers: number): number {
  const perTicker = Math.max(0, Math.floor((days * FULL_DAY_BARS - warmup) / interval));
  return perTicker * tickers;
}

export interface DayCoverage {
  date: string;
  /** Bars expected on this session (390 or 210). */
  expected: number;
  /** Observed bars (mask 1). */
  bars: number;
  missingPct: number;
  /** Observed bars with volume 0, as % of observed bars. */
  zeroVolumePct: number;
  /** Largest |1-minute close-to-close return| between observed bars within the session. */
  maxAbsReturn: number;
  /** Count of 1-minute returns with |r| above the anomaly threshold. */
  jumps: number;
  /** Observed bars with a non-positive price or high < low. */
  badPrices: number;
}

export interface TickerCoverage {
  ticker: string;
  expected: number;
  bars: number;
  missingPct: number;
  zeroVolumePct: number;
  jumps: number;
  badPrices: number;
  /** Days without a single observed bar. */
  emptyDays: number;
  /** Sample points the sample step would take for this ticker. */
  samples: number;
  /** Formula estimate for this ticker. */
  formulaSamples: number;
  days: DayCoverage[];
}

export interface PrecheckReport {
  ok: boolean;
  /** The error message when ok is false (also thrown as DataError by `assertPrecheck`). */
  error?: string;
  params: { days: number; sampleInterval: number; warmup: number; horizon: number; minSamples: number; tickers: number; anomalyReturn: number } & CoverageThresholds;
  range: { first: string; last: string; sessions: number; earlyCloses: string[] };
  estimate: {
    /** The guide's formula. */
    formula: number;
    /** Counted sample points after gaps (what the sample step will take). */
    real: number;
  };
  totals: { expected: number; bars: number; missingPct: number; zeroVolumePct: number; jumps: number; badPrices: number };
  suggestions?: { days: { days: number; estimate: number }; interval: { interval: number; estimate: number }; tickers?: { file: string; count: number; estimate: number } };
  tickers: TickerCoverage[];
  /** Thresholds applied, end date, padding and violations (see checkCoverage). */
  coverage: CoverageCheck;
  warnings: string[];
  elapsedMs: number;
}

export interface PrecheckOptions {
  tickers: string[];
  sessions: SessionInfo[];
  /** Days as the user gave them (default sessions.length). */
  days?: number;
  sampleInterval: number;
  warmup: number;
  horizon: number;
  minSamples: number;
  /** Tickers per fetch (memory is bounded by one batch). Default 50. */
  batchSize?: number;
  /** |1-minute return| above this is counted as a price anomaly. Default 0.10. */
  anomalyReturn?: number;
  /** Coverage thresholds (defaults DEFAULT_THRESHOLDS). */
  thresholds?: Partial<CoverageThresholds>;
  /** Where the end date, the tickers list and the step's --set come from, for messages. */
  context?: CoverageContext;
  /** The larger universe to suggest (default pipelines/tickers/all.json, 655 tickers). */
  moreTickers?: { file: string; count: number };
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  onWarning?: (message: string) => void;
}

export const DEFAULT_MORE_TICKERS = { file: 'pipelines/tickers/all.json', count: 655 };

/** Fetches one batch: a Provider, or a function (e.g. the cached fetch step). */
export type BatchSource = Provider | ((tickers: string[], signal?: AbortSignal) => Promise<Panel>);

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (a: number, b: number) => (b > 0 ? Math.round((10000 * a) / b) / 100 : 0);

/** Coverage of one panel (one batch), per ticker and day. */
export function panelCoverage(panel: Panel, grid: SampleGrid, anomalyReturn = 0.1): TickerCoverage[] {
  const { N, T } = panel;
  const samples = samplePointsPerTicker(panel, grid);
  const formulaSamples = formulaEstimate(panel.sessions.length, grid.sample_interval, grid.warmup, 1);
  const out: TickerCoverage[] = [];
  for (let n = 0; n < N; n++) {
    const days: DayCoverage[] = [];
    for (const s of panel.sessions) {
      let bars = 0;
      let zero = 0;
      let maxAbs = 0;
      let jumps = 0;
      let bad = 0;
      let prev = NaN;
      for (let m = 0; m < s.bars; m++) {
        const i = (s.start + m) * N + n;
        if (!panel.mask[i]) continue;
        bars++;
        if (panel.volume[i] === 0) zero++;
        const c = panel.close[i];
        if (!(panel.low[i] > 0) || !(c > 0) || !(panel.open[i] > 0) || panel.high[i] < panel.low[i]) {
          bad++;
          continue;
        }
        if (prev > 0) {
          const r = Math.abs(c / prev - 1);
          if (r > maxAbs) maxAbs = r;
          if (r > anomalyReturn) jumps++;
        }
        prev = c;
      }
      days.push({
        date: s.date,
        expected: s.bars,
        bars,
        missingPct: pct(s.bars - bars, s.bars),
        zeroVolumePct: pct(zero, bars),
        maxAbsReturn: Math.round(maxAbs * 1e6) / 1e6,
        jumps,
        badPrices: bad,
      });
    }
    const expected = T;
    const bars = days.reduce((a, d) => a + d.bars, 0);
    const zero = days.reduce((a, d) => a + (d.zeroVolumePct * d.bars) / 100, 0);
    out.push({
      ticker: panel.tickers[n],
      expected,
      bars,
      missingPct: pct(expected - bars, expected),
      zeroVolumePct: pct(zero, bars),
      jumps: days.reduce((a, d) => a + d.jumps, 0),
      badPrices: days.reduce((a, d) => a + d.badPrices, 0),
      emptyDays: days.filter((d) => d.bars === 0).length,
      samples: samples[n],
      formulaSamples,
      days,
    });
  }
  return out;
}

/**
 * Coverage thresholds: what a ticker and the requested range must hold before training on them.
 * Defaults are the precheck step's param defaults in schemas/pipeline.schema.json.
 */
export interface CoverageThresholds {
  /** Per ticker: the largest share of minutes without a bar (over the days the data hold). */
  maxMissingShare: number;
  /** Per ticker: the smallest share of those days with at least one bar. */
  minDaysShare: number;
  /** Requested sessions on which no ticker has a single bar (the request reaches past the data). */
  maxAbsentDays: number;
}

export const DEFAULT_THRESHOLDS: Readonly<CoverageThresholds> = { maxMissingShare: 0.2, minDaysShare: 0.9, maxAbsentDays: 0 };

/** Days at the edges of the range where a ticker has no bars and the panel carries prices over it. */
export interface Padding {
  ticker: string;
  /** Its first and last day with bars. */
  first: string;
  last: string;
  /** Days before `first` (back-filled from its first open) and after `last` (its last close carried on). */
  before: string[];
  after: string[];
}

export interface CoverageViolation {
  rule: 'max_absent_days' | 'max_missing_share' | 'min_days_share';
  /** Absent when the whole universe is concerned. */
  ticker?: string;
  /** The days concerned (absent days, or the ticker's days without bars). */
  dates: string[];
  message: string;
}

export interface CoverageCheck {
  thresholds: CoverageThresholds;
  /** The last requested session and where it came from (data.end or a provider default). */
  end: { date: string; source: string };
  /** Requested sessions with at least one bar of any ticker. */
  held: { sessions: number; first?: string; last?: string };
  /** Requested sessions with no bar at all. */
  absentDays: string[];
  /** Tickers whose data start later or end earlier than the others', with the padded days. */
  padding: Padding[];
  /** Days inside a ticker's own range without its bars (prices carried over the hole). */
  gaps: { ticker: string; dates: string[] }[];
  /** The latest end every ticker reaches, when they end on different days (data.end for an aligned panel). */
  alignedEnd?: string;
  violations: CoverageViolation[];
}

export interface CoverageContext {
  /** Where the end date came from, for the report (default "data.end"). */
  endSource?: string;
  /** Where the tickers are listed, for "drop X from …" (e.g. a tickers file). */
  universeSource?: string;
  /** How --set reaches the precheck step (default "precheck"). */
  setPrefix?: string;
}

/** Dates as "a … b" when consecutive sessions of `all`, else a short list. */
function fmtDates(dates: string[], all: string[]): string {
  if (dates.length <= 2) return dates.join(', ');
  const i = all.indexOf(dates[0]);
  if (i >= 0 && dates.every((d, k) => all[i + k] === d)) return `${dates[0]} … ${dates.at(-1)}`;
  return dates.length <= 4 ? dates.join(', ') : `${dates.slice(0, 3).join(', ')} and ${dates.length - 3} more`;
}

/** "5 sessions: a … b", or the single date. */
const countedDates = (dates: string[], all: string[]) => (dates.length === 1 ? dates[0] : `${dates.length} sessions: ${fmtDates(dates, all)}`);

const share = (x: number) => `${(Math.round(x * 1000) / 10).toString()}%`;

/**
 * Applies the coverage thresholds to a precheck's per-ticker coverage. Days no ticker has are
 * one universe-level finding (the request reaches past the data), so per-ticker shares are taken
 * over the days the data hold and a short file is not reported once per ticker.
 */
export function checkCoverage(
  tickers: TickerCoverage[],
  sessions: Pick<SessionInfo, 'date'>[],
  thresholds: Partial<CoverageThresholds> = {},
  ctx: CoverageContext = {},
): CoverageCheck {
  const th: CoverageThresholds = { ...DEFAULT_THRESHOLDS, ...stripUndefined(thresholds) };
  const dates = sessions.map((s) => s.date);
  const set = ctx.setPrefix ?? 'precheck';
  const where = ctx.universeSource ? ` (${ctx.universeSource})` : '';
  const isHeld = dates.map((_, i) => tickers.some((t) => t.days[i].bars > 0));
  const heldIdx = dates.map((_, i) => i).filter((i) => isHeld[i]);
  const absentDays = dates.filter((_, i) => !isHeld[i]);
  const end = { date: dates.at(-1)!, source: ctx.endSource ?? 'data.end' };
  const check: CoverageCheck = {
    thresholds: th,
    end,
    held: { sessions: heldIdx.length, first: dates[heldIdx[0]], last: dates[heldIdx.at(-1)!] },
    absentDays,
    padding: [],
    gaps: [],
    violations: [],
  };

  if (absentDays.length > th.maxAbsentDays) check.violations.push(absentDaysViolation(dates, heldIdx, absentDays, end, set));
  if (heldIdx.length === 0) return check;

  const firstHeld = heldIdx[0];
  const lastHeld = heldIdx.at(-1)!;
  for (const t of tickers) {
    const withBars = heldIdx.filter((i) => t.days[i].bars > 0);
    let expected = 0;
    let bars = 0;
    for (const i of heldIdx) {
      expected += t.days[i].expected;
      bars += t.days[i].bars;
    }
    const missingShare = expected > 0 ? (expected - bars) / expected : 0;
    const daysShare = withBars.length / heldIdx.length;
    const empty = heldIdx.filter((i) => t.days[i].bars === 0);
    const before = withBars.length ? empty.filter((i) => i < withBars[0]) : [];
    const after = withBars.length ? empty.filter((i) => i > withBars.at(-1)!) : [];
    const inner = empty.filter((i) => !before.includes(i) && !after.includes(i));
    if (withBars.length && (before.length || after.length)) {
      check.padding.push({
        ticker: t.ticker,
        first: dates[withBars[0]],
        last: dates[withBars.at(-1)!],
        before: before.map((i) => dates[i]),
        after: after.map((i) => dates[i]),
      });
    }
    if (inner.length) check.gaps.push({ ticker: t.ticker, dates: inner.map((i) => dates[i]) });
    const tooThin = missingShare > th.maxMissingShare;
    const tooFewDays = daysShare < th.minDaysShare;
    if (!tooThin && !tooFewDays) continue;

    const what: string[] = [];
    if (tooThin) what.push(`${share(missingShare)} of minutes missing (at most ${share(th.maxMissingShare)})`);
    if (tooFewDays) what.push(`bars on ${withBars.length} of ${heldIdx.length} days (at least ${share(th.minDaysShare)})`);
    if (!withBars.length) what.push(`no bars at all in ${dates[firstHeld]} … ${dates[lastHeld]}`);
    if (before.length) what.push(`no bars before ${dates[withBars[0]]} (${countedDates(before.map((i) => dates[i]), dates)})`);
    if (after.length) what.push(`no bars after ${dates[withBars.at(-1)!]} (${countedDates(after.map((i) => dates[i]), dates)})`);
    if (inner.length) what.push(`no bars on ${countedDates(inner.map((i) => dates[i]), dates)}`);

    const fixes = [`drop ${t.ticker} from the universe${where}`];
    if (after.length) fixes.push(`end the range at its last day with data.end: ${dates[withBars.at(-1)!]}`);
    if (before.length) fixes.push(`start at its first day with --days ${dates.length - withBars[0]}`);
    const allow: string[] = [];
    if (tooThin) allow.push(`--set ${set}.max_missing_share=${Math.ceil(missingShare * 100) / 100}`);
    if (tooFewDays) allow.push(`--set ${set}.min_days_share=${Math.floor(daysShare * 100) / 100}`);
    fixes.push(`allow it with ${allow.join(' ')}`);

    check.violations.push({
      rule: tooThin ? 'max_missing_share' : 'min_days_share',
      ticker: t.ticker,
      dates: empty.map((i) => dates[i]),
      message: `${t.ticker}: ${what.join('; ')}. Fix: ${joinOr(fixes)}`,
    });
  }
  const lastDays = check.padding.filter((p) => p.after.length).map((p) => p.last);
  if (lastDays.length) check.alignedEnd = lastDays.sort()[0];
  return check;
}

function absentDaysViolation(dates: string[], heldIdx: number[], absent: string[], end: CoverageCheck['end'], set: string): CoverageViolation {
  const head = `${dates.length} days requested (${dates[0]} … ${end.date}, ${end.source === 'data.end' ? 'data.end' : 'the default end'})`;
  if (heldIdx.length === 0) {
    return {
      rule: 'max_absent_days',
      dates: absent,
      message: `${head}, but no ticker has a single bar in them. Fix: check data.end and the data source (a folder's files, a provider's plan) hold these days`,
    };
  }
  const first = heldIdx[0];
  const last = heldIdx.at(-1)!;
  const leading = dates.slice(0, first);
  const trailing = dates.slice(last + 1);
  const inner = absent.filter((d) => !leading.includes(d) && !trailing.includes(d));
  const why: string[] = [];
  if (leading.length) why.push(`the data start ${dates[first]}`);
  if (trailing.length) why.push(`the data end ${dates[last]}`);
  if (inner.length) why.push(`the data have a hole on ${fmtDates(inner, dates)}`);
  const fixes: string[] = [];
  const span = last - first + 1;
  if (trailing.length) fixes.push(`data.end: ${dates[last]}${leading.length ? ` with --days ${span}` : ''}`);
  else if (leading.length) fixes.push(`--days ${span}`);
  if (inner.length) fixes.push('fill the hole in the data');
  fixes.push(`allow it with --set ${set}.max_absent_days=${absent.length}`);
  return {
    rule: 'max_absent_days',
    dates: absent,
    message: `${head}, but no ticker has bars on ${absent.length} of them: ${fmtDates(absent, dates)} (${why.join('; ')}). Fix: ${joinOr(fixes)}`,
  };
}

function joinOr(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')}, or ${items.at(-1)}`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Per ticker lines listed in a failure message; the rest are counted and named briefly. */
const LISTED_VIOLATIONS = 10;

/** The coverage failure message: one line per problem, the worst tickers first. */
export function coverageMessage(check: CoverageCheck): string {
  const v = check.violations;
  const universe = v.filter((x) => !x.ticker);
  const perTicker = v.filter((x) => x.ticker);
  const lines = [`Coverage too thin for training: ${v.length} problem(s).`];
  for (const x of [...universe, ...perTicker.slice(0, LISTED_VIOLATIONS)]) lines.push(`  - ${x.message}`);
  const rest = perTicker.slice(LISTED_VIOLATIONS);
  if (rest.length) {
    const names = rest.slice(0, 20).map((x) => x.ticker);
    lines.push(`  - … and ${rest.length} more ticker(s): ${names.join(', ')}${rest.length > names.length ? ', …' : ''} (precheck --json lists them all)`);
  }
  return lines.join('\n');
}

/** "End date … ; padded …" lines for the report: the end date and which tickers are padded on which days. */
export function paddingLines(check: CoverageCheck, all: string[]): string[] {
  const out = [`End date ${check.end.date} (${check.end.source})`];
  if (!check.padding.length) return out;
  // Group tickers padded on the same days, so 14 files ending one day early are one line.
  const groups = new Map<string, Padding[]>();
  for (const p of check.padding) {
    const k = `${p.before.join(',')}|${p.after.join(',')}`;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  const names = (ps: Padding[]) => (ps.length <= 6 ? ps.map((p) => p.ticker).join(', ') : `${ps.slice(0, 5).map((p) => p.ticker).join(', ')} and ${ps.length - 5} more`);
  for (const ps of groups.values()) {
    const p = ps[0];
    const parts: string[] = [];
    if (p.after.length) parts.push(`end ${p.last}: last close carried over ${countedDates(p.after, all)}`);
    if (p.before.length) parts.push(`start ${p.first}: first open back-filled over ${countedDates(p.before, all)}`);
    out.push(`Padded: ${names(ps)} ${parts.join('; ')}`);
  }
  if (check.alignedEnd && check.alignedEnd !== check.held.last) out.push(`For a panel without padding at the end set data.end: ${check.alignedEnd}`);
  return out;
}

/** Suggestions that reach `minSamples` (see docs/data.md for the rule). */
export function suggestFixes(opts: {
  days: number;
  interval: number;
  warmup: number;
  tickers: number;
  minSamples: number;
  /** real ÷ formula of the current data (≤ 1); suggestions must reach the requirement after it. */
  coverage: number;
  moreTickers?: { file: string; count: number };
}): NonNullable<PrecheckReport['suggestions']> {
  const { interval, warmup, tickers, minSamples } = opts;
  const cov = Math.min(1, Math.max(opts.coverage, 0.05));
  const reaches = (est: number) => est * cov >= minSamples;
  let days = Math.max(1, opts.days + 1);
  while (days < 100_000 && !reaches(formulaEstimate(days, interval, warmup, tickers))) days++;
  let iv = Math.max(1, opts.interval - 1);
  while (iv > 1 && !reaches(formulaEstimate(opts.days, iv, warmup, tickers))) iv--;
  const more = opts.moreTickers ?? DEFAULT_MORE_TICKERS;
  return {
    days: { days, estimate: formulaEstimate(days, interval, warmup, tickers) },
    interval: { interval: iv, estimate: formulaEstimate(opts.days, iv, warmup, tickers) },
    tickers:
      more.count > tickers
        ? { file: more.file, count: more.count, estimate: formulaEstimate(opts.days, interval, warmup, more.count) }
        : undefined,
  };
}

/** The "Insufficient samples" message, in the project's fixed form. */
export function insufficientMessage(estimated: number, required: number, s: NonNullable<PrecheckReport['suggestions']>): string {
  const parts = [`--days ${s.days.days} (≈ ${fmtInt(s.days.estimate)})`, `--sample-interval ${s.interval.interval} (≈ ${fmtInt(s.interval.estimate)})`];
  let tail: string;
  if (s.tickers) {
    const file = s.tickers.file.includes('/') ? `…/${s.tickers.file.split('/').pop()}` : s.tickers.file;
    tail = `${parts[0]}, ${parts[1]}, or more tickers (--tickers-file ${file} ≈ ${fmtInt(s.tickers.estimate)})`;
  } else {
    tail = `${parts[0]} or ${parts[1]}`;
  }
  return `Insufficient samples for training: ${fmtInt(estimated)} estimated, ${fmtInt(required)} required. Try ${tail}`;
}

/**
 * Runs the precheck: fetches tickers in batches of `batchSize` (memory bounded by one batch),
 * measures coverage and estimates samples. Never throws for too few samples: the report says
 * `ok: false` with `error` (use `assertPrecheck` to throw). Data errors from the provider
 * (unknown ticker, unreadable file…) propagate as DataError.
 */
export async function runPrecheck(source: BatchSource, opts: PrecheckOptions): Promise<PrecheckReport> {
  const t0 = Date.now();
  const grid: SampleGrid = { warmup: opts.warmup, sample_interval: opts.sampleInterval, horizon: opts.horizon };
  checkGrid(grid);
  if (opts.sessions.length === 0) throw new DataError('precheck: no sessions in the requested range', 'widen the date range');
  if (opts.tickers.length === 0) throw new DataError('precheck: the ticker list is empty', 'list at least one ticker in the universe');
  const anomalyReturn = opts.anomalyReturn ?? 0.1;
  const batchSize = Math.max(1, opts.batchSize ?? 50);
  const days = opts.days ?? opts.sessions.length;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const fetchBatch =
    typeof source === 'function'
      ? source
      : (tickers: string[], signal?: AbortSignal) =>
          source.fetch({ tickers, sessions: opts.sessions.map((s) => ({ ...s })), signal, onWarning: warn });
  const all: TickerCoverage[] = [];
  opts.onProgress?.(0, opts.tickers.length);
  for (let b = 0; b < opts.tickers.length; b += batchSize) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    const batch = opts.tickers.slice(b, b + batchSize);
    const panel = await fetchBatch(batch, opts.signal);
    all.push(...panelCoverage(panel, grid, anomalyReturn));
    opts.onProgress?.(Math.min(opts.tickers.length, b + batch.length), opts.tickers.length);
  }
  for (const t of all) {
    if (t.bars === 0) warn(`${t.ticker}: no bars at all between ${opts.sessions[0].date} and ${opts.sessions.at(-1)!.date}`);
    if (t.badPrices > 0) warn(`${t.ticker}: ${t.badPrices} bar(s) with non-positive prices or high < low`);
    if (t.jumps > 0) {
      const d = t.days.filter((x) => x.jumps > 0).map((x) => `${x.date} (max ${(x.maxAbsReturn * 100).toFixed(1)}%)`);
      warn(`${t.ticker}: ${t.jumps} one-minute move(s) above ${(anomalyReturn * 100).toFixed(0)}% on ${d.slice(0, 3).join(', ')}`);
    }
  }
  const coverage = checkCoverage(all, opts.sessions, opts.thresholds, opts.context);
  // Padding is tolerated within the thresholds, but never silent.
  const dates = opts.sessions.map((s) => s.date);
  for (const line of paddingLines(coverage, dates).slice(1)) warn(line);
  for (const g of coverage.gaps) warn(`${g.ticker}: no bars on ${countedDates(g.dates, dates)} inside its range (prices carried over)`);
  if (coverage.absentDays.length && coverage.absentDays.length <= coverage.thresholds.maxAbsentDays) {
    warn(`no ticker has bars on ${countedDates(coverage.absentDays, dates)} (allowed by max_absent_days ${coverage.thresholds.maxAbsentDays})`);
  }
  const formula = formulaEstimate(days, grid.sample_interval, grid.warmup, opts.tickers.length);
  const real = all.reduce((a, t) => a + t.samples, 0);
  const expected = all.reduce((a, t) => a + t.expected, 0);
  const bars = all.reduce((a, t) => a + t.bars, 0);
  const zero = all.reduce((a, t) => a + (t.zeroVolumePct * t.bars) / 100, 0);
  const report: PrecheckReport = {
    ok: true,
    params: {
      days,
      sampleInterval: grid.sample_interval,
      warmup: grid.warmup,
      horizon: grid.horizon,
      minSamples: opts.minSamples,
      tickers: opts.tickers.length,
      anomalyReturn,
      ...coverage.thresholds,
    },
    range: {
      first: opts.sessions[0].date,
      last: opts.sessions.at(-1)!.date,
      sessions: opts.sessions.length,
      earlyCloses: opts.sessions.filter((s) => s.bars < FULL_DAY_BARS).map((s) => s.date),
    },
    estimate: { formula, real },
    totals: {
      expected,
      bars,
      missingPct: pct(expected - bars, expected),
      zeroVolumePct: pct(zero, bars),
      jumps: all.reduce((a, t) => a + t.jumps, 0),
      badPrices: all.reduce((a, t) => a + t.badPrices, 0),
    },
    tickers: all,
    coverage,
    warnings,
    elapsedMs: 0,
  };
  const problems: string[] = [];
  if (coverage.violations.length) problems.push(coverageMessage(coverage));
  if (real < opts.minSamples) {
    const s = suggestFixes({
      days,
      interval: grid.sample_interval,
      warmup: grid.warmup,
      tickers: opts.tickers.length,
      minSamples: opts.minSamples,
      coverage: formula > 0 ? real / formula : 1,
      moreTickers: opts.moreTickers,
    });
    report.suggestions = s;
    problems.push(insufficientMessage(real, opts.minSamples, s));
  }
  if (problems.length) {
    report.ok = false;
    report.error = problems.join('\n');
  }
  report.elapsedMs = Date.now() - t0;
  return report;
}

/** Throws a DataError with the report's message when it is not ok. */
export function assertPrecheck(report: PrecheckReport): void {
  if (!report.ok) throw new DataError(report.error ?? 'precheck failed');
}

/** A plain-text table of the report: per ticker (worst first when long) and the estimates. */
export function formatPrecheckTable(report: PrecheckReport, maxRows = 40): string {
  const head = ['ticker', 'days', 'bars', 'expected', 'missing %', 'zero-vol %', 'jumps', 'bad', 'samples'];
  let rows = report.tickers;
  const long = rows.length > maxRows;
  if (long) rows = [...rows].sort((a, b) => b.missingPct - a.missingPct || a.ticker.localeCompare(b.ticker)).slice(0, maxRows);
  const cells = rows.map((t) => [
    t.ticker,
    String(t.days.length - t.emptyDays),
    fmtInt(t.bars),
    fmtInt(t.expected),
    t.missingPct.toFixed(2),
    t.zeroVolumePct.toFixed(2),
    String(t.jumps),
    String(t.badPrices),
    fmtInt(t.samples),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(w[i]) : v.padStart(w[i]))).join('  ');
  const out: string[] = [];
  const p = report.params;
  out.push(
    `Precheck: ${p.tickers} tickers × ${report.range.sessions} sessions (${report.range.first} … ${report.range.last}` +
      `${report.range.earlyCloses.length ? `; early closes ${report.range.earlyCloses.join(', ')}` : ''})`,
  );
  out.push(line(head));
  out.push(w.map((x) => '-'.repeat(x)).join('  '));
  for (const c of cells) out.push(line(c));
  if (long) out.push(`… ${report.tickers.length - rows.length} more tickers (showing the ${rows.length} with the most missing minutes)`);
  const t = report.totals;
  out.push(
    `Bars: ${fmtInt(t.bars)} of ${fmtInt(t.expected)} (${t.missingPct.toFixed(2)}% missing, ${t.zeroVolumePct.toFixed(2)}% zero volume, ${t.jumps} jumps > ${(p.anomalyReturn * 100).toFixed(0)}%, ${t.badPrices} bad prices)`,
  );
  out.push(
    `Samples: formula (${p.days} × 390 − ${p.warmup}) ÷ ${p.sampleInterval} × ${p.tickers} = ${fmtInt(report.estimate.formula)}; ` +
      `after gaps (horizon ${p.horizon}) ${fmtInt(report.estimate.real)}; required ${fmtInt(p.minSamples)}`,
  );
  out.push(...paddingLines(report.coverage, report.tickers[0]?.days.map((d) => d.date) ?? []));
  out.push(report.ok ? 'OK' : `FAIL: ${report.error}`);
  return out.join('\n');
}
