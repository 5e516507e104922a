/**
 * Return statistics on daily returns. Annualization: daily returns × √252 (one US trading year),
 * whatever the bar size, so strategies with different trade frequencies compare on one scale.
 */
export const TRADING_DAYS_PER_YEAR = 252;

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return x.length > 0 ? s / x.length : NaN;
}

/** Sample standard deviation (n − 1). NaN below 2 values. */
export function sampleStd(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return NaN;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
  return Math.sqrt(s / (n - 1));
}

/** mean / std(n − 1) · √252 of daily returns; 0 when std is 0 (a flat curve), NaN below 2 days. */
export function sharpeRatio(daily: ArrayLike<number>): number {
  const sd = sampleStd(daily);
  if (!(sd === sd)) return NaN;
  return sd > 0 ? (mean(daily) / sd) * Math.sqrt(TRADING_DAYS_PER_YEAR) : 0;
}

/**
 * mean / downside deviation · √252, downside deviation = √(Σ min(r, 0)² / n) (target 0, all days
 * in n). NaN without a losing day (undefined), or with no days.
 */
export function sortinoRatio(daily: ArrayLike<number>): number {
  const n = daily.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) if (daily[i] < 0) s += daily[i] * daily[i];
  const dd = Math.sqrt(s / n);
  return dd > 0 ? (mean(daily) / dd) * Math.sqrt(TRADING_DAYS_PER_YEAR) : NaN;
}

/** Quantile with linear interpolation between order statistics (R type 7) of a sorted array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Largest peak-to-trough fall (positive fraction) of an equity curve that starts from 1, and its longest stretch under a peak. */
export function drawdown(equity: ArrayLike<number>): { max: number; longest: number; longestStart: number; longestEnd: number } {
  let peak = 1;
  let peakAt = -1;
  let max = 0;
  let longest = 0;
  let longestStart = -1;
  let longestEnd = -1;
  for (let t = 0; t < equity.length; t++) {
    const e = equity[t];
    if (e >= peak) {
      peak = e;
      peakAt = t;
    } else {
      const dd = 1 - e / peak;
      if (dd > max) max = dd;
      if (t - peakAt > longest) {
        longest = t - peakAt;
        longestStart = peakAt;
        longestEnd = t;
      }
    }
  }
  return { max, longest, longestStart, longestEnd };
}
