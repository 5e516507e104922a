/**
 * A node's identity: which step, which batch of tickers, which sweep point. Plans, events, run
 * records and renderers carry this structure; the label (`indicators[2/14]`) is for people and
 * for map keys, and nothing parses it back.
 */
export interface NodeRef {
  step: string;
  batch?: { index: number; count: number };
  /** The sweep point (0-based) when the plan expands a sweep. */
  point?: number;
}

export function nodeLabel(ref: NodeRef): string {
  const point = ref.point === undefined ? '' : `@${ref.point + 1}`;
  const batch = ref.batch ? `[${ref.batch.index + 1}/${ref.batch.count}]` : '';
  return `${ref.step}${point}${batch}`;
}
