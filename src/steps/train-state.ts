/**
 * Resumable training states in the store, so an epochs sweep costs its longest point rather than
 * the sum: training for 6 epochs continues from the state after 4 when everything else agrees.
 * A state is keyed by its lineage (the train node's key material without `epochs`: the kind's
 * version, its other params, its inputs' content ids and the seed) and its epoch count.
 * Training has no schedule that depends on the epoch count, so the continued run is
 * bit-identical to one from scratch (test/runner/sweep-epochs.test.ts).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../cache/key.js';
import type { ArtifactStore } from '../cache/store-api.js';
import type { TrainState } from '../model/types.js';
import type { Tensor } from '../tensor/tensor.js';
import { inputsIn, type StepContext } from './kind.js';

/** Everything that shapes a training except how many epochs it runs. */
export function trainLineage(ctx: Pick<StepContext, 'params' | 'inputs' | 'seed'>, version: number): string {
  const { epochs: _epochs, checkpoint: _publishedAt, ...rest } = ctx.params as Record<string, unknown>;
  const inputs = inputsIn(ctx.inputs, 'samples').map((a) => a.contentId);
  return createHash('sha256').update(canonicalJson({ kind: 'train-state', version, params: rest, inputs, seed: ctx.seed })).digest('hex');
}

const stateKey = (lineage: string, epoch: number) => `train-state:${lineage}:${epoch}`;

const PARTS = ['weights', 'adamM', 'adamV', 'best'] as const;

/** Stores the state after `state.epoch` epochs (atomically, like any entry; storing twice is harmless). */
export async function saveTrainState(store: ArtifactStore, lineage: string, state: TrainState): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  for (const part of PARTS) for (const [name, t] of Object.entries(state[part])) tensors[`${part}/${name}`] = t;
  const key = stateKey(lineage, state.epoch);
  await store.store(key, {
    step: 'train-state',
    kind: 'train-state',
    contentId: key,
    meta: { epoch: state.epoch, adamT: state.adamT, rng: state.rng, bestValLoss: state.bestValLoss, bestEpoch: state.bestEpoch, bestValIc: state.bestValIc, history: state.history },
  tensors,
  });
}

/** The longest stored state of this lineage with fewer than `epochs` epochs, or undefined. */
export async function latestTrainState(store: ArtifactStore, lineage: string, epochs: number): Promise<TrainState | undefined> {
  for (let e = epochs - 1; e >= 1; e--) {
    let loaded;
    try {
      loaded = await store.load(stateKey(lineage, e));
    } catch {
      continue; // a corrupt entry was removed; an older state (or scratch) gives the same bits
    }
    if (!loaded) continue;
    const m = loaded.record.meta as Record<string, any>;
    const state: TrainState = { epoch: m.epoch, adamT: m.adamT, rng: m.rng, bestValLoss: m.bestValLoss, bestEpoch: m.bestEpoch, bestValIc: m.bestValIc ?? undefined, history: m.history, weights: {}, adamM: {}, adamV: {}, best: {} };
    for (const [name, t] of Object.entries(loaded.tensors)) {
      const slash = name.indexOf('/');
      const part = name.slice(0, slash) as (typeof PARTS)[number];
      if (PARTS.includes(part)) state[part][name.slice(slash + 1)] = t;
    }
    return state;
  }
  return undefined;
}
