/**
 * The linear baseline: ridge regression on the scaled features, closed form
 * β = (XᵀX + λI)⁻¹ Xᵀy on the (centered) train rows, λ chosen by validation MSE from a grid.
 * Inputs are already scaled (scaler fit on the train split) and targets standardized.
 */

export interface RidgeModel {
  /** Penalty as a multiple of the number of train rows (λ = alpha · n). */
  alpha: number;
  beta: Float64Array;
  intercept: number;
  valMse: number;
}

/** Penalties tried, relative to n (scaled features have XᵀX ≈ n · correlation). */
export const RIDGE_ALPHAS = [1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100];

/** Solves A x = b for symmetric positive definite A (F×F, row-major) by Cholesky. */
function choleskySolve(A: Float64Array, b: Float64Array, F: number): Float64Array {
  const L = new Float64Array(F * F);
  for (let i = 0; i < F; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * F + j];
      for (let k = 0; k < j; k++) s -= L[i * F + k] * L[j * F + k];
      L[i * F + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * F + j];
    }
  }
  const z = new Float64Array(F);
  for (let i = 0; i < F; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * F + k] * z[k];
    z[i] = s / L[i * F + i];
  }
  const x = new Float64Array(F);
  for (let i = F - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < F; k++) s -= L[k * F + i] * x[k];
    x[i] = s / L[i * F + i];
  }
  return x;
}

export function ridgePredict(m: Pick<RidgeModel, 'beta' | 'intercept'>, X: Float32Array, n: number, F: number): Float32Array {
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = m.intercept;
    for (let f = 0; f < F; f++) s += m.beta[f] * X[r * F + f];
    out[r] = s;
  }
  return out;
}

/** Fits on (Xtr, ytr), picks alpha by MSE on (Xva, yva). X are contiguous [n, F] float32. */
export function fitRidge(Xtr: Float32Array, ytr: Float32Array, Xva: Float32Array, yva: Float32Array, F: number, alphas: number[] = RIDGE_ALPHAS): RidgeModel {
  const n = ytr.length;
  const mx = new Float64Array(F);
  let my = 0;
  for (let r = 0; r < n; r++) {
    my += ytr[r];
    for (let f = 0; f < F; f++) mx[f] += Xtr[r * F + f];
  }
  my /= n;
  for (let f = 0; f < F; f++) mx[f] /= n;
  // Gram matrix and Xᵀy of the centered rows.
  const G = new Float64Array(F * F);
  const xy = new Float64Array(F);
  const row = new Float64Array(F);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < F; f++) row[f] = Xtr[r * F + f] - mx[f];
    const dy = ytr[r] - my;
    for (let i = 0; i < F; i++) {
      const xi = row[i];
      if (xi === 0) continue;
      xy[i] += xi * dy;
      for (let j = 0; j <= i; j++) G[i * F + j] += xi * row[j];
    }
  }
  for (let i = 0; i < F; i++) for (let j = 0; j < i; j++) G[j * F + i] = G[i * F + j];
  let best: RidgeModel | undefined;
  for (const alpha of alphas) {
    const A = G.slice();
    for (let i = 0; i < F; i++) A[i * F + i] += alpha * n;
    const beta = choleskySolve(A, xy, F);
    let intercept = my;
    for (let f = 0; f < F; f++) intercept -= beta[f] * mx[f];
    const pv = ridgePredict({ beta, intercept }, Xva, yva.length, F);
    let mse = 0;
    for (let r = 0; r < yva.length; r++) mse += (pv[r] - yva[r]) ** 2;
    mse /= Math.max(1, yva.length);
    if (!best || mse < best.valMse) best = { alpha, beta, intercept, valMse: mse };
  }
  return best!;
}
