/**
 * Downsampling of a minute equity curve for the report: one point per `step` minutes of each
 * session (always including the session's close), the equity at that minute's close and the worst
 * drawdown inside the step, so a short dip between two points is not lost.
 */
import type { EquityCurve, MetricValue } from './types.js';

/** Steps tried, smallest first; a step ≥ the session's bars gives one point per session. */
export const CURVE_STEPS = [1, 5, 15, 30, 60, 390] as const;
/** Default cap on the points of one curve. */
export const MAX_CURVE_POINTS = 1500;

export interface SessionRows {
  /** First row of the session in the [T] series. */
  start: number;
  bars: number;
}

/** The smallest step in CURVE_STEPS (or `stepMinutes`) that keeps the curve under `maxPoints`. */
export function chooseStep(sessions: readonly SessionRows[], maxPoints = MAX_CURVE_POINTS): number {
  for (const step of CURVE_STEPS) {
    const points = 1 + sessions.reduce((s, x) => s + Math.ceil(x.bars / Math.min(step, x.bars)), 0);
    if (points <= maxPoints) return step;
  }
  return CURVE_STEPS[CURVE_STEPS.length - 1];
}

export function finiteOrNull(x: number): MetricValue {
  return Number.isFinite(x) ? x : null;
}

/**
 * `equity[t]` is the portfolio equity at row t's close, starting at 1 before row 0. Returns the
 * curve with an origin point (day 0, minute 0, equity 1) and one point per step.
 */
export function downsampleEquity(
  equity: ArrayLike<number>,
  sessions: readonly SessionRows[],
  opts: { stepMinutes?: number; maxPoints?: number } = {},
): EquityCurve {
  const step = opts.stepMinutes ?? chooseStep(sessions, opts.maxPoints);
  if (!(step >= 1)) throw new Error(`report: stepMinutes must be ≥ 1, got ${step}`);
  const curve: EquityCurve = { day: [0], minute: [0], equity: [1], drawdown: [0], stepMinutes: step };
  let peak = 1;
  for (let d = 0; d < sessions.length; d++) {
    const { start, bars } = sessions[d];
    const s = Math.min(step, bars);
    let worst = 0;
    for (let m = 1; m <= bars; m++) {
      const e = equity[start + m - 1];
      if (Number.isFinite(e)) {
        if (e > peak) peak = e;
        const dd = 1 - e / peak;
        if (dd > worst) worst = dd;
      }
      if (m % s === 0 || m === bars) {
        curve.day.push(d);
        curve.minute.push(m);
        curve.equity.push(finiteOrNull(e));
        curve.drawdown.push(worst);
        worst = 0;
      }
    }
  }
  return curve;
}
