/** Model sizes by preset (docs/model.md). Kept apart from nets.ts so the public types need no MLX. */
import type { MlpSizes, Preset, TransformerSizes } from './types.js';

export const TRANSFORMER_PRESETS: Record<Preset, TransformerSizes> = {
  // Sized so an epoch of ~15,000 samples × 111 indicators takes seconds on 2 CPU cores
  // (see test/bench/model.bench.ts and docs/model.md).
  small: { dModel: 32, heads: 2, layers: 1, dFF: 64 },
  // The reference system's size.
  reference: { dModel: 256, heads: 8, layers: 6, dFF: 1024 },
};

export const MLP_PRESETS: Record<Preset, MlpSizes> = {
  small: { hidden: [128, 64] },
  reference: { hidden: [512, 256, 128] },
};
