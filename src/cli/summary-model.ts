/**
 * The model part of the run summary, read from the train node's headline metrics
 * (src/model/evaluate.ts, evaluationMetrics): model vs ridge vs oracle on the test split beside
 * the base rate, the selection ablation rows (top-K per regime / all / random-K) in the same IC
 * column, IC by regime, the per-regime table of top indicators with their mean gates, the regime
 * classifier's agreement, and the one-sign warning.
 */

type Metrics = Record<string, number>;

/** Train metrics kept on the node's own line; the rest go into the scoreboard below it. */
export const SUMMARY_KEYS = new Set(['samples', 'epochs', 'best_epoch', 'best_val_loss', 'test_loss']);

const REGIMES = ['trend-calm', 'trend-volatile', 'range-calm', 'range-volatile'];
const ok = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const cell = (v: number | undefined, w = 9) => (ok(v) ? v.toFixed(4) : '—').padStart(w);
const count = (v: number) => v.toLocaleString('en-US');

/** A train node scored on the test split. */
export function isModelMetrics(m: Metrics): boolean {
  return m.ic !== undefined && m.ridge_ic !== undefined;
}

/** Top indicators per regime from `top[<regime>]#<rank> <name>` → mean gate, in rank order. */
export function topByRegime(m: Metrics): Map<string, { name: string; score: number }[]> {
  const tops = new Map<string, { name: string; score: number }[]>();
  for (const [k, v] of Object.entries(m)) {
    const t = /^top\[(.+)\]#(\d+) (.+)$/.exec(k);
    if (!t) continue;
    const list = tops.get(t[1]) ?? [];
    list[Number(t[2]) - 1] = { name: t[3], score: v };
    tops.set(t[1], list);
  }
  for (const [r, list] of tops) tops.set(r, list.filter(Boolean));
  return tops;
}

export function scoreboardLines(m: Metrics): string[] {
  const rows: [string, string][] = [
    ['model', ''],
    [`ridge (λ = ${m.ridge_alpha}·n)`, 'ridge_'],
  ];
  if (m.oracle_ic !== undefined) rows.push(['oracle (generator)', 'oracle_']);
  const W = 36;
  const out = [`    test split, ${count(m.test_samples)} samples`.padEnd(W + 4) + `${'IC'.padStart(9)}${'rank IC'.padStart(9)}${'dir.acc'.padStart(9)}`];
  for (const [label, pre] of rows) out.push(`    ${label.padEnd(W)}${cell(m[`${pre}ic`])}${cell(m[`${pre}rank_ic`])}${cell(m[`${pre}directional_accuracy`])}`);
  out.push(`    ${`base rate (always ${m.base_sign > 0 ? 'up' : 'down'})`.padEnd(W)}${''.padStart(18)}${cell(m.base_rate)}`);
  if (m.ablation_k !== undefined) {
    const k = m.ablation_k;
    out.push(`    ${`model, top-${k} per regime only`.padEnd(W)}${cell(m.ic_top_k)}`);
    out.push(`    ${`model, ${k} random per regime`.padEnd(W)}${cell(m.ic_random_k)}`);
    out.push(`    ${'model, all indicators'.padEnd(W)}${cell(m.ic_all_indicators)}`);
    const verdict =
      ok(m.ic_top_k) && ok(m.ic_all_indicators) && ok(m.ic_random_k) && m.ic_all_indicators > 0
        ? `top-${k} keep ${Math.round((100 * m.ic_top_k) / m.ic_all_indicators)}% of the IC, ${k} random ${Math.round((100 * m.ic_random_k) / m.ic_all_indicators)}%`
        : 'the model has no positive IC to keep, so the ablation says nothing about usefulness';
    out.push(`    (ablation: top-${k} chosen per regime on validation, others' gates set to 0; ${verdict})`);
  }
  if (ok(m.oracle_ic) && m.oracle_ic > 0 && ok(m.ic)) {
    out.push(`    model IC is ${Math.round((100 * m.ic) / m.oracle_ic)}% of the oracle's; ridge ${ok(m.ridge_ic) ? Math.round((100 * m.ridge_ic) / m.oracle_ic) : '—'}%`);
  }
  const present = REGIMES.filter((r) => m[`n[${r}]`] !== undefined);
  if (present.length > 0) {
    out.push(`    ${'IC by regime'.padEnd(W)}${present.map((r) => r.padStart(16)).join('')}`);
    out.push(`    ${'samples'.padEnd(W)}${present.map((r) => count(m[`n[${r}]`]).padStart(16)).join('')}`);
    for (const [label, pre] of rows) out.push(`    ${label.padEnd(W)}${present.map((r) => cell(m[`${pre}ic[${r}]`], 16)).join('')}`);
  }
  const tops = topByRegime(m);
  if (tops.size > 0) {
    const depth = Math.max(...[...tops.values()].map((l) => l.length));
    const regimes = [...tops.keys()];
    const colW = Math.max(24, ...[...tops.values()].flat().map((x) => x.name.length + 7));
    out.push(`    top indicators by regime (mean gate on validation rows of that regime):`);
    out.push(`      ${'#'.padStart(2)}  ${regimes.map((r) => r.padEnd(colW)).join('')}`.trimEnd());
    for (let i = 0; i < depth; i++) {
      out.push(`      ${String(i + 1).padStart(2)}  ${regimes.map((r) => {
        const x = tops.get(r)![i];
        return (x ? `${x.name} ${x.score.toFixed(3)}` : '').padEnd(colW);
      }).join('')}`.trimEnd());
    }
  }
  if (m.regime_agreement !== undefined) {
    out.push(`    regimes vs the generator's hidden regime: agreement ${m.regime_agreement.toFixed(3)} (chance ${m.regime_agreement_chance.toFixed(3)}, κ ${m.regime_agreement_kappa.toFixed(2)})`);
  }
  if (m.one_sign_share >= 0.95) {
    out.push(`    warning: the model predicts one sign for ${(100 * m.one_sign_share).toFixed(1)}% of test samples; its directional accuracy is about the base rate`);
  }
  return out;
}
