/**
 * Time-based train/val/test split with an embargo. Never shuffles across time: the split is
 * made on the sorted unique sample times, so every train time < every val time < every test
 * time, and samples whose label window [time, time + embargo] reaches the next split's first
 * time are dropped (their labels would overlap the next split's features).
 */
import type { SampleSet } from './types.js';

export interface SplitOptions {
  valFraction?: number;
  testFraction?: number;
  /** Default: set.horizonMinutes. */
  embargoMinutes?: number;
  /** Also drop samples whose y is not finite (default true). */
  dropNonFiniteY?: boolean;
}

export interface TimeSplit {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** First time of the val split (epoch ms); = valEnd when the val split is empty. */
  trainEnd: number;
  /** First time of the test split (epoch ms); +Infinity when the test split is empty. */
  valEnd: number;
  counts: { train: number; val: number; test: number; embargoed: number; droppedNonFiniteY: number };
}

export function splitByTime(
  set: Pick<SampleSet, 'time' | 'y' | 'S' | 'horizonMinutes'>,
  opts: SplitOptions = {},
): TimeSplit {
  const valFraction = opts.valFraction ?? 0.15;
  const testFraction = opts.testFraction ?? 0.2;
  const embargoMinutes = opts.embargoMinutes ?? set.horizonMinutes;
  const dropNonFiniteY = opts.dropNonFiniteY ?? true;
  if (!(valFraction >= 0 && testFraction >= 0 && valFraction + testFraction < 1)) {
    throw new RangeError(`splitByTime: need valFraction ≥ 0, testFraction ≥ 0 and their sum < 1 (got ${valFraction}, ${testFraction})`);
  }
  if (!(embargoMinutes >= 0)) throw new RangeError(`splitByTime: embargoMinutes must be ≥ 0 (got ${embargoMinutes})`);
  const { time, S } = set;
  if (time.length !== S) throw new RangeError(`splitByTime: time has ${time.length} values, S = ${S}`);

  const uniq = Float64Array.from(new Set(time)).sort();
  const n = uniq.length;
  if (n === 0) throw new RangeError('splitByTime: no samples');
  const nTest = Math.floor(n * testFraction);
  const nVal = Math.floor(n * valFraction);
  const nTrain = n - nVal - nTest;
  if (nTrain < 1) throw new RangeError(`splitByTime: ${n} distinct times leave no train split`);
  const valEnd = nTest > 0 ? uniq[n - nTest] : Number.POSITIVE_INFINITY;
  const trainEnd = nVal > 0 ? uniq[nTrain] : valEnd;
  const embargoMs = embargoMinutes * 60_000;

  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  let embargoed = 0;
  let droppedNonFiniteY = 0;
  for (let i = 0; i < S; i++) {
    const t = time[i];
    if (dropNonFiniteY && !Number.isFinite(set.y[i])) {
      droppedNonFiniteY++;
      continue;
    }
    if (t < trainEnd) {
      if (t + embargoMs < trainEnd) train.push(i);
      else embargoed++;
    } else if (t < valEnd) {
      if (t + embargoMs < valEnd) val.push(i);
      else embargoed++;
    } else {
      test.push(i);
    }
  }
  return {
    train: Int32Array.from(train),
    val: Int32Array.from(val),
    test: Int32Array.from(test),
    trainEnd,
    valEnd,
    counts: { train: train.length, val: val.length, test: test.length, embargoed, droppedNonFiniteY },
  };
}
