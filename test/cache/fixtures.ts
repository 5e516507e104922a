/** Entries the store tests write (no vitest import: worker processes use them too). */
import type { StoreInput } from '../../src/cache/store-api.js';
import { sha256Hex } from '../../src/cache/key.js';
import { tensor } from '../../src/tensor/tensor.js';

export const keyOf = (s: string) => sha256Hex(s);

/** Deterministic pseudo-random values, so the arrays are not all zeros. */
function filled<T extends Float32Array | Float64Array | Int32Array | Int16Array | Uint8Array>(a: T, seed: number): T {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    a[i] = a instanceof Float32Array || a instanceof Float64Array ? (x / 2 ** 32) * 200 - 100 : x % 120;
  }
  return a;
}

/** A small entry of every dtype, with nested meta. */
export function smallInput(seed = 1): StoreInput {
  return {
    step: 'indicators',
    kind: 'indicators',
    contentId: keyOf(`content ${seed}`),
    meta: { names: ['avwap', 'rsi_14', 'ünïcode'], shape: [3, 2], nested: { a: 1.5, b: [true, null, 'x'] }, seed },
    tensors: {
      f32: tensor(filled(new Float32Array(6), seed), [3, 2]),
      f64: tensor(filled(new Float64Array(4), seed + 1), [4]),
      i32: tensor(filled(new Int32Array(5), seed + 2), [5]),
      i16: tensor(filled(new Int16Array(2), seed + 3), [1, 2]),
      u8: tensor(filled(new Uint8Array(8), seed + 4), [2, 2, 2]),
    },
  };
}

/** An entry above the local backend's inline limit (1 MiB), so it is a blob file everywhere. */
export function largeInput(seed = 7): StoreInput {
  return {
    step: 'sample',
    kind: 'sample',
    contentId: keyOf(`large ${seed}`),
    meta: { rows: 300_000, seed },
    tensors: { x: tensor(filled(new Float32Array(300_000), seed), [100_000, 3]), y: tensor(filled(new Uint8Array(1000), seed), [1000]) },
  };
}

