/**
 * Tensor: a typed array with a shape. Steps exchange and cache their arrays in this form; MLX
 * arrays are made from it (and back) through safetensors bytes, the fast bridge on this
 * platform (see src/tensor/mlx-bridge.ts), never through JS arrays.
 */
export type DType = 'F32' | 'F64' | 'I32' | 'I16' | 'U8';

export type TypedArrayOf<D extends DType> = D extends 'F32'
  ? Float32Array
  : D extends 'F64'
    ? Float64Array
    : D extends 'I32'
      ? Int32Array
      : D extends 'I16'
        ? Int16Array
        : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | Int32Array | Int16Array | Uint8Array;

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: AnyTypedArray;
}

export const BYTES_PER: Record<DType, number> = { F32: 4, F64: 8, I32: 4, I16: 2, U8: 1 };

export function dtypeOf(data: AnyTypedArray): DType {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint8Array) return 'U8';
  throw new TypeError('unsupported typed array');
}

/** Wraps a typed array with a shape, checking that the sizes agree. */
export function tensor(data: AnyTypedArray, shape: number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new RangeError(`shape [${shape.join(', ')}] holds ${size} values, data has ${data.length}`);
  return { dtype: dtypeOf(data), shape: [...shape], data };
}

export function emptyTypedArray(dtype: DType, length: number): AnyTypedArray {
  switch (dtype) {
    case 'F32': return new Float32Array(length);
    case 'F64': return new Float64Array(length);
    case 'I32': return new Int32Array(length);
    case 'I16': return new Int16Array(length);
    case 'U8': return new Uint8Array(length);
  }
}
