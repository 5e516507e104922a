import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { core as mx } from '@frost-beta/mlx';
import { bridgeTempDir, fromMx, fromMxMany, toMx, toMxMany } from '../../src/tensor/mlx-bridge.js';
import type { Tensor } from '../../src/tensor/tensor.js';

function bridgeFiles(): string[] {
  return readdirSync(bridgeTempDir()).filter((f) => f.startsWith(`mlx-bridge-${process.pid}-`));
}

describe('mlx-bridge', () => {
  it('round-trips F32 exactly, including NaN, ±Inf, subnormals and the shape', () => {
    const data = new Float32Array([1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, 3.4028234663852886e38, Math.PI]);
    const back = fromMx(toMx({ dtype: 'F32', shape: [2, 4], data }));
    expect(back.dtype).toBe('F32');
    expect(back.shape).toEqual([2, 4]);
    expect(Buffer.from((back.data as Float32Array).buffer)).toEqual(Buffer.from(data.buffer));
  });

  it('round-trips I32, I16 and U8 exactly', () => {
    const i32 = new Int32Array([0, -1, 2147483647, -2147483648, 42]);
    const i16 = new Int16Array([-32768, 0, 32767]);
    const u8 = new Uint8Array([0, 1, 255]);
    const back = fromMxMany(toMxMany({
      a: { dtype: 'I32', shape: [5], data: i32 },
      b: { dtype: 'I16', shape: [3, 1], data: i16 },
      c: { dtype: 'U8', shape: [3], data: u8 },
    }));
    expect(back.a.dtype).toBe('I32');
    expect(Array.from(back.a.data)).toEqual(Array.from(i32));
    expect(back.b).toMatchObject({ dtype: 'I16', shape: [3, 1] });
    expect(Array.from(back.b.data)).toEqual(Array.from(i16));
    expect(Array.from(back.c.data)).toEqual(Array.from(u8));
  });

  it('gives MLX arrays MLX can compute with', () => {
    const a = toMx({ dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) });
    expect(a.dtype).toBe(mx.float32);
    expect(mx.sum(a).item()).toBe(6);
    const big = new Float32Array(200_000).map((_, i) => (i % 1000) / 1000);
    const t: Tensor = { dtype: 'F32', shape: [400, 500], data: big };
    const colSums = fromMx(mx.sum(toMx(t), 0)).data; // 400 rows of 500 values; row r = (r%2)·0.5 + k/1000
    expect(colSums.length).toBe(500);
    expect(colSums[0]).toBeCloseTo(200 * 0 + 200 * 0.5, 2);
    expect(colSums[499]).toBeCloseTo(200 * 0.499 + 200 * 0.999, 2);
  });

  it('converts MLX-only dtypes on the way out (bool → U8, int64 → I32, float16 → F32)', () => {
    const b = fromMx(mx.greater(mx.array([1, 2, 3]), 1.5));
    expect(b.dtype).toBe('U8');
    expect(Array.from(b.data)).toEqual([0, 1, 1]);
    const i = fromMx(mx.array([5, -6], mx.int64));
    expect(i.dtype).toBe('I32');
    expect(Array.from(i.data)).toEqual([5, -6]);
    const h = fromMx(mx.array([0.5, 2], mx.float16));
    expect(h.dtype).toBe('F32');
    expect(Array.from(h.data)).toEqual([0.5, 2]);
  });

  it('converts F64 to F32 on the way in', () => {
    const back = fromMx(toMx({ dtype: 'F64', shape: [2], data: new Float64Array([0.25, 1 / 3]) }));
    expect(back.dtype).toBe('F32');
    expect(back.data[0]).toBe(0.25);
    expect(back.data[1]).toBe(Math.fround(1 / 3));
  });

  it('leaves no temp files, also when a conversion fails', () => {
    toMx({ dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) });
    fromMx(mx.array([1, 2]));
    expect(() => toMxMany({ bad: { dtype: 'F32', shape: [3], data: new Float32Array([1, 2]) } })).toThrow();
    expect(bridgeFiles()).toEqual([]);
  });
});
