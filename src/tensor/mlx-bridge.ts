/**
 * The bridge between typed-array Tensors and MLX arrays.
 *
 * `mx.array(Float32Array)` does not work in @frost-beta/mlx 0.0.7 and JS arrays are slow
 * (~4 M values/s), so bulk data crosses through safetensors bytes in a temp file (tmpfs
 * /dev/shm when present): `mx.load` on the way in, `mx.saveSafetensors` on the way out.
 * Arrays are evaluated before their temp file is removed (MLX loads lazily), and temp files
 * are removed in `finally`, so nothing is left behind on failure.
 *
 * dtypes: F32, I32, I16, U8 round-trip exactly. F64 is converted to F32 on the way in (MLX
 * has no float64 on the CPU). On the way out, other floating dtypes become F32, bool becomes
 * U8, and other integer dtypes become I32.
 */
import { existsSync, readFileSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { core as mx } from '@frost-beta/mlx';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import type { Tensor } from './tensor.js';

let tempDir: string | undefined;
let counter = 0;

/** Directory for bridge temp files: /dev/shm when it exists and is writable, else os.tmpdir(). */
export function bridgeTempDir(): string {
  if (tempDir !== undefined) return tempDir;
  let dir = tmpdir();
  try {
    if (existsSync('/dev/shm')) {
      accessSync('/dev/shm', constants.W_OK);
      dir = '/dev/shm';
    }
  } catch {
    // not writable: fall back to os.tmpdir()
  }
  tempDir = dir;
  return dir;
}

function tempPath(): string {
  counter += 1;
  return join(bridgeTempDir(), `mlx-bridge-${process.pid}-${counter}-${randomBytes(4).toString('hex')}.safetensors`);
}

function asLoadable(name: string, t: Tensor): Tensor {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (size !== t.data.length) {
    throw new RangeError(`mlx-bridge: tensor "${name}" has shape [${t.shape.join(', ')}] (${size} values) but ${t.data.length} values of data`);
  }
  if (t.dtype === 'F64') return { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.data) };
  return t;
}

/** Many Tensors → MLX arrays (one temp file, one `mx.load`). The arrays are evaluated. */
export function toMxMany(ts: Record<string, Tensor>): Record<string, mx.array> {
  const names = Object.keys(ts);
  if (names.length === 0) return {};
  const prepared: Record<string, Tensor> = {};
  for (const n of names) prepared[n] = asLoadable(n, ts[n]);
  const path = tempPath();
  try {
    writeFileSync(path, encodeSafetensors(prepared));
    const loaded = mx.load(path) as unknown as Record<string, mx.array>;
    const out: Record<string, mx.array> = {};
    for (const n of names) {
      const a = loaded[n];
      if (!a) throw new Error(`mlx-bridge: tensor "${n}" missing after mx.load`);
      out[n] = a;
    }
    // MLX loads lazily: materialize before the file goes away.
    mx.eval(...Object.values(out));
    return out;
  } finally {
    rmSync(path, { force: true });
  }
}

/** One Tensor → an (evaluated) MLX array. */
export function toMx(t: Tensor): mx.array {
  return toMxMany({ x: t }).x;
}

function normalizeDtype(a: mx.array): mx.array {
  const d = a.dtype;
  if (d === mx.float32 || d === mx.int32 || d === mx.int16 || d === mx.uint8) return a;
  if (d === mx.float16 || d === mx.bfloat16) return a.astype(mx.float32);
  if (d === mx.bool) return a.astype(mx.uint8);
  return a.astype(mx.int32);
}

/** Many MLX arrays → Tensors (one `mx.saveSafetensors`, one read). */
export function fromMxMany(arrays: Record<string, mx.array>): Record<string, Tensor> {
  const names = Object.keys(arrays);
  if (names.length === 0) return {};
  const prepared: Record<string, mx.array> = {};
  for (const n of names) prepared[n] = normalizeDtype(arrays[n]);
  const path = tempPath();
  try {
    mx.saveSafetensors(path, prepared);
    const { tensors } = decodeSafetensors(readFileSync(path));
    const out: Record<string, Tensor> = {};
    for (const n of names) {
      const t = tensors[n];
      if (!t) throw new Error(`mlx-bridge: tensor "${n}" missing after saveSafetensors`);
      out[n] = t;
    }
    return out;
  } finally {
    rmSync(path, { force: true });
  }
}

/** One MLX array → a Tensor (typed array + shape). */
export function fromMx(a: mx.array): Tensor {
  return fromMxMany({ x: a }).x;
}

/** Convenience: an MLX array → Float32Array (converted to float32 first). */
export function fromMxF32(a: mx.array): Float32Array {
  const t = fromMx(a.dtype === mx.float32 ? a : a.astype(mx.float32));
  return t.data as Float32Array;
}

/** Convenience: a Float32Array with a shape → an MLX array. */
export function f32ToMx(data: Float32Array, shape: number[]): mx.array {
  return toMx({ dtype: 'F32', shape, data });
}

export function i32ToMx(data: Int32Array, shape: number[]): mx.array {
  return toMx({ dtype: 'I32', shape, data });
}

