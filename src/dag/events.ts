/** What the executor reports while it runs; renderers turn these into bars, lines or JSON. */
import type { NodeRef } from './node-ref.js';

export type NodeStatus = 'hit' | 'ran' | 'failed' | 'skipped' | 'cancelled';

export type RunEvent =
  | { type: 'run-start'; runId: string; spec: string; nodes: number; steps: { name: string; kind: string; nodes: number }[]; batches: number; tickers: number }
  | { type: 'node-start'; node: string; ref: NodeRef; step: string; batch?: number; key: string }
  | { type: 'node-progress'; node: string; ref: NodeRef; step: string; fraction: number; note?: string }
  | { type: 'node-end'; node: string; ref: NodeRef; step: string; batch?: number; status: 'hit' | 'ran'; key: string; ms: number; metrics?: Record<string, number> }
  | { type: 'node-fail'; node: string; ref: NodeRef; step: string; batch?: number; tickers?: string[]; error: string; hint?: string }
  | { type: 'node-skip'; node: string; ref: NodeRef; step: string; reason: string }
  | { type: 'warn'; node?: string; message: string }
  | { type: 'info'; node?: string; message: string }
  | {
      type: 'run-end';
      runId: string;
      status: 'ok' | 'failed' | 'interrupted';
      ms: number;
      counts: Record<NodeStatus, number>;
      /** Headline metrics of whole-universe nodes, by node label. */
      metrics: Record<string, Record<string, number>>;
      /** Metrics of per-batch nodes (fetch, sample…), by node label; `runs show` lists them. */
      batchMetrics: Record<string, Record<string, number>>;
      /** A sweep's points (each its own run record), when the run expanded a sweep. */
      sweep?: { id: string; axes: string[]; points: { index: number; values: Record<string, unknown>; runId: string; status: 'ok' | 'failed' | 'interrupted'; metrics: Record<string, Record<string, number>>; error?: string }[] };
    };

export type Reporter = (event: RunEvent) => void;
